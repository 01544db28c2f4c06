/**
 * The Microsoft Graph driver against test/support/fakeGraph.ts (Microsoft's documented shapes;
 * not Microsoft's service): paging by @odata.nextLink, MIME streamed byte for byte, delete and
 * move to Deleted Items, sendMail with raw MIME keeping our Message-ID, 429/503 with Retry-After
 * (bounded, waited on an injected sleep, never the wall clock), a token expiring mid-poll
 * (one refresh, one retry), and the poller importing through a Graph session on SQLite and
 * PostgreSQL with removal only after the decision is committed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test, type TestContext } from 'node:test';
import { createTrackingModule } from '../../src/inbound/index.js';
import { graphBaseUrl, openMailbox, testMailbox } from '../../src/inbound/mailbox.js';
import { DEFAULT_TRACKING } from '../../src/inbound/trackingSettings.js';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { oauthModule } from '../../src/mailboxes/oauth/index.js';
import { storeTokens } from '../../src/mailboxes/oauth/tokens.js';
import { GraphClient, GraphError, GraphSession, type TokenSource } from '../../src/mailboxes/graph/index.js';
import { bounceAddress } from '../../src/tracking/cookie.js';
import { startTestApp } from '../support/app.js';
import { FakeGraph } from '../support/fakeGraph.js';
import { STORE_KINDS } from '../support/stores.js';

const TIMEOUT = { timeout: 60_000 };
const BOX = 'support-tracking@contoso.example';

async function fake(t: TestContext): Promise<FakeGraph> {
  const g = await new FakeGraph().start();
  t.after(() => g.stop());
  return g;
}

/** Tokens from the fake's issuer; counts how many were obtained and how many refusals were reported. */
function tokens(g: FakeGraph, ttlMs = 3_600_000): TokenSource & { issued: number; invalidated: number } {
  let current: string | undefined;
  const s = {
    issued: 0,
    invalidated: 0,
    async getAccessToken() {
      if (!current) {
        current = g.issueToken(ttlMs);
        s.issued++;
      }
      return current;
    },
    invalidate() {
      s.invalidated++;
      current = undefined;
    },
  };
  return s;
}

function client(g: FakeGraph, src: TokenSource, sleeps: number[] = [], extra: Partial<ConstructorParameters<typeof GraphClient>[0]> = {}): GraphClient {
  return new GraphClient({ baseUrl: g.baseUrl, tokens: src, sleep: async (ms) => void sleeps.push(ms), ...extra });
}

const mime = (n: number, body = 'hello') =>
  `Message-ID: <m${n}@customer.example>\r\nFrom: c@customer.example\r\nTo: ${BOX}\r\nSubject: n${n}\r\n\r\n${body}\r\n`;

