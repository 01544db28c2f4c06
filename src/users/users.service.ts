import { hash, verify } from '@node-rs/argon2';
import { nowIso } from '../clock.js';
import { isEmailAddress } from '../domain/validation.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Executor } from '../store/db.js';
import type { UserRow } from '../store/schema.js';
import * as users from '../store/users.repository.js';
import { endSessions } from '../http/auth.service.js';

export interface PublicUser {
  id: string;
  username: string;
  fullName: string;
  email: string;
  isAdmin: boolean;
  disabled: boolean;
  createdAt: string;
}

export function toPublicUser(row: UserRow): PublicUser {
  return {
    id: row.id,
    username: row.username,
    fullName: row.full_name,
    email: row.email,
    isAdmin: row.is_admin === 1,
    disabled: row.disabled === 1,
    createdAt: row.created_at,
  };
}

export const MIN_PASSWORD_LENGTH = 8;

function checkEmail(email: string): string {
  const trimmed = email.trim();
  if (!isEmailAddress(trimmed)) throw badRequest('invalid_email', `"${email}" is not a valid email address.`);
  return trimmed.toLowerCase();
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw badRequest('weak_password', `Passwords need at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
}

export async function createUser(
  db: Executor,
  input: { username: string; fullName: string; email: string; password: string; isAdmin?: boolean },
): Promise<PublicUser> {
  const email = checkEmail(input.email);
  checkPassword(input.password);
  if (await users.findUserByUsername(db, input.username)) {
    throw conflict('username_taken', `The username "${input.username}" is taken.`);
  }
  const at = nowIso();
  const row: UserRow = {
    id: newId(),
    username: input.username,
    full_name: input.fullName,
    email,
    password_hash: await hash(input.password),
    is_admin: input.isAdmin ? 1 : 0,
    disabled: 0,
    created_at: at,
    updated_at: at,
  };
  await users.insertUser(db, row);
  return toPublicUser(row);
}

export async function updateUserProfile(
  db: Executor,
  username: string,
  input: { fullName?: string; email?: string; password?: string; disabled?: boolean },
): Promise<PublicUser> {
  const row = await users.findUserByUsername(db, username);
  if (!row) throw notFound('user_not_found', `There is no user "${username}".`);
  const update: Partial<UserRow> = { updated_at: nowIso() };
  if (input.fullName !== undefined) update.full_name = input.fullName;
  if (input.email !== undefined) update.email = checkEmail(input.email);
  if (input.password !== undefined) {
    checkPassword(input.password);
    update.password_hash = await hash(input.password);
  }
  if (input.disabled !== undefined) {
    if (row.username === 'admin' && input.disabled) throw badRequest('cannot_disable_admin', 'The built-in admin cannot be disabled.');
    update.disabled = input.disabled ? 1 : 0;
  }
  await users.updateUser(db, row.id, update);
  // A new password or a disabled account ends every session: whoever knew the old password, or
  // the person being locked out, must not keep working with a token issued before.
  if (input.password !== undefined || input.disabled === true) await endSessions(db, row.id);
  return toPublicUser({ ...row, ...update });
}

/**
 * The signed-in user changes their own password: the current one is checked, and every other
 * session and token of theirs ends (the one making the request stays signed in).
 */
export async function changeOwnPassword(
  db: Executor,
  userId: string,
  input: { currentPassword: string; newPassword: string },
  keepTokenHash: string,
): Promise<void> {
  const row = await users.findUserById(db, userId);
  if (!row) throw notFound('user_not_found', 'The signed-in user no longer exists.');
  const ok = await verify(row.password_hash, input.currentPassword).catch(() => false);
  if (!ok) throw badRequest('wrong_password', 'The current password is not right.');
  checkPassword(input.newPassword);
  await users.updateUser(db, row.id, { password_hash: await hash(input.newPassword), updated_at: nowIso() });
  await endSessions(db, row.id, keepTokenHash);
}

// A fixed hash to verify against when the user does not exist, so timing does not reveal usernames.
let decoyHash: Promise<string> | undefined;

export async function authenticate(db: Executor, username: string, password: string): Promise<UserRow | undefined> {
  const row = await users.findUserByUsername(db, username);
  if (!row || row.disabled === 1) {
    decoyHash ??= hash('decoy-password-for-timing');
    await verify(await decoyHash, password).catch(() => false);
    return undefined;
  }
  const ok = await verify(row.password_hash, password).catch(() => false);
  return ok ? row : undefined;
}
