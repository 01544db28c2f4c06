import type { Migration } from 'kysely';
import * as m0001 from './2026_11_27_0001_foundation.js';

/** Every migration, in order. Names are date-prefixed and never change once released. */
export const migrations: Record<string, Migration> = {
  '2026_11_27_0001_foundation': m0001,
};
