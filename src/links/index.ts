/** Links between records (relates, blocks, duplicates, tests, created from), shown on both ends. */
export { linkRoutes } from './links.routes.js';
export { LINK_KINDS, LINK_REQUESTS, linkWords } from './linkKinds.js';
export { linkRecordsIn } from './links.service.js';

// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { addLink } from './links.service.js';
