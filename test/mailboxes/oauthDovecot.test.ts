/**
 * OAuth2 sign-in against the real Dovecot and Postfix (scripts/mail-peers.sh): Dovecot's
 * oauth2 passdb introspects every token at the authorization server this file starts
 * (oidc-provider on the fixed AUTH_SERVER_PORT that the script points Dovecot at), so only
 * one test file may run it. Mail is sent over SMTP AUTH XOAUTH2 on Postfix's submission port,
 * then read, and deleted, over POP3 (AUTH XOAUTH2 / OAUTHBEARER) and IMAP (imapflow) with
 * tokens from the account's delegated and app-only grants. Faults: a token the server refuses
 * though ours says valid (refresh and retry once), a revoked grant (reconnect needed, the mail
 * still on the server), and password logins of the same mailbox still working.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seal } from '../../src/crypto/secretBox.js';
import { openMailbox, testMailbox } from '../../src/inbound/mailbox.js';
import { loadTrackingSettings, type TrackingSettings } from '../../src/inbound/trackingSettings.js';
import { completeAuthorization, startAuthorization } from '../../src/mailboxes/oauth/flow.js';
import { findTokenRow, getAccessToken, oauthStatus, ReconnectNeeded, type TokenContext } from '../../src/mailboxes/oauth/tokens.js';
import { Pop3Client, Pop3Error } from '../../src/mail/pop3/index.js';
import { loadSendingSettings, saveSendingSettings } from '../../src/outbound/sendingSettings.js';
import { createTransport, testSending } from '../../src/outbound/transport.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { insertTrackingAccount } from '../../src/store/trackingAccounts.repository.js';
import { logTail, newAddress, peersConfig, readAllImap, requirePeers, waitForMessageCount } from '../harness/mailPeers.js';
import { AUTH_SERVER_PORT, signIn, startAuthServer } from '../support/authServer.js';
import { oauthModule } from '../../src/mailboxes/oauth/index.js';
import { buildReply, drainOutbox, sendOriginal, startWorld } from '../inbound/support.js';
import { sendViaPostfix } from '../harness/mailPeers.js';
import { STORE_KINDS, freshStore, requirePostgres } from '../support/stores.js';

const peers = peersConfig();
const SECRET = 'test-secret-oauth-dovecot';
const REDIRECT = 'http://127.0.0.1:1/api/oauth/callback';
const SUBMISSION_PORT = 587;

async function drain(s: TrackingSettings): Promise<string[]> {
  const session = await openMailbox(s);
  const bodies: string[] = [];
  for (const m of await session.list()) {
    const stream = await session.fetch(m);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    bodies.push(Buffer.concat(chunks).toString('utf8'));
    await session.markForRemoval(m.uid);
  }
  await session.commit();
  return bodies;
}

for (const kind of STORE_KINDS) {
  describe(`OAuth2 sign-in on Dovecot + Postfix (${kind})`, { timeout: 120_000, concurrency: false }, () => {
    test('SMTP XOAUTH2 send; POP3 and IMAP read and delete; refused token refreshed once; revoked grant → reconnect needed, nothing lost', async (t) => {
      if (!(await requirePeers(t))) return;
      if (kind === 'postgres' && !(await requirePostgres(t))) return;
      const mailbox = newAddress('oauth');
      const appMailbox = newAddress('oauth-app');
      const auth = await startAuthServer({
        port: AUTH_SERVER_PORT,
        clients: [
          { client_id: 'mailtrail', client_secret: 'mailtrail-client-secret', redirect_uris: [REDIRECT] },
          { client_id: 'mailtrail-app', client_secret: 'app-secret', grant_types: ['client_credentials'] },
        ],
        appMailboxes: { 'mailtrail-app': appMailbox },
      });
      const s = await freshStore(kind);
      t.after(async () => {
        await s.close();
        await auth.close();
      });
      const ctx: TokenContext = { store: s.store, config: { secret: SECRET } };
      const account = (protocol: 'pop3' | 'imap', mechanism: 'xoauth2' | 'oauthbearer') => ({
        protocol,
        host: peers.host,
        port: protocol === 'pop3' ? peers.pop3Port : peers.imapPort,
        security: 'none',
        username: mailbox,
        address: mailbox,
        pollSeconds: 3600,
        deleteUntracked: false,
        allowSelfSigned: true,
        auth: 'oauth2',
        oauth: {
          provider: 'generic',
          grant: 'delegated',
          authorizationUrl: auth.authorizationUrl,
          tokenUrl: auth.tokenUrl,
          clientId: 'mailtrail',
          clientSecretSealed: seal(SECRET, 'mailtrail-client-secret'),
          scopes: ['openid', 'offline_access', 'mail'],
          mechanism,
          authorizationParams: { prompt: 'consent' },
        },
      });
      await setTrackingSettings(s.store.db, account('pop3', 'xoauth2'));
      const back = new URL(await signIn(await startAuthorization(ctx, 'default', REDIRECT), mailbox, REDIRECT));
      await completeAuthorization(ctx, Object.fromEntries(back.searchParams));

      // Sending signs in with the account's token: SMTP AUTH XOAUTH2 on the submission port.
      await saveSendingSettings(s.store.db, SECRET, {
        host: peers.host,
        port: SUBMISSION_PORT,
        security: 'none',
        username: mailbox,
        oauthAccountId: 'default',
        onePerConnection: true,
      });
      const sending = (await loadSendingSettings(s.store.db, SECRET))!;
      assert.ok(sending.accessToken);
      const verified = await testSending(sending);
      assert.ok(verified.ok, verified.message);
      assert.match(verified.message, /with OAuth2/);
      const transport = createTransport(sending);
      await transport.sendMail({ from: mailbox, to: mailbox, subject: 'over XOAUTH2 1', text: 'one' });
      await transport.sendMail({ from: mailbox, to: mailbox, subject: 'over XOAUTH2 2', text: 'two' });
      transport.close();
      // A wrong token is refused by Postfix (through Dovecot), so the success above was the token's.
      const refused = await testSending({ ...sending, accessToken: 'not-a-token' });
      assert.equal(refused.ok, false);
      await waitForMessageCount(mailbox, 2);

      // POP3 with XOAUTH2: read one, leaving the other; the test button signs in for real.
      const pop = (await loadTrackingSettings(s.store.db, SECRET))!;
      assert.ok(pop.bearer);
      const probe = await testMailbox(pop);
      assert.ok(probe.ok, `${probe.message}\n${await logTail(peers.dovecotLog)}`);
      assert.match(probe.message, /with OAuth2: 2 message/);

      // The server revokes the access token we hold (ours still says valid): refresh, retry once, read.
      const before = await getAccessToken(ctx, 'default');
      await auth.revokeAccessToken(before.token);
      const bodies = await drain(pop);
      assert.equal(bodies.length, 2);
      assert.ok(bodies.some((b) => b.includes('Subject: over XOAUTH2 1')));
      assert.notEqual((await getAccessToken(ctx, 'default')).token, before.token);
      assert.equal((await readAllImap(mailbox)).length, 0, 'POP3 QUIT removed them');

      // POP3 OAUTHBEARER; a bogus token gets the RFC 7628 error challenge, then -ERR.
      const raw = new Pop3Client({ host: peers.host, port: peers.pop3Port, security: 'none' });
      await raw.connect();
      const err = await raw.authenticate('OAUTHBEARER', mailbox, 'bogus').catch((e: unknown) => e);
      assert.ok(err instanceof Pop3Error && err.code === 'EAUTH', String(err));
      raw.close();
      await setTrackingSettings(s.store.db, account('pop3', 'oauthbearer'));
      await (async () => {
        const t2 = await createTransport({ ...(await loadSendingSettings(s.store.db, SECRET))! }).sendMail({
          from: mailbox,
          to: mailbox,
          subject: 'three',
          text: '3',
        });
        assert.ok(t2.messageId);
      })();
      await waitForMessageCount(mailbox, 1);
      assert.equal((await drain((await loadTrackingSettings(s.store.db, SECRET))!)).length, 1);

      // IMAP (imapflow picks OAUTHBEARER or XOAUTH2 as Dovecot offers).
      await setTrackingSettings(s.store.db, account('imap', 'xoauth2'));
      const tr = createTransport((await loadSendingSettings(s.store.db, SECRET))!);
      await tr.sendMail({ from: mailbox, to: mailbox, subject: 'four', text: '4' });
      tr.close();
      await waitForMessageCount(mailbox, 1);
      const imap = (await loadTrackingSettings(s.store.db, SECRET))!;
      const imapProbe = await testMailbox(imap);
      assert.ok(imapProbe.ok, imapProbe.message);
      assert.equal((await drain(imap)).length, 1);
      assert.equal((await readAllImap(mailbox)).length, 0, 'IMAP expunged it');

      // The grant is revoked: reconnect needed; mail that arrives meanwhile stays on the server.
      const tr2 = createTransport((await loadSendingSettings(s.store.db, SECRET))!);
      await tr2.sendMail({ from: mailbox, to: mailbox, subject: 'five', text: '5' });
      tr2.close();
      await waitForMessageCount(mailbox, 1);
      const tokenBefore = await findTokenRow(s.store.db, 'default');
      await auth.revokeAll(mailbox);
      await assert.rejects(openMailbox(imap), ReconnectNeeded);
      const status = await oauthStatus(s.store.db, 'default');
      assert.equal(status.state, 'reconnect_needed');
      assert.equal((await findTokenRow(s.store.db, 'default'))!.refresh_token_sealed, tokenBefore!.refresh_token_sealed, 'nothing deleted');
      await assert.rejects(loadSendingSettings(s.store.db, SECRET), ReconnectNeeded);
      // Password logins of the same mailbox are untouched by the oauth2 passdb (and see the mail).
      assert.equal((await readAllImap(mailbox)).length, 1, 'the mail is still there');

      // App-only: client credentials for the mailbox the service principal was granted.
      await insertTrackingAccount(s.store.db, {
        id: 'app',
        name: 'App',
        settings: {
          ...account('pop3', 'xoauth2'),
          username: appMailbox,
          address: appMailbox,
          oauth: {
            provider: 'generic',
            grant: 'app',
            authorizationUrl: '',
            tokenUrl: auth.tokenUrl,
            clientId: 'mailtrail-app',
            clientSecretSealed: seal(SECRET, 'app-secret'),
            scopes: ['mail'],
            mechanism: 'xoauth2',
          },
        },
      });
      const app = (await loadTrackingSettings(s.store.db, SECRET, 'app'))!;
      const appProbe = await testMailbox(app);
      assert.ok(appProbe.ok, appProbe.message);
      // …and only that one: the app's token does not open the delegated mailbox.
      const other = await testMailbox({ ...app, username: mailbox });
      assert.equal(other.ok, false);
    });

    for (const protocol of ['pop3', 'imap'] as const) {
      test(`the tracked-email loop with OAuth2 sign-in over ${protocol} and SMTP: send, reply, import, forward, delete`, async (t) => {
        if (!(await requirePeers(t))) return;
        const w = await startWorld(t, kind, { protocol }, { extraModules: [oauthModule] });
        if (!w) return;
        const callback = 'http://localhost:80/api/v1/admin/email/oauth/callback';
        const auth = await startAuthServer({
          port: AUTH_SERVER_PORT,
          clients: [{ client_id: 'mailtrail', client_secret: 'loop-secret', redirect_uris: [callback] }],
        });
        t.after(() => auth.close());
        // The tracking account switches from its password to OAuth2 (password removed), then Connect.
        const current = (await w.h.admin.get('/api/v1/admin/email/accounts/default')).body;
        const { passwordSet: _p, configured: _c, ...fields } = current.settings;
        const put = await w.h.admin.put('/api/v1/admin/email/accounts/default', {
          ...fields,
          name: current.name,
          password: '',
          auth: 'oauth2',
          oauth: {
            provider: 'generic',
            grant: 'delegated',
            authorizationUrl: auth.authorizationUrl,
            tokenUrl: auth.tokenUrl,
            clientId: 'mailtrail',
            clientSecret: 'loop-secret',
            scopes: ['openid', 'offline_access', 'mail'],
            mechanism: protocol === 'pop3' ? 'oauthbearer' : 'xoauth2',
          },
        });
        assert.equal(put.status, 200, JSON.stringify(put.body));
        assert.equal(put.body.settings.passwordSet, false);
        const connect = await w.h.admin.post('/api/v1/admin/email/accounts/default/oauth/connect');
        const back = new URL(await signIn(connect.body.url, w.tracking, callback));
        assert.match(String((await w.h.admin.get(`${back.pathname}${back.search}`)).headers.location), /oauth=connected/);
        // Sending signs in as the tracking mailbox with its token, on the submission port.
        const sending = await w.h.admin.put('/api/v1/admin/email/sending', {
          host: peers.host,
          port: SUBMISSION_PORT,
          security: 'none',
          username: w.tracking,
          oauthAccountId: 'default',
        });
        assert.equal(sending.status, 200, JSON.stringify(sending.body));
        const smtpTest = await w.h.admin.post('/api/v1/admin/email/sending/test');
        assert.equal(smtpTest.body.ok, true, smtpTest.body.message);
        assert.match(smtpTest.body.message, /with OAuth2/);
        const test1 = await w.h.admin.post('/api/v1/admin/email/accounts/default/test');
        assert.equal(test1.body.ok, true, test1.body.message);
        assert.match(test1.body.message, /with OAuth2/);

        const customer = newAddress('customer');
        const original = await sendOriginal(w, customer);
        assert.equal(original.received.replyTo[0]?.address, w.tracking);
        const reply = await buildReply(original.received, { from: customer, to: w.tracking, text: 'Works with OAuth too.' });
        await sendViaPostfix({ from: customer, to: w.tracking, raw: reply });
        await waitForMessageCount(w.tracking, 1);
        const poll = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
        assert.deepEqual(poll.body, { fetched: 1, imported: 1, forwarded: 1, deletedUntracked: 0, kept: 0, rejected: 0 });
        const thread = await w.dev.get(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`);
        const inbound = thread.body.emails.find((e: { direction: string }) => e.direction === 'inbound');
        assert.equal(inbound.parentId, original.id);
        assert.equal(inbound.replyText, 'Works with OAuth too.');
        assert.deepEqual(await readAllImap(w.tracking), [], 'deleted from the tracking mailbox');
        await drainOutbox(w.h);
        await waitForMessageCount(w.devAddress, 1);
        assert.match((await readAllImap(w.devAddress))[0]!.toString('latin1'), /Works with OAuth too\./);
        const after = await w.dev.get(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`);
        assert.equal(after.body.emails.find((e: { id: string }) => e.id === inbound.id).status, 'forwarded');
        const list = await w.h.admin.get('/api/v1/admin/email/accounts');
        assert.equal(list.body.accounts[0].oauth.state, 'connected');
      });
    }
  });
}
