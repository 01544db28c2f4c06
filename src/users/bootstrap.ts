import { randomBytes } from 'node:crypto';
import type { Executor } from '../store/db.js';
import { findUserByUsername } from '../store/users.repository.js';
import { createUser } from './users.service.js';

export const ADMIN_USERNAME = 'admin';

/**
 * Creates the built-in admin on a new database. Returns the password when it was generated,
 * so the caller can print it once; nobody can read it back later.
 */
export async function ensureAdmin(db: Executor, password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
  if (await findUserByUsername(db, ADMIN_USERNAME)) return { created: false };
  const generated = password ? undefined : randomBytes(12).toString('base64url');
  try {
    await createUser(db, {
      username: ADMIN_USERNAME,
      fullName: 'Administrator',
      email: 'admin@localhost.localdomain',
      password: password ?? generated!,
      isAdmin: true,
    });
  } catch (err) {
    // Another process sharing the database created it first.
    if (await findUserByUsername(db, ADMIN_USERNAME)) return { created: false };
    throw err;
  }
  return generated ? { created: true, generatedPassword: generated } : { created: true };
}
