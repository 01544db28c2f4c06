import { badRequest } from '../errors.js';

export interface ServerAddress {
  host: string;
  port: number;
}

/**
 * A stored mail password is bound to the server it was typed for. Settings that move the host
 * or port (to save, or only to test) must carry the password again; otherwise an admin session
 * (or whoever holds it) could send the stored secret to a listener of their choosing and read
 * it there (finding 6 of issue 13). Host names compare case-insensitively, as DNS does.
 */
export function requirePasswordForNewServer(stored: ServerAddress | undefined, hasStoredPassword: boolean, next: ServerAddress, passwordGiven: boolean): void {
  if (!stored || !hasStoredPassword || passwordGiven) return;
  if (stored.host.trim().toLowerCase() === next.host.trim().toLowerCase() && stored.port === next.port) return;
  throw badRequest(
    'password_required',
    `Type the password again for ${next.host.trim().slice(0, 253)}:${next.port}: the stored password is only ever sent to the server it was saved for (${stored.host}:${stored.port}).`,
    { field: 'password' },
  );
}
