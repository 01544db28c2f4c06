import { AppError, badRequest } from '../errors.js';

/**
 * Lists people put in order by hand: a test case's steps, a requirement document's
 * requirements. Positions are 1…n; the storage rewrites them after each change.
 */

/** `rows` with `row` at place `number` (1 = first; absent or past the end = last). */
export function placeAt<T>(rows: readonly T[], row: T, number: number | undefined): T[] {
  const at = Math.min(Math.max((number ?? rows.length + 1) - 1, 0), rows.length);
  return [...rows.slice(0, at), row, ...rows.slice(at)];
}

/**
 * `rows` in the order of `order` (their ids). Every row must be named exactly once: an order
 * made from a list that changed meanwhile (someone added or removed one) is refused with 409
 * `order_mismatch` instead of being half applied.
 */
export function inOrder<T extends { id: string }>(rows: readonly T[], order: readonly string[], what: { things: string; of: string }): T[] {
  if (new Set(order).size !== order.length) throw badRequest('duplicate_in_order', `The order names one of the ${what.things} more than once.`);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const unknown = order.filter((id) => !byId.has(id));
  const missing = rows.filter((r) => !order.includes(r.id)).map((r) => r.id);
  if (unknown.length > 0 || missing.length > 0) {
    throw new AppError('conflict', 'order_mismatch', `The order must list each of the ${rows.length} ${what.things} of ${what.of} once; the list changed meanwhile (reload and try again).`, { unknown, missing });
  }
  return order.map((id) => byId.get(id)!);
}

/** Whether two lists hold the same rows in the same order. */
export const sameOrder = (a: readonly { id: string }[], b: readonly { id: string }[]) => a.length === b.length && a.every((r, i) => r.id === b[i]!.id);

/** Writes positions 1…n in the given order, touching only the rows that moved. */
export async function renumber(rows: readonly { id: string; position: number }[], setPosition: (id: string, position: number) => Promise<void>): Promise<void> {
  for (const [i, r] of rows.entries()) if (r.position !== i + 1) await setPosition(r.id, i + 1);
}
