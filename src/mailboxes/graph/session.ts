import type { Readable } from 'node:stream';
import type { MailboxSession, RemoteMessage } from '../../inbound/index.js';
import { GraphClient, GraphError } from '../../mail/graph/client.js';

export interface GraphMailboxOptions {
  /** The mailbox: a user's or a shared mailbox's address (`/users/{address}/…`). */
  mailbox: string;
  /** A well-known folder name ("inbox", "junkemail", …) or a folder id. */
  folder: string;
  /** "delete" removes the message; "move" moves it to Deleted Items (recoverable by a person). */
  removal: 'delete' | 'move';
}

/**
 * The tracking mailbox over Graph, with the poller's two-phase removal: Graph deletes at once,
 * so markForRemoval only remembers, and commit() deletes (or moves) after the poller has made
 * every decision durable — the same order as POP3 QUIT and IMAP EXPUNGE.
 */
export class GraphSession implements MailboxSession {
  readonly protocol = 'graph';
  private readonly marked: string[] = [];
  private aborted = false;

  constructor(
    private readonly client: GraphClient,
    private readonly opts: GraphMailboxOptions,
  ) {}

  async list(): Promise<RemoteMessage[]> {
    return (await this.client.listMessages(this.opts.mailbox, this.opts.folder)).map((m) => ({ uid: m.id, size: m.size }));
  }

  fetch(message: RemoteMessage): Promise<Readable> {
    return this.client.fetchMime(this.opts.mailbox, message.uid);
  }

  async markForRemoval(uid: string): Promise<void> {
    this.marked.push(uid);
  }

  async commit(): Promise<string[]> {
    const removed: string[] = [];
    for (const id of this.marked) {
      if (this.aborted) break;
      try {
        if (this.opts.removal === 'move') await this.client.moveMessage(this.opts.mailbox, id, 'deleteditems');
        else await this.client.deleteMessage(this.opts.mailbox, id);
        removed.push(id);
      } catch (err) {
        // Gone already (a person deleted it): it is removed as far as we are concerned.
        if (err instanceof GraphError && err.status === 404) {
          removed.push(id);
          continue;
        }
        // Anything else: what was removed so far is reported; the rest is removed next poll.
        break;
      }
    }
    return removed;
  }

  abort(): void {
    this.aborted = true;
  }
}

