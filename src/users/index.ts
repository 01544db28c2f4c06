// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { ADMIN_USERNAME } from './bootstrap.js';
export { createUser, updateUserProfile } from './users.service.js';
