/** Watchers of a record: who chose to follow it, and its assignee and creator unless they opted out. */
export { watcherRoutes } from './watchers.routes.js';
export { watchersOfRecord, canView, type Watcher } from './watchers.service.js';
export { setChoice as setWatchChoice, choicesOn as watchChoicesOn } from './watchers.repository.js';
