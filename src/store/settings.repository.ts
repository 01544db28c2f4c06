import { nowIso } from '../clock.js';
import type { Executor } from './db.js';

/** Server-wide settings (sending, tracking, …) as JSON values under a key. */
export async function getSetting<T>(db: Executor, key: string): Promise<T | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row ? (JSON.parse(row.value) as T) : undefined;
}

export async function putSetting(db: Executor, key: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value);
  const at = nowIso();
  await db
    .insertInto('settings')
    .values({ key, value: json, updated_at: at })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_at: at }))
    .execute();
}
