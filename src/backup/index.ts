export { backupInstance } from './backup.js';
export { restoreInstance, RestoreRefused } from './restore.js';
export type { Manifest, Summary } from './format.js';
