/** Internal notes on records (Markdown, @mentions kept for notifications), beside the email thread. */
export { commentRoutes } from './comments.routes.js';
export { mentionedNames } from './mentions.js';

// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { addComment } from './comments.service.js';
