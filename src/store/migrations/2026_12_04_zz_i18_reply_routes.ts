import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
//
// Replies to notification emails reach people who act on them (issue 16, item 7): each rule
// says where replies to its emails are forwarded (reply_to: notificationAccount, the old
// behaviour and the default; actor; assignee; watchers), and each email remembers the route
// chosen when it was sent (reply_route: null = forward_to as before; assignee and watchers are
// looked up when the reply arrives, so they reach whoever holds the record then).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('notification_rules').addColumn('reply_to', 'text', (c) => c.notNull().defaultTo('notificationAccount')).execute();
  await db.schema.alterTable('emails').addColumn('reply_route', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('emails').dropColumn('reply_route').execute();
  await db.schema.alterTable('notification_rules').dropColumn('reply_to').execute();
}
