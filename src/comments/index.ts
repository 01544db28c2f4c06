/** Internal notes on records (Markdown, @mentions kept for notifications), beside the email thread. */
export { commentRoutes } from './comments.routes.js';
export { mentionedNames } from './mentions.js';