describe('Graph client', () => {
  test('lists a folder across @odata.nextLink pages, with sizes, oldest first', TIMEOUT, async (t) => {
    const g = await fake(t);
    const ids = Array.from({ length: 250 }, (_, i) => g.deliver(BOX, mime(i)));
    const c = client(g, tokens(g));
    const listed = await c.listMessages(BOX, 'inbox', 100);
    assert.deepEqual(
      listed.map((m) => m.id),
      ids,
    );
    assert.equal(listed[7]!.size, Buffer.byteLength(mime(7)));
    assert.equal(listed[7]!.internetMessageId, '<m7@customer.example>');
    assert.equal(g.requests.filter((r) => r.path.endsWith('/messages')).length, 3, 'three pages of 100, 100, 50');
    assert.deepEqual(await c.listMessages(BOX, 'junkemail'), []);
    const missing = await c.listMessages(BOX, 'no-such-folder').catch((e: unknown) => e);
    assert.ok(missing instanceof GraphError);
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'ErrorItemNotFound');
    assert.equal(missing.transient, false);
  });

  test('streams MIME byte for byte; deletes; moves to Deleted Items; a shared mailbox is just another /users/{address}', TIMEOUT, async (t) => {
    const g = await fake(t);
    const big = Buffer.concat([Buffer.from(mime(1, '')), Buffer.alloc(300_000, 0x41), Buffer.from('\r\n\xe9\r\n', 'latin1')]);
    const a = g.deliver(BOX, big);
    const b = g.deliver('shared@contoso.example', mime(2));
    const c = client(g, tokens(g));
    const chunks: Buffer[] = [];
    for await (const chunk of await c.fetchMime(BOX, a)) chunks.push(chunk as Buffer);
    assert.ok(chunks.length > 1, 'arrives as a stream, not one buffer');
    assert.ok(Buffer.concat(chunks).equals(big));
    await c.moveMessage(BOX, a, 'deleteditems');
    assert.equal(g.folder(BOX).length, 0);
    assert.equal(g.folder(BOX, 'deleteditems').length, 1);
    await c.deleteMessage('shared@contoso.example', b);
    assert.equal(g.folder('shared@contoso.example').length, 0);
    const gone = await c.deleteMessage('shared@contoso.example', b).catch((e: unknown) => e);
    assert.ok(gone instanceof GraphError && gone.code === 'ErrorItemNotFound');
    assert.deepEqual(await c.folderInfo(BOX, 'deleteditems'), {
      id: 'folder-deleteditems',
      displayName: 'Deleted Items',
      totalItemCount: 1,
      unreadItemCount: 1,
    });
  });

  test('sendMail with raw MIME keeps our Message-ID and headers exactly', TIMEOUT, async (t) => {
    const g = await fake(t);
    g.addMailbox('customer@customer.example');
    const raw = Buffer.from(
      'Message-ID: <abc.COOKIE@mailtrail.example>\r\nFrom: Dev <dev@contoso.example>\r\nTo: customer@customer.example\r\nReply-To: tracking@contoso.example\r\nX-Mailtrail-Loop: t\r\nSubject: Hi\r\n\r\nbody\r\n',
    );
    await client(g, tokens(g)).sendMime('dev@contoso.example', raw);
    assert.equal(g.sent.length, 1);
    assert.equal(g.sent[0]!.sender, 'dev@contoso.example');
    assert.ok(g.sent[0]!.mime.equals(raw));
    assert.ok(g.folder('customer@customer.example')[0]!.mime.equals(raw), 'delivered to the recipient');
    assert.equal(g.folder('dev@contoso.example', 'sentitems').length, 1, 'the copy is in the sending mailbox’s Sent Items');
  });

  test('429 and 503 wait for Retry-After (exponential without one) within the bound, then give up as transient', TIMEOUT, async (t) => {
    const g = await fake(t);
    g.deliver(BOX, mime(1));
    const sleeps: number[] = [];
    const c = client(g, tokens(g), sleeps);
    g.throttleNext(2, '7');
    assert.equal((await c.listMessages(BOX, 'inbox')).length, 1);
    assert.deepEqual(sleeps, [7000, 7000]);
    sleeps.length = 0;
    g.throttleNext(2, null, 503);
    assert.equal((await c.listMessages(BOX, 'inbox')).length, 1);
    assert.deepEqual(sleeps, [1000, 2000]);
    sleeps.length = 0;
    // More throttling than the retry budget: the call fails, transient, after exactly three waits.
    g.throttleNext(10, '1');
    const over = await c.listMessages(BOX, 'inbox').catch((e: unknown) => e);
    assert.ok(over instanceof GraphError);
    assert.equal(over.status, 429);
    assert.equal(over.code, 'TooManyRequests');
    assert.equal(over.transient, true);
    assert.deepEqual(sleeps, [1000, 1000, 1000]);
    // A Retry-After beyond the bound is not slept on: the poll ends and the next one tries.
    sleeps.length = 0;
    g.throttleNext(1, '3600');
    const long = await c.listMessages(BOX, 'inbox').catch((e: unknown) => e);
    assert.ok(long instanceof GraphError && long.status === 429);
    assert.deepEqual(sleeps, []);
  });

  test('a token expiring mid-poll is refreshed once and the request retried; a second refusal fails', TIMEOUT, async (t) => {
    const g = await fake(t);
    const id = g.deliver(BOX, mime(1));
    const src = tokens(g);
    const c = client(g, src);
    assert.equal((await c.listMessages(BOX, 'inbox')).length, 1);
    g.clock.now += 3_600_000; // the hour of the token is over between listing and download
    const body = Buffer.concat(await (await c.fetchMime(BOX, id)).toArray());
    assert.equal(body.toString(), mime(1));
    assert.equal(src.invalidated, 1);
    assert.equal(src.issued, 2);
    assert.deepEqual(
      g.requests.slice(-2).map((r) => r.status),
      [401, 200],
    );
    // A source whose new token is refused too: one retry, then the error (no loop).
    const stale: TokenSource = { getAccessToken: async () => 'revoked-token', invalidate: () => undefined };
    const before = g.requests.length;
    const err = await client(g, stale)
      .fetchMime(BOX, id)
      .catch((e: unknown) => e);
    assert.ok(err instanceof GraphError);
    assert.equal(err.code, 'InvalidAuthenticationToken');
    assert.equal(g.requests.length - before, 2);
  });
});

