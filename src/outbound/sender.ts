import { hostname } from 'node:os';
import { GraphMailTransport, type MailTransport } from '../mailboxes/graph/index.js';
import { graphBaseUrl } from '../inbound/index.js';
import { nowIso } from '../clock.js';
import { newId } from '../ids.js';
import { WakeLoop } from '../core/loop.js';
import type { Worker } from '../core/module.js';
import type { AppContext } from '../core/context.js';
import { findEmail, updateEmail } from '../store/emails.repository.js';
import type { OutboxRow } from '../store/schema.js';
import { bounceAddress } from '../tracking/cookie.js';
import { loadDkimSigning, type DkimSigning } from '../dkim/index.js';
import { suppressRejected } from '../suppression/index.js';
import { buildForward } from './forward.js';
import { MAX_ATTEMPTS, claimOutbox, markOutboxDone, markOutboxFailed, markOutboxRetry, releaseOutbox } from './outbox.js';
import { loadSendingSettings, type SendingSettings } from './sendingSettings.js';
import { trackingIdentity } from './trackingAddress.js';
import { createTransport, describeSmtpError, isPermanent, isServerUnreachable } from './transport.js';

export interface SenderOptions {
  /** How many outbox entries one claim takes. */
  batch?: number;
  /** How long to sleep when nothing is due (enqueuers in this process wake it earlier). */
  idleMs?: number;
}

type Outcome = 'sent' | 'retry' | 'failed' | 'paused';

/** Runs `fn` up to five times over about two seconds; for database writes that must not be lost to a blip. */
async function retryBriefly<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/**
 * The outbound sender: claims due outbox entries, sends each one's stored raw message through
 * a pooled SMTP transport, and records the outcome. Several senders (processes) may run
 * against one PostgreSQL database; the claim makes each entry theirs alone.
 */
