/** Files on a record (upload, preview of images and PDF, download), bytes in the blob store. */
export { fileRoutes } from './files.routes.js';
export { MAX_FILE_BYTES, PREVIEWABLE } from './files.service.js';

// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { addFile } from './files.service.js';