function fixture(name: string, vars: Record<string, string>): Buffer {
  const text = readFileSync(new URL(`../fixtures/emails/${name}.eml`, import.meta.url), 'latin1');
  return Buffer.from(text.replace(/\{\{([A-Z_]+)\}\}/g, (_m, k: string) => vars[k] ?? `{{${k}}}`).replace(/\r?\n/g, '\r\n'), 'latin1');
}

for (const kind of STORE_KINDS) {
  describe(`tracked email through Graph on ${kind}`, () => {
    for (const removal of ['move', 'delete'] as const) {
      test(`send (sendMail MIME), reply in the Graph mailbox, import, forward, ${removal} after the commit`, TIMEOUT, async (t) => {
        const g = await fake(t);
        const TRACKING = 'tracking@contoso.example';
        const SENDER = 'dev@contoso.example';
        const CUSTOMER = 'customer@customer.example';
        g.addMailbox(CUSTOMER);
        const src = tokens(g, 60_000);
        const graph = client(g, src);
        const inboxAtCommit: number[] = [];
        const h = await startTestApp(t, kind, {
          modules: [
            outboundModule(),
            createTrackingModule({
              pollOptions: {
                opener: async (s) => new GraphSession(graph, { mailbox: s.username, folder: 'inbox', removal }),
                hooks: { afterCommit: () => void inboxAtCommit.push(g.folder(TRACKING).length) },
              },
            }),
          ],
        });
        if (!h) return;
        // The opener above is the Graph session; these settings give the account its identity.
        const put = await h.admin.put('/api/v1/admin/email/tracking', {
          protocol: 'imap',
          host: 'graph.invalid',
          port: 443,
          security: 'tls',
          username: TRACKING,
          password: 'unused',
          address: TRACKING,
          pollSeconds: 3600,
          deleteUntracked: false,
        });
        assert.equal(put.status, 200, JSON.stringify(put.body));
        assert.equal((await h.admin.post('/api/v1/projects', { key: 'TRK', name: 'Tracking' })).status, 201);
        const dev = await h.user('dev', { project: 'TRK', group: 'Developers', email: SENDER });
        const record = await dev.post('/api/v1/projects/TRK/records', { type: 'defect', title: 'Totals are off by one' });
        const sent = await dev.post(`/api/v1/projects/TRK/records/${record.body.id}/emails`, {
          to: [CUSTOMER],
          subject: 'Invoice totals',
          text: 'Could you check the totals on the March invoice?',
        });
        assert.equal(sent.status, 202, JSON.stringify(sent.body));
        const db = h.running.ctx.store.db;
        const original = await db.selectFrom('emails').selectAll().where('id', '=', sent.body.id).executeTakeFirstOrThrow();

        // Send the stored raw message through Graph: the customer gets our exact bytes.
        const raw = await h.running.ctx.blobs.get(original.raw_blob!);
        await graph.sendMime(SENDER, raw);
        const received = g.folder(CUSTOMER)[0]!;
        assert.ok(received.mime.equals(raw));
        assert.equal(received.internetMessageId, original.message_id);

        // The customer answers; the reply lands in the tracking mailbox on Graph.
        g.deliver(
          TRACKING,
          fixture('reply_gmail_in_reply_to', {
            COOKIE: original.cookie!,
            MESSAGE_ID: original.message_id!.replace(/^<|>$/g, ''),
            TRACKING,
            VERP: bounceAddress(TRACKING, original.cookie!),
            SENDER,
            CUSTOMER,
          }),
        );
        g.deliver(TRACKING, fixture('no_cookie_newsletter', { TRACKING, CUSTOMER, SENDER }));
        g.clock.now += 120_000; // the token has expired by the time of the poll: refreshed once
        g.throttleNext(1, '2');
        const poll = await h.admin.post('/api/v1/admin/email/tracking/poll');
        assert.equal(poll.status, 200, JSON.stringify(poll.body));
        assert.equal(poll.body.fetched, 2);
        assert.equal(poll.body.imported, 1);
        assert.equal(poll.body.forwarded, 1);
        assert.equal(poll.body.kept, 1);
        assert.deepEqual(inboxAtCommit, [2, 2], 'nothing left the mailbox before both decisions were committed');
        assert.equal(src.invalidated, 1);

        const thread = (await dev.get(`/api/v1/projects/TRK/records/${record.body.id}/emails`)).body.emails as {
          direction: string;
          parentId: string;
          replyText: string;
        }[];
        const reply = thread.find((e) => e.direction === 'inbound')!;
        assert.equal(reply.parentId, original.id);
        assert.equal(reply.replyText, 'Yes, the March totals are wrong by exactly one line.');
        const forwards = await db.selectFrom('outbox').select(['forward_to']).where('kind', '=', 'forward').execute();
        assert.deepEqual(forwards, [{ forward_to: SENDER }]);

        // The filed reply left the inbox (moved or deleted); the untracked newsletter stayed, fetched once.
        assert.equal(g.folder(TRACKING).length, 1);
        assert.match(g.folder(TRACKING)[0]!.mime.toString(), /newsletter/i);
        assert.equal(g.folder(TRACKING, 'deleteditems').length, removal === 'move' ? 1 : 0);
        const again = await h.admin.post('/api/v1/admin/email/tracking/poll');
        assert.equal(again.body.fetched, 0, 'nothing is downloaded twice');
      });
    }
  });
}

