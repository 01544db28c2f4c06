/**
 * Several tracking accounts: the API (the default account is the single account of before),
 * projects bound to an account, Reply-To and forwards from the project's account, and three
 * accounts (POP3 and IMAP on the real Postfix and Dovecot, Microsoft Graph on the fake Graph
 * server with an OAuth2 token from the shared store) imported concurrently by two
 * `mailtrail serve` processes on one PostgreSQL database, each reply filed exactly once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { createTrackingModule } from '../../src/inbound/index.js';
import { outboundModule } from '../../src/outbound/index.js';
import { openStore } from '../../src/store/db.js';
import { newAddress, peersConfig, readAllImap, requirePeers, sendViaPostfix } from '../harness/mailPeers.js';
import { serve, type Served } from '../reliability/serveProcess.js';
import { eventually } from '../reliability/support.js';
import { startTestApp } from '../support/app.js';
import { STORE_KINDS, freshDatabase, requirePostgres } from '../support/stores.js';
import { compose } from './support.js';
import { FakeGraph } from '../support/fakeGraph.js';
import { storeTokens } from '../../src/mailboxes/oauth/tokens.js';

const peers = peersConfig();

function realMailbox(protocol: 'pop3' | 'imap', address: string, extra: Record<string, unknown> = {}) {
  return {
    protocol,
    host: peers.host,
    port: protocol === 'pop3' ? peers.pop3Port : peers.imapPort,
    security: 'none',
    username: address,
    password: peers.password,
    address,
    pollSeconds: 3600,
    deleteUntracked: false,
    ...extra,
  };
}

for (const kind of STORE_KINDS) {
  describe(`tracking accounts on ${kind}`, () => {
    test('list, add, bind, edit, delete; secrets never returned; Reply-To from the project’s account', async (t) => {
      const h = await startTestApp(t, kind, { modules: [outboundModule(), createTrackingModule()] });
      if (!h) return;
      for (const key of ['ALPHA', 'BETA']) assert.equal((await h.admin.post('/api/v1/projects', { key, name: key })).status, 201);
      // Nothing listens on port 1: these accounts are only configured here, never reached.
      const mailbox = (protocol: 'pop3' | 'imap', address: string, extra: Record<string, unknown> = {}) => ({ ...realMailbox(protocol, address, extra), host: '127.0.0.1', port: 1 });
      const trkA = 'tracking-a@example.test';
      const trkB = 'tracking-b@example.test';

      // The single-account API edits the default account.
      assert.equal((await h.admin.put('/api/v1/admin/email/tracking', mailbox('pop3', trkA, { password: 'pw-of-a' }))).status, 200);
      let list = await h.admin.get('/api/v1/admin/email/accounts');
      assert.equal(list.status, 200);
      assert.equal(list.body.accounts.length, 1);
      assert.equal(list.body.accounts[0].id, 'default');
      assert.equal(list.body.accounts[0].isDefault, true);
      assert.equal(list.body.accounts[0].settings.address, trkA);
      assert.deepEqual(list.body.accounts[0].projects, ['ALPHA', 'BETA'], 'every project uses the default account');

      const created = await h.admin.post('/api/v1/admin/email/accounts', { name: 'Team Beta', projects: ['beta'], ...mailbox('imap', trkB, { password: 'pw-of-b' }) });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const idB = created.body.id as string;
      assert.match(idB, /^[0-9a-z]{26}$/);
      assert.deepEqual(created.body.projects, ['BETA']);
      assert.equal(created.body.settings.passwordSet, true);
      assert.deepEqual(created.body.status, { lastPollAt: null, lastPollError: null, lastPollResult: null, lastPollBy: null });

      list = await h.admin.get('/api/v1/admin/email/accounts');
      assert.deepEqual(
        list.body.accounts.map((a: { name: string; projects: string[] }) => [a.name, a.projects]),
        [
          ['Default', ['ALPHA']],
          ['Team Beta', ['BETA']],
        ],
      );
      const text = JSON.stringify(list.body);
      assert.ok(!text.includes('pw-of-a') && !text.includes('pw-of-b') && !text.includes('Sealed'), 'no secret in the listing');
      const rows = await h.running.ctx.store.db.selectFrom('tracking_accounts').select('settings').execute();
      assert.ok(rows.every((r) => !r.settings.includes('pw-of')), 'passwords sealed at rest');

      // Bad input gets clear errors.
      const dup = await h.admin.post('/api/v1/admin/email/accounts', { name: 'Again', ...mailbox('imap', trkB) });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error.code, 'tracking_account_duplicate');
      const sameAddress = await h.admin.post('/api/v1/admin/email/accounts', { name: 'Again', ...mailbox('pop3', 'other@example.test'), address: trkA });
      assert.equal(sameAddress.body.error.code, 'tracking_address_taken');
      const noProject = await h.admin.post('/api/v1/admin/email/accounts', { name: 'X', projects: ['NOPE'], ...mailbox('pop3', 'x@example.test') });
      assert.equal(noProject.status, 400);
      assert.match(noProject.body.error.message, /NOPE/);
      assert.equal((await h.admin.post('/api/v1/admin/email/accounts', { name: 'X', ...mailbox('pop3', 'x@example.test'), address: 'nope' })).status, 400);
      assert.equal((await h.admin.delete('/api/v1/admin/email/accounts/default')).body.error.code, 'default_account');
      assert.equal((await h.admin.get('/api/v1/admin/email/accounts/nope')).status, 404);
      const dev = await h.user('devuser', { project: 'BETA', group: 'Developers' });
      assert.equal((await dev.get('/api/v1/admin/email/accounts')).status, 403);

      // Mail of each project carries its own account's address as Reply-To.
      const replyToOf = async (key: string) => {
        const rec = await h.admin.post(`/api/v1/projects/${key}/records`, { type: 'defect', title: `About ${key}` });
        const sent = await h.admin.post(`/api/v1/projects/${key}/records/${rec.body.id}/emails`, { to: ['customer@example.test'], text: 'hello' });
        assert.equal(sent.status, 202, JSON.stringify(sent.body));
        const row = await h.running.ctx.store.db.selectFrom('emails').select(['raw_blob', 'message_id']).where('id', '=', sent.body.id).executeTakeFirstOrThrow();
        const parsed = await simpleParser(await h.running.ctx.blobs.get(row.raw_blob!));
        return { replyTo: parsed.replyTo?.value[0]?.address, messageId: row.message_id };
      };
      const alpha = await replyToOf('ALPHA');
      const beta = await replyToOf('BETA');
      assert.equal(alpha.replyTo, trkA);
      assert.equal(beta.replyTo, trkB);
      assert.match(beta.messageId!, /@example\.test>$/);

      // Editing keeps the password and the binding unless given; test and poll name the account.
      const { settings } = created.body;
      const { passwordSet: _p, configured: _c, ...fields } = settings;
      const edited = await h.admin.put(`/api/v1/admin/email/accounts/${idB}`, { name: 'Team B', ...fields, pollSeconds: 30 });
      assert.equal(edited.status, 200, JSON.stringify(edited.body));
      assert.equal(edited.body.name, 'Team B');
      assert.equal(edited.body.settings.pollSeconds, 30);
      assert.equal(edited.body.settings.passwordSet, true);
      assert.deepEqual(edited.body.projects, ['BETA']);
      const test_ = await h.admin.post(`/api/v1/admin/email/accounts/${idB}/test`);
      assert.equal(test_.body.ok, false);
      assert.match(test_.body.message, /^IMAP 127\.0\.0\.1:1 /);
      const poll = await h.admin.post(`/api/v1/admin/email/accounts/${idB}/poll`);
      assert.equal(poll.status, 503);
      assert.equal(poll.body.error.code, 'imap_connect_failed');
      const after = (await h.admin.get(`/api/v1/admin/email/accounts/${idB}`)).body.status;
      assert.ok(after.lastPollAt && after.lastPollError, 'the failed poll is recorded on that account');
      assert.equal((await h.admin.get('/api/v1/admin/email/accounts/default')).body.status.lastPollAt, null, 'and not on the default');

      // Deleting an account sends its projects back to the default.
      assert.equal((await h.admin.delete(`/api/v1/admin/email/accounts/${idB}`)).status, 204);
      list = await h.admin.get('/api/v1/admin/email/accounts');
      assert.deepEqual(list.body.accounts[0].projects, ['ALPHA', 'BETA']);
      assert.equal((await replyToOf('BETA')).replyTo, trkA);
    });
  });
}

test('three accounts (POP3, IMAP, Microsoft Graph) bound to three projects, imported concurrently by two serve processes on PostgreSQL: each reply filed once', { timeout: 300_000 }, async (t) => {
  if (!(await requirePostgres(t))) return;
  if (!(await requirePeers(t))) return;
  const db = await freshDatabase('postgres');
  t.after(() => db.drop());
  if (db.config.kind !== 'postgres') throw new Error('unreachable');
  const url = new URL(db.config.url);
  url.searchParams.set('schema', db.config.schema!);
  const env = { DATABASE_URL: url.toString(), MAILTRAIL_DATA: db.dataDir, MAILTRAIL_SECRET: 'two-process-secret-0123456789', MAILTRAIL_DEMO: '0' };

  const p1 = await serve(t, env);
  t.after(() => p1.stop());
  const call = async (p: Served, method: string, path: string, body?: unknown) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each caller asserts the fields it reads
    const r = await p.api<any>(method, path, body, p.token);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const trk = { A: newAddress('trk-a'), B: newAddress('trk-b'), C: newAddress('trk-c') };
  const graph = await new FakeGraph().start();
  t.after(() => graph.stop());
  graph.addMailbox(trk.C);
  await call(p1, 'PUT', '/api/v1/admin/email/sending', { host: peers.host, port: peers.smtpPort, security: 'none', allowSelfSigned: true });
  const records: Record<'A' | 'B' | 'C', string> = { A: '', B: '', C: '' };
  for (const k of ['A', 'B', 'C'] as const) {
    await call(p1, 'POST', '/api/v1/projects', { key: `PRJ${k}`, name: `Project ${k}` });
    records[k] = (await call(p1, 'POST', `/api/v1/projects/PRJ${k}/records`, { type: 'defect', title: `Record of ${k}` })).id;
  }
  // A over POP3 (the default account), B over IMAP with IDLE (an account of its own).
  await call(p1, 'PUT', '/api/v1/admin/email/tracking', realMailbox('pop3', trk.A, { pollSeconds: 1 }));
  const b = await call(p1, 'POST', '/api/v1/admin/email/accounts', { name: 'B', projects: ['PRJB'], ...realMailbox('imap', trk.B, { pollSeconds: 1 }) });
  // C reads a mailbox through Microsoft Graph (the fake server of this process), signed in with
  // an app-only OAuth2 token kept in the shared token store.
  const c = await call(p1, 'POST', '/api/v1/admin/email/accounts', {
    name: 'C', projects: ['PRJC'], protocol: 'graph', host: '127.0.0.1', port: Number(new URL(graph.baseUrl).port), security: 'none', username: trk.C, address: trk.C, pollSeconds: 1, deleteUntracked: false,
    auth: 'oauth2', oauth: { provider: 'generic', grant: 'app', authorizationUrl: 'http://127.0.0.1:1/authorize', tokenUrl: 'http://127.0.0.1:1/token', clientId: 'graph-app', clientSecret: 'graph-secret', scopes: ['https://graph.microsoft.com/.default'], mechanism: 'xoauth2' },
  });
  const tokenStore = await openStore({ kind: 'postgres', url: db.config.url, schema: db.config.schema! });
  await storeTokens({ store: tokenStore, config: { secret: env.MAILTRAIL_SECRET } }, c.id, { access_token: graph.issueToken(), expires_in: 3600 }, true);
  await tokenStore.close();
  const p2 = await serve(t, env);
  t.after(() => p2.stop());

  const N = 6;
  const sent: Record<'A' | 'B' | 'C', string[]> = { A: [], B: [], C: [] };
  for (const k of ['A', 'B', 'C'] as const) {
    for (let i = 0; i < N; i++) {
      const e = await call(i % 2 ? p2 : p1, 'POST', `/api/v1/projects/PRJ${k}/records/${records[k]}/emails`, { to: [newAddress(`cust-${k}${i}`)], subject: `Question ${i}`, text: `Question ${i} for ${k}` });
      sent[k].push(e.id);
    }
  }
  const store = await openStore({ kind: 'postgres', url: db.config.url, schema: db.config.schema! });
  t.after(() => store.close());
  await eventually(async () => (await store.db.selectFrom('emails').select('status').where('direction', '=', 'outbound').execute()).filter((r) => r.status === 'sent').length === 3 * N, 'the originals sent', 60_000, 200);
  const originals = await store.db.selectFrom('emails').select(['id', 'message_id', 'subject', 'to_list', 'project_id']).where('direction', '=', 'outbound').execute();

  // Pollers of both processes race for both accounts while the replies arrive.
  const pollers: Record<string, Set<string>> = { default: new Set(), [b.id]: new Set(), [c.id]: new Set() };
  const watch = setInterval(() => {
    void call(p1, 'GET', '/api/v1/admin/email/accounts')
      .then((r: { accounts: { id: string; status: { lastPollBy: string | null } }[] }) => {
        for (const a of r.accounts) if (a.status.lastPollBy) pollers[a.id]?.add(a.status.lastPollBy);
      })
      .catch(() => undefined);
  }, 150);
  t.after(() => clearInterval(watch));

  for (const k of ['A', 'B', 'C'] as const) {
    for (const id of sent[k]) {
      const o = originals.find((x) => x.id === id)!;
      const customer = (JSON.parse(o.to_list) as { address: string }[])[0]!.address;
      const raw = await compose({ from: customer, to: trk[k], subject: `Re: ${o.subject}`, text: `Answer from ${customer}`, inReplyTo: o.message_id!, references: [o.message_id!] });
      if (k === 'C') graph.deliver(trk.C, raw);
      else await sendViaPostfix({ from: customer, to: trk[k], raw });
    }
  }

  const inboundOf = async (k: 'A' | 'B' | 'C') => store.db.selectFrom('emails').select(['id', 'parent_id', 'message_id']).where('direction', '=', 'inbound').where('record_id', '=', records[k]).execute();
  await eventually(async () => (await inboundOf('A')).length >= N && (await inboundOf('B')).length >= N && (await inboundOf('C')).length >= N, 'every reply filed', 120_000, 200);
  // Both processes took part in polling each account (the lock decides who polls; both try).
  await eventually(async () => pollers.default!.size >= 2 && pollers[b.id]!.size >= 2 && pollers[c.id]!.size >= 2, 'both processes polled both accounts', 60_000, 200);
  clearInterval(watch);
  // Let the pollers run a few more rounds: nothing may be filed twice afterwards either.
  const mark = new Date().toISOString();
  await eventually(
    async () => {
      const r = await call(p1, 'GET', '/api/v1/admin/email/accounts');
      return r.accounts.every((a: { status: { lastPollAt: string | null } }) => (a.status.lastPollAt ?? '') > mark);
    },
    'a later poll of each account',
    30_000,
    200,
  );

  for (const k of ['A', 'B', 'C'] as const) {
    const inbound = await inboundOf(k);
    assert.equal(inbound.length, N, `project ${k}: each reply filed once`);
    assert.deepEqual(new Set(inbound.map((e) => e.parent_id)), new Set(sent[k]), `project ${k}: one reply under each original`);
    assert.equal(new Set(inbound.map((e) => e.message_id)).size, N);
    const forwards = await store.db.selectFrom('outbox').select('email_id').where('kind', '=', 'forward').where('email_id', 'in', inbound.map((e) => e.id)).execute();
    assert.equal(forwards.length, N, `project ${k}: one forward per reply`);
    if (k === 'C') assert.equal(graph.folder(trk.C).length, 0, 'project C: the Graph mailbox is empty');
    else assert.deepEqual(await readAllImap(trk[k]), [], `project ${k}: the tracking mailbox is empty`);
  }
  const accounts = await call(p2, 'GET', '/api/v1/admin/email/accounts');
  for (const a of accounts.accounts) assert.equal(a.status.lastPollError, null, `${a.name}: ${a.status.lastPollError}`);
  const byAccount = await store.db.selectFrom('inbound_messages').select(['account']).execute();
  assert.equal(byAccount.length, 3 * N, 'each message stored once');
  assert.equal(new Set(byAccount.map((r) => r.account)).size, 3);
});
