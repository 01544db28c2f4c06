import { Readable } from 'node:stream';
import type { MailboxOpener, MailboxSession, RemoteMessage } from '../../src/inbound/mailbox.js';

/**
 * An in-memory tracking mailbox with the same two-phase removal as POP3 (marks commit only at
 * commit()), for pipeline tests that need no mail server. `failOnFetch` simulates a connection
 * lost while a message is downloaded: the session dies and nothing marked is removed.
 */
export class FakeMailbox {
  private next = 1;
  readonly messages = new Map<string, Buffer>();
  fetches = 0;
  failOnFetch: string | undefined;

  add(raw: Buffer | string): string {
    const uid = `uid-${this.next++}`;
    this.messages.set(uid, Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'));
    return uid;
  }

  readonly opener: MailboxOpener = async () => {
    const marked = new Set<string>();
    let dead = false;
    const alive = () => {
      if (dead) throw new Error('connection lost');
    };
    const session: MailboxSession = {
      protocol: 'pop3',
      list: async () => {
        alive();
        return [...this.messages].map(([uid, raw]): RemoteMessage => ({ uid, size: raw.length }));
      },
      fetch: async (m) => {
        alive();
        this.fetches++;
        const raw = this.messages.get(m.uid);
        if (!raw) throw new Error(`no message ${m.uid}`);
        if (this.failOnFetch === m.uid) {
          dead = true;
          // Half the bytes, then the connection breaks.
          return new Readable({
            read() {
              this.push(raw.subarray(0, raw.length >> 1));
              this.destroy(new Error('connection reset by peer'));
            },
          });
        }
        return Readable.from([raw]);
      },
      markForRemoval: async (uid) => {
        alive();
        marked.add(uid);
      },
      commit: async () => {
        alive();
        for (const uid of marked) this.messages.delete(uid);
        return [...marked];
      },
      abort: () => {
        dead = true;
      },
    };
    return session;
  };
}
