import type { Config } from './config.js';
import type { Module } from './server.js';

/** Every feature module of the server, in start order. */
export function allModules(_config: Config): Module[] {
  return [];
}