export class Sender {
  readonly owner = `${hostname()}:${process.pid}:${newId()}`;
  private transport: MailTransport | undefined;
  private transportKey = '';
  /** The SMTP server refused our OAuth2 token (EAUTH): the next round asks for a fresh one. */
  private tokenRefused = false;
  private readonly loop: WakeLoop;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: SenderOptions = {},
  ) {
    const idleMs = opts.idleMs ?? 1000;
    this.loop = new WakeLoop({
      round: async () => {
        await this.drain();
        return idleMs;
      },
      onError: (err) => this.ctx.log.error({ err }, 'sender loop failed'),
      retryMs: idleMs,
    });
  }

  private get stopped(): boolean {
    return this.loop.stopped;
  }

  start(): Worker {
    this.loop.start();
    return { name: 'sender', stop: () => this.stop() };
  }

  /** Makes the sender look at the outbox now (called after an enqueue in this process). */
  wake(): void {
    this.loop.wake();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    this.transport?.close();
  }

  /** Sends everything that is due now; returns how many entries it handled. */
  async drain(): Promise<number> {
    let handled = 0;
    while (!this.stopped) {
      // A server that refused our OAuth2 token gets a fresh one on the next round (once).
      const settings = await loadSendingSettings(this.ctx.store.db, this.ctx.config.secret, { forceRefresh: this.tokenRefused });
      this.tokenRefused = false;
      if (!settings || settings.paused) return handled;
      const claimed = await claimOutbox(this.ctx.store.db, this.ctx.store.dialect, this.owner, this.opts.batch ?? 50);
      if (claimed.length === 0) return handled;
      const transport = this.transportFor(settings);
      // Read with each batch, so a key generated or signing turned off applies to the next one.
      const dkim = await loadDkimSigning(this.ctx.store.db, this.ctx.config.secret);
      // The pool bounds SMTP concurrency; feed it as many messages as it has connections.
      const parallel = settings.onePerConnection ? 1 : settings.maxConnections;
      for (let i = 0; i < claimed.length; i += parallel) {
        // Shutting down: the sends under way have finished; the rest go back for another process.
        if (this.stopped) {
          const released = await releaseOutbox(this.ctx.store.db, claimed.slice(i).map((e) => e.id), this.owner);
          this.ctx.log.info({ released }, 'sender stopping: unsent claims released');
          return handled + i;
        }
        await Promise.all(claimed.slice(i, i + parallel).map((entry) => this.deliver(transport, entry, dkim)));
      }
      handled += claimed.length;
    }
    return handled;
  }

  private transportFor(settings: SendingSettings): MailTransport {
    const key = JSON.stringify(settings);
    if (!this.transport || key !== this.transportKey) {
      this.transport?.close();
      this.transport = settings.transport === 'graph' ? this.graphTransport(settings) : createTransport(settings);
      this.transportKey = key;
    }
    return this.transport;
  }

  /** Graph sendMail with the account's token; after a 401 the next token is a forced refresh. */
  private graphTransport(settings: SendingSettings): MailTransport {
    let token = settings.accessToken;
    const tokens = {
      getAccessToken: async () => {
        if (!token) token = (await loadSendingSettings(this.ctx.store.db, this.ctx.config.secret, { forceRefresh: true }))?.accessToken;
        if (!token) throw new Error('Graph sending needs OAuth2: choose the tracking account whose sign-in it uses.');
        return token;
      },
      invalidate: () => {
        token = undefined;
      },
    };
    return new GraphMailTransport({ baseUrl: graphBaseUrl(settings), tokens }, settings.username);
  }

  private async deliver(transport: MailTransport, entry: OutboxRow, dkim: DkimSigning | undefined): Promise<Outcome> {
    const db = this.ctx.store.db;
    const email = await findEmail(db, entry.email_id);
    if (!email) {
      await markOutboxFailed(db, entry.id, this.owner, 'the email was deleted before it was sent');
      return 'failed';
    }
    let accepted = false;
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      let raw: Buffer;
      let envelopeFrom: string;
      let recipients: string[];
      if (entry.kind === 'forward') {
        ({ raw, envelopeFrom } = await buildForward(this.ctx, email, entry.forward_to!));
        recipients = [entry.forward_to!];
      } else {
        raw = await this.ctx.blobs.get(email.raw_blob!);
        const identity = email.cookie ? await trackingIdentity(db, email.project_id) : undefined;
        // VERP: a bounce comes back to tracking+bounce-COOKIE@…, naming the exact email it is for.
        envelopeFrom = identity && email.cookie ? bounceAddress(identity.address, email.cookie) : email.from_address;
        // Bcc recipients are on the envelope only; the stored message never names them.
        const parties = [...JSON.parse(email.to_list), ...JSON.parse(email.cc_list), ...JSON.parse(email.bcc_list)] as { address: string }[];
        recipients = parties.map((p) => p.address);
      }
      // nodemailer's types say the DKIM key is a string; its signer hands it to crypto.sign, which takes a KeyObject.
      const info = await transport.sendMail({ envelope: { from: envelopeFrom, to: recipients }, raw, ...(dkim ? { dkim: dkim as unknown as { domainName: string; keySelector: string; privateKey: string } } : {}) });
      const rejected = ((info.rejected ?? []) as (string | { address: string })[]).map((r) => (typeof r === 'string' ? r : r.address));
      const rejectedErrors = ((info as { rejectedErrors?: { recipient?: string; response?: string }[] }).rejectedErrors ?? []);
      accepted = true;
      // The server has the message. A database hiccup now (a PostgreSQL restart) must not make
      // it go out again once the lease expires: the bookkeeping is retried for a few seconds.
      await retryBriefly(() => db.transaction().execute(async (tx) => {
        if (!(await markOutboxDone(tx, entry.id, this.owner))) return;
        const at = nowIso();
        if (entry.kind === 'forward') await updateEmail(tx, email.id, { status: 'forwarded', updated_at: at });
        else {
          await updateEmail(tx, email.id, {
            status: 'sent',
            error: rejected.length > 0 ? `Not accepted for: ${rejected.join(', ')}` : null,
            updated_at: at,
          });
          // Recipients the server refused because their mailbox does not exist: suppressed.
          await suppressRejected(tx, email, rejectedErrors);
        }
      }));
      this.ctx.log.info({ emailId: email.id, kind: entry.kind, to: recipients.length }, 'email sent');
      this.ctx.metrics?.recordSend(entry.kind, seconds(), 'sent');
      return 'sent';
    } catch (err) {
      // Not an SMTP failure: the entry keeps its lease and is sent again only if it expires.
      if (accepted) throw err;
      if ((err as { code?: string }).code === 'EAUTH') this.tokenRefused = true;
      const message = describeSmtpError(err);
      const code = (err as { responseCode?: number }).responseCode;
      // A server that is down for hours must not turn a weekend's mail into failures: only
      // attempts the server answered count against MAX_ATTEMPTS.
      if (isPermanent(err) || (entry.attempts >= MAX_ATTEMPTS && !isServerUnreachable(err))) {
        await db.transaction().execute(async (tx) => {
          await markOutboxFailed(tx, entry.id, this.owner, message);
          if (entry.kind === 'send') {
            await updateEmail(tx, email.id, { status: 'failed', error: message, updated_at: nowIso() });
            const refused = (err as { rejectedErrors?: { recipient?: string; response?: string }[] }).rejectedErrors;
            if (refused) await suppressRejected(tx, email, refused);
          }
        });
        this.ctx.log.warn({ emailId: email.id, err: message }, 'email failed permanently');
        this.ctx.metrics?.recordSend(entry.kind, seconds(), 'failed', { ...(code !== undefined ? { code } : {}), permanent: true });
        return 'failed';
      }
      await markOutboxRetry(db, entry.id, this.owner, entry.attempts, message);
      if (entry.kind === 'send') await updateEmail(db, email.id, { error: `Will retry: ${message}`, updated_at: nowIso() });
      this.ctx.log.warn({ emailId: email.id, attempt: entry.attempts, err: message }, 'email send failed; will retry');
      this.ctx.metrics?.recordSend(entry.kind, seconds(), 'retry', { ...(code !== undefined ? { code } : {}), permanent: false });
      return 'retry';
    }
  }
}