describe('Graph as a tracking protocol', () => {
  test('openMailbox and the Test button reach the Graph endpoint of the settings with the account’s bearer token', TIMEOUT, async (t) => {
    const g = await fake(t);
    g.deliver('shared@contoso.example', mime(1), 'junkemail');
    const port = Number(new URL(g.baseUrl).port);
    let refreshes = 0;
    let token = g.issueToken(1000);
    const settings = {
      ...DEFAULT_TRACKING,
      protocol: 'graph' as const,
      host: '127.0.0.1',
      port,
      security: 'none' as const,
      username: 'shared@contoso.example',
      address: 'shared@contoso.example',
      folder: 'junkemail',
      graphRemoval: 'move' as const,
      password: '',
      account: 'graph://shared',
      accountId: 'default',
      bearer: {
        mechanism: 'xoauth2' as const,
        token: async (o?: { forceRefresh?: boolean }) => {
          if (o?.forceRefresh) {
            refreshes++;
            token = g.issueToken();
          }
          return token;
        },
      },
    };
    assert.equal(graphBaseUrl(settings), g.baseUrl);
    assert.equal(graphBaseUrl({ host: 'graph.microsoft.com', port: 443, security: 'tls' }), 'https://graph.microsoft.com/v1.0');
    const probe = await testMailbox(settings);
    assert.equal(probe.ok, true, probe.message);
    assert.match(probe.message, /1 message\(s\) in Junk Email/);
    g.clock.now += 5000; // expired: the session refreshes through the bearer once
    const session = await openMailbox(settings);
    assert.equal(session.protocol, 'graph');
    const [m] = await session.list();
    await session.markForRemoval(m!.uid);
    assert.equal(g.folder('shared@contoso.example', 'junkemail').length, 1, 'marking removes nothing');
    assert.deepEqual(await session.commit(), [m!.uid]);
    assert.equal(g.folder('shared@contoso.example', 'deleteditems').length, 1);
    assert.equal(refreshes, 1);
    const noOAuth = await testMailbox({ ...settings, bearer: undefined });
    assert.equal(noOAuth.ok, false);
    assert.match(noOAuth.message, /OAuth2 only/);
  });

  test('the API stores protocol graph with its folder and removal choice', TIMEOUT, async (t) => {
    const h = await startTestApp(t, 'sqlite', { modules: [outboundModule(), createTrackingModule()] });
    if (!h) return;
    const put = await h.admin.put('/api/v1/admin/email/tracking', {
      protocol: 'graph',
      host: 'graph.microsoft.com',
      port: 443,
      security: 'tls',
      username: 'shared@contoso.example',
      address: 'shared@contoso.example',
      pollSeconds: 60,
      deleteUntracked: false,
      folder: 'AAMkADfolderid=',
      graphRemoval: 'move',
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.protocol, 'graph');
    assert.equal(put.body.folder, 'AAMkADfolderid=');
    assert.equal(put.body.graphRemoval, 'move');
    const bad = await h.admin.put('/api/v1/admin/email/tracking', { ...put.body, graphRemoval: 'shred' });
    assert.equal(bad.status, 400);
    const poll = await h.admin.post('/api/v1/admin/email/tracking/poll');
    assert.equal(poll.body.error.code, 'graph_needs_oauth');
  });
});

for (const kind of STORE_KINDS) {
  test(
    `the whole loop on Graph with no test seam on ${kind}: outbox sends by sendMail, the Graph tracking account imports, forwards by sendMail, deletes`,
    TIMEOUT,
    async (t) => {
      const g = await fake(t);
      const port = Number(new URL(g.baseUrl).port);
      const TRACKING = 'tracking@contoso.example';
      const SENDER = 'dev@contoso.example';
      const CUSTOMER = 'customer@customer.example';
      for (const a of [TRACKING, SENDER, CUSTOMER]) g.addMailbox(a);
      const h = await startTestApp(t, kind, { modules: [outboundModule(), createTrackingModule(), oauthModule] });
      if (!h) return;
      const ctx = h.running.ctx;
      const put = await h.admin.put('/api/v1/admin/email/tracking', {
        protocol: 'graph',
        host: '127.0.0.1',
        port,
        security: 'none',
        username: TRACKING,
        address: TRACKING,
        pollSeconds: 3600,
        deleteUntracked: false,
        folder: 'inbox',
        graphRemoval: 'delete',
        auth: 'oauth2',
        oauth: {
          provider: 'generic',
          grant: 'app',
          authorizationUrl: 'http://127.0.0.1:1/authorize',
          tokenUrl: 'http://127.0.0.1:1/token',
          clientId: 'graph-app',
          clientSecret: 'graph-secret',
          scopes: ['https://graph.microsoft.com/.default'],
          mechanism: 'xoauth2',
        },
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      // The token the (app-only) grant would have fetched, as the token store keeps it.
      await storeTokens(ctx, 'default', { access_token: g.issueToken(), expires_in: 3600 }, true);
      const sending = await h.admin.put('/api/v1/admin/email/sending', {
        transport: 'graph',
        host: '127.0.0.1',
        port,
        security: 'none',
        oauthAccountId: 'default',
      });
      assert.equal(sending.status, 200, JSON.stringify(sending.body));

      assert.equal((await h.admin.post('/api/v1/projects', { key: 'TRK', name: 'Tracking' })).status, 201);
      const dev = await h.user('dev', { project: 'TRK', group: 'Developers', email: SENDER });
      const record = await dev.post('/api/v1/projects/TRK/records', { type: 'defect', title: 'Totals are off by one' });
      const sent = await dev.post(`/api/v1/projects/TRK/records/${record.body.id}/emails`, {
        to: [CUSTOMER],
        subject: 'Invoice totals',
        text: 'Could you check the totals on the March invoice?',
      });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      const db = ctx.store.db;
      const sender = new Sender(ctx);
      assert.equal(await sender.drain(), 1);
      const original = await db.selectFrom('emails').selectAll().where('id', '=', sent.body.id).executeTakeFirstOrThrow();
      assert.equal(original.status, 'sent');
      assert.equal(g.sent[0]!.sender, SENDER, 'sent from the author’s mailbox (its From)');
      assert.ok(g.sent[0]!.mime.equals(await ctx.blobs.get(original.raw_blob!)), 'Graph got our exact bytes');
      assert.equal(g.folder(CUSTOMER)[0]!.internetMessageId, original.message_id);

      g.deliver(
        TRACKING,
        fixture('reply_gmail_in_reply_to', {
          COOKIE: original.cookie!,
          MESSAGE_ID: original.message_id!.replace(/^<|>$/g, ''),
          TRACKING,
          VERP: bounceAddress(TRACKING, original.cookie!),
          SENDER,
          CUSTOMER,
        }),
      );
      const poll = await h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(poll.status, 200, JSON.stringify(poll.body));
      assert.equal(poll.body.imported, 1);
      assert.equal(poll.body.forwarded, 1);
      assert.equal(g.folder(TRACKING).length, 0, 'deleted from the Graph mailbox after the commit');
      assert.equal(await sender.drain(), 1);
      const forward = g.sent[1]!;
      assert.equal(forward.sender, TRACKING, 'the forward leaves from the tracking mailbox');
      assert.equal(g.folder(SENDER).length, 1, 'the author got the forward');
      assert.match(forward.mime.toString(), /replied about/);
      await sender.stop();
    },
  );
}
