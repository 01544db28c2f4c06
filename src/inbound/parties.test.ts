import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../ids.js';
import type { Executor } from '../store/db.js';
import type { EmailsTable } from '../store/schema.js';
import { STORE_KINDS, freshStore, requirePostgres } from '../../test/support/stores.js';
import { isUnexpectedSender } from './parties.js';

const at = '2026-11-27T10:00:00.000Z';

async function seed(db: Executor): Promise<{ projectId: string; recordId: string; otherRecordId: string }> {
  const projectId = newId();
  const userId = newId();
  const groupId = newId();
  await db
    .insertInto('users')
    .values({
      id: userId,
      username: 'dev',
      full_name: 'Dev',
      email: 'Dev.Member@Example.COM',
      password_hash: 'x',
      is_admin: 0,
      disabled: 0,
      created_at: at,
      updated_at: at,
    })
    .execute();
  await db
    .insertInto('projects')
    .values({
      id: projectId,
      key: 'SND',
      name: 'Sender',
      sending_enabled: 1,
      tracking_enabled: 1,
      notification_name: '',
      notification_address: '',
      created_at: at,
      updated_at: at,
    })
    .execute();
  await db
    .insertInto('security_groups')
    .values({ id: groupId, project_id: projectId, name: 'Developers', commands: '[]', created_at: at, updated_at: at })
    .execute();
  await db.insertInto('project_members').values({ project_id: projectId, user_id: userId, group_id: groupId, created_at: at }).execute();
  const record = (number: number) => ({
    id: newId(),
    project_id: projectId,
    type: 'defect',
    number,
    title: 'Totals',
    description: '',
    status: 'open',
    assignee_id: null,
    creator_id: userId,
    created_at: at,
    updated_at: at,
    version: 1,
    priority: null,
    severity: null,
  });
  const [r1, r2] = [record(1), record(2)];
  await db.insertInto('records').values([r1, r2]).execute();
  return { projectId, recordId: r1.id, otherRecordId: r2.id };
}

function email(
  projectId: string,
  recordId: string,
  parties: { from?: string; to?: string[]; cc?: { name?: string; address: string }[]; forwardTo?: string },
): EmailsTable {
  const id = newId();
  return {
    id,
    project_id: projectId,
    record_id: recordId,
    parent_id: null,
    direction: 'outbound',
    source: 'user',
    status: 'sent',
    error: null,
    tracked: 1,
    cookie: null,
    message_id: `<${id}@x>`,
    in_reply_to: null,
    references: '[]',
    from_name: '',
    from_address: parties.from ?? 'dev@example.com',
    to_list: JSON.stringify((parties.to ?? []).map((address) => ({ name: 'Someone "quoted"', address }))),
    cc_list: JSON.stringify(parties.cc ?? []),
    bcc_list: '[]',
    subject: 's',
    text_body: '',
    html_body: null,
    reply_text: null,
    quoted_text: null,
    reply_segments: null,
    sender_user_id: null,
    forward_to: parties.forwardTo ?? null,
    template: null,
    rule_id: null,
    raw_blob: null,
    flags: '{}',
    date: at,
    created_at: at,
    updated_at: at,
    deleted_at: null,
  } as EmailsTable;
}

for (const kind of STORE_KINDS) {
  describe(`isUnexpectedSender on ${kind}`, () => {
    test('a party of any email of the record, in any letter case, or a project member is expected; anyone else is not', async (t) => {
      if (kind === 'postgres' && !(await requirePostgres(t))) return;
      const s = await freshStore(kind);
      t.after(() => s.close());
      const db = s.store.db;
      const { projectId, recordId, otherRecordId } = await seed(db);
      const original = email(projectId, recordId, { to: ['Customer@Example.com'], forwardTo: 'dev@example.com' });
      await db
        .insertInto('emails')
        .values([
          original,
          email(projectId, recordId, {
            to: ['john_doe@example.com'],
            cc: [{ address: 'Colleague@Customer.test' }, { name: 'address:', address: 'müller@Customer.test' }],
          }),
          email(projectId, recordId, { from: 'Boss@Customer.test' }),
          email(projectId, otherRecordId, { to: ['elsewhere@example.com'] }),
        ])
        .execute();
      const check = (from: string, against: Parameters<typeof isUnexpectedSender>[1] = original) => isUnexpectedSender(db, against, from);

      assert.equal(await check('customer@example.com'), false, "the original's own recipient (no query needed)");
      assert.equal(await check('DEV@example.com'), false, "the original's sender");
      assert.equal(await check('colleague@customer.test'), false, 'Cc of another email of the record');
      assert.equal(await check('boss@customer.test'), false, 'sender of another email of the record');
      assert.equal(await check('John_Doe@example.com'), false, 'To of another email, "_" and case as written');
      assert.equal(await check('johnxdoe@example.com'), true, '"_" is no wildcard');
      assert.equal(await check('MÜLLER@customer.test'), false, 'letters outside ASCII folded like JavaScript folds them');
      assert.equal(await check('mxller@customer.test'), true);
      assert.equal(await check('dev.member@example.com'), false, 'a member of the project');
      assert.equal(await check('elsewhere@example.com'), true, 'a party of another record only');
      assert.equal(await check('example.com'), true, 'a part of an address is no address');
      assert.equal(await check('stranger@customer.test'), true);
      assert.equal(await check(''), true);
      assert.equal(await check('boss@customer.test', { record_id: recordId, project_id: projectId }), false, 'without an original email (filed on the record)');
      assert.equal(await check('customer@example.com', { record_id: otherRecordId, project_id: projectId }), true);
    });
  });
}
