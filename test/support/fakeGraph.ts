/**
 * A Microsoft Graph mail server for tests: exactly the endpoints Mailtrail uses, with the
 * status codes, bodies and error shapes of Microsoft's documentation. Mailtrail's Graph driver
 * is verified against this, not against Microsoft's service.
 *
 * - List messages in a folder, `$top`, `$select`, paging by `@odata.nextLink`:
 *   https://learn.microsoft.com/en-us/graph/api/mailfolder-list-messages
 *   https://learn.microsoft.com/en-us/graph/paging
 * - Get a message's MIME content (`GET /messages/{id}/$value`):
 *   https://learn.microsoft.com/en-us/graph/outlook-get-mime-message
 * - Delete a message (204): https://learn.microsoft.com/en-us/graph/api/message-delete
 * - Move a message (201 with the moved message, which gets a new id; well-known name
 *   `deleteditems`): https://learn.microsoft.com/en-us/graph/api/message-move
 *   https://learn.microsoft.com/en-us/graph/api/resources/mailfolder
 * - Send MIME (`POST /users/{id}/sendMail`, `Content-Type: text/plain`, base64 body, 202):
 *   https://learn.microsoft.com/en-us/graph/api/user-sendmail (example "send a new message
 *   using MIME format"), https://learn.microsoft.com/en-us/graph/outlook-send-mime-message
 * - Message size as the MAPI property PidTagMessageSize through `$expand=singleValueExtendedProperties`:
 *   https://learn.microsoft.com/en-us/graph/api/singlevaluelegacyextendedproperty-get
 * - Throttling (429 with Retry-After in seconds): https://learn.microsoft.com/en-us/graph/throttling
 * - Error responses `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`,
 *   401 InvalidAuthenticationToken, 404 ErrorItemNotFound: https://learn.microsoft.com/en-us/graph/errors
 *
 * Delta queries (https://learn.microsoft.com/en-us/graph/api/message-delta) are not served:
 * the driver lists the folder each poll (see docs/mailboxes.md for why).
 *
 * Time is the test's: `clock.now` decides token expiry; the server never waits.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGraphMessage {
  id: string;
  mime: Buffer;
  receivedDateTime: string;
  internetMessageId?: string;
}

interface Mailbox {
  folders: Map<string, FakeGraphMessage[]>;
}

const WELL_KNOWN = ['inbox', 'deleteditems', 'sentitems', 'junkemail', 'archive'];
const DISPLAY: Record<string, string> = { inbox: 'Inbox', deleteditems: 'Deleted Items', sentitems: 'Sent Items', junkemail: 'Junk Email', archive: 'Archive' };

export interface FakeGraphRequest {
  method: string;
  path: string;
  status: number;
}

export class FakeGraph {
  readonly clock = { now: 0 };
  readonly requests: FakeGraphRequest[] = [];
  /** Every sendMail, decoded: the sending mailbox and the exact MIME bytes. */
  readonly sent: { sender: string; mime: Buffer }[] = [];
  private readonly mailboxes = new Map<string, Mailbox>();
  private readonly tokens = new Map<string, number>();
  private throttle: { count: number; retryAfter: string | null; status: number } = { count: 0, retryAfter: null, status: 429 };
  /** Optional: fail a request once by matcher (e.g. expire every token before the first $value). */
  beforeRequest?: (method: string, path: string) => void;
  private server = createServer((req, res) => void this.handle(req, res));
  baseUrl = '';
  private seq = 0;

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1.0`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** An access token valid for `ttlMs` of the fake clock. */
  issueToken(ttlMs = 3_600_000): string {
    const t = `fake-graph-${randomUUID()}`;
    this.tokens.set(t, this.clock.now + ttlMs);
    return t;
  }

  expireAllTokens(): void {
    for (const t of this.tokens.keys()) this.tokens.set(t, this.clock.now - 1);
  }

  /** The next `count` requests are answered 429 (or `status`) with this Retry-After (null: none). */
  throttleNext(count: number, retryAfter: string | null = '3', status = 429): void {
    this.throttle = { count, retryAfter, status };
  }

  private box(address: string): Mailbox {
    const key = address.toLowerCase();
    let b = this.mailboxes.get(key);
    if (!b) {
      b = { folders: new Map(WELL_KNOWN.map((f) => [f, []])) };
      this.mailboxes.set(key, b);
    }
    return b;
  }

  /** Puts a message in a folder as Exchange would deliver it; answers its Graph id. */
  deliver(address: string, mime: Buffer | string, folder = 'inbox'): string {
    const id = `AAMk${(++this.seq).toString().padStart(6, '0')}${randomUUID().replace(/-/g, '')}=`;
    const bytes = Buffer.isBuffer(mime) ? mime : Buffer.from(mime);
    const internetMessageId = /^message-id:\s*(<[^>]+>)/im.exec(bytes.toString('latin1'))?.[1];
    const list = this.box(address).folders.get(folder) ?? [];
    this.box(address).folders.set(folder, list);
    list.push({
      id,
      mime: bytes,
      receivedDateTime: new Date(Date.UTC(2026, 0, 1) + this.seq * 1000).toISOString(),
      ...(internetMessageId ? { internetMessageId } : {}),
    });
    return id;
  }

  folder(address: string, folder = 'inbox'): FakeGraphMessage[] {
    return this.box(address).folders.get(folder) ?? [];
  }

  private error(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    const id = randomUUID();
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': id, ...headers });
    res.end(
      JSON.stringify({
        error: { code, message, innerError: { date: new Date(this.clock.now).toISOString().slice(0, 19), 'request-id': id, 'client-request-id': id } },
      }),
    );
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private find(address: string, id: string): { list: FakeGraphMessage[]; index: number } | undefined {
    for (const list of this.box(address).folders.values()) {
      const index = list.findIndex((m) => m.id === id);
      if (index >= 0) return { list, index };
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(url.pathname);
    const log = (status: number) => this.requests.push({ method, path, status });
    const fail = (status: number, code: string, message: string, headers?: Record<string, string>) => {
      log(status);
      this.error(res, status, code, message, headers);
    };
    try {
      this.beforeRequest?.(method, path);
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const expires = auth ? this.tokens.get(auth) : undefined;
      if (!auth || expires === undefined) return fail(401, 'InvalidAuthenticationToken', 'Access token is empty.');
      if (expires <= this.clock.now) return fail(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
      if (this.throttle.count > 0) {
        this.throttle.count--;
        return fail(
          this.throttle.status,
          this.throttle.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
          'Application is over its MailboxConcurrency limit.',
          this.throttle.retryAfter !== null ? { 'retry-after': this.throttle.retryAfter } : {},
        );
      }
      const m = /^\/v1\.0\/users\/([^/]+)(\/.*)$/.exec(path);
      if (!m) return fail(400, 'BadRequest', `Resource not found for the segment '${path}'.`);
      const [, user, rest] = m as unknown as [string, string, string];
      let r: RegExpExecArray | null;

      if (method === 'GET' && (r = /^\/mailFolders\/([^/]+)\/messages$/.exec(rest))) {
        const list = this.box(user).folders.get(r[1]!.toLowerCase()) ?? this.box(user).folders.get(r[1]!);
        if (!list) return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        const top = Math.min(Number(url.searchParams.get('$top') ?? 10), 1000);
        const skip = Number(url.searchParams.get('$skip') ?? 0);
        const withSize = (url.searchParams.get('$expand') ?? '').includes('0x0E08');
        const page = list.slice(skip, skip + top).map((msg) => ({
          '@odata.etag': `W/"${msg.id.slice(4, 16)}"`,
          id: msg.id,
          receivedDateTime: msg.receivedDateTime,
          ...(msg.internetMessageId ? { internetMessageId: msg.internetMessageId } : {}),
          ...(withSize ? { singleValueExtendedProperties: [{ id: 'Integer 0xe08', value: String(msg.mime.length) }] } : {}),
        }));
        const next = new URL(`${this.baseUrl}/users/${encodeURIComponent(user)}/mailFolders/${r[1]}/messages`);
        for (const [k, v] of url.searchParams) if (k !== '$skip') next.searchParams.set(k, v);
        next.searchParams.set('$skip', String(skip + top));
        log(200);
        res.writeHead(200, { 'content-type': 'application/json;odata.metadata=minimal' });
        res.end(
          JSON.stringify({
            '@odata.context': `${this.baseUrl}/$metadata#users('${user}')/mailFolders('${r[1]}')/messages`,
            value: page,
            ...(skip + top < list.length ? { '@odata.nextLink': next.toString() } : {}),
          }),
        );
        return;
      }
      if (method === 'GET' && (r = /^\/mailFolders\/([^/]+)$/.exec(rest))) {
        const key = r[1]!.toLowerCase();
        const list = this.box(user).folders.get(key);
        if (!list) return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        log(200);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: `folder-${key}`, displayName: DISPLAY[key] ?? key, totalItemCount: list.length, unreadItemCount: list.length }));
        return;
      }
      if (method === 'GET' && (r = /^\/messages\/([^/]+)\/\$value$/.exec(rest))) {
        const found = this.find(user, r[1]!);
        if (!found) return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        log(200);
        // Sent in pieces, so a client that waits for the whole body before reading is no different.
        res.writeHead(200, { 'content-type': 'text/plain' });
        const mime = found.list[found.index]!.mime;
        for (let i = 0; i < mime.length; i += 16 * 1024) res.write(mime.subarray(i, i + 16 * 1024));
        res.end();
        return;
      }
      if (method === 'DELETE' && (r = /^\/messages\/([^/]+)$/.exec(rest))) {
        const found = this.find(user, r[1]!);
        if (!found) return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        found.list.splice(found.index, 1);
        log(204);
        res.writeHead(204).end();
        return;
      }
      if (method === 'POST' && (r = /^\/messages\/([^/]+)\/move$/.exec(rest))) {
        const body = JSON.parse((await this.body(req)).toString() || '{}') as { destinationId?: string };
        const found = this.find(user, r[1]!);
        if (!found) return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        const dest = this.box(user).folders.get((body.destinationId ?? '').toLowerCase());
        if (!dest) return fail(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');
        const [msg] = found.list.splice(found.index, 1);
        // A moved message gets a new id (documented on message-move).
        const moved = { ...msg!, id: `${msg!.id.slice(0, -1)}M=` };
        dest.push(moved);
        log(201);
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: moved.id, internetMessageId: moved.internetMessageId, parentFolderId: body.destinationId }));
        return;
      }
      if (method === 'POST' && rest === '/sendMail') {
        if (!(req.headers['content-type'] ?? '').startsWith('text/plain')) {
          await this.body(req);
          return fail(400, 'ErrorInvalidRequest', 'This test server only serves sendMail in MIME format (Content-Type: text/plain).');
        }
        const text = (await this.body(req)).toString('latin1').replace(/\s+/g, '');
        if (!text || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0)
          return fail(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
        const mime = Buffer.from(text, 'base64');
        this.sent.push({ sender: user, mime });
        this.deliver(user, mime, 'sentitems');
        // Recipients that are mailboxes of this server get the message in their inbox.
        const head = mime
          .toString('latin1')
          .split(/\r?\n\r?\n/)[0]!
          .replace(/\r?\n[ \t]+/g, ' ');
        const rcpts = [...head.matchAll(/^(?:to|cc|bcc):(.*)$/gim)].flatMap((h) =>
          [...h[1]!.matchAll(/[^\s<>,"]+@[^\s<>,"]+/g)].map((a) => a[0].toLowerCase()),
        );
        for (const a of new Set(rcpts)) if (this.mailboxes.has(a)) this.deliver(a, mime);
        log(202);
        res.writeHead(202).end();
        return;
      }
      return fail(400, 'BadRequest', `Unsupported request ${method} ${rest}.`);
    } catch (err) {
      if (!res.headersSent) fail(500, 'InternalServerError', String(err));
    }
  }

  /** Makes a mailbox exist (recipients of sendMail are delivered only to existing ones). */
  addMailbox(address: string): void {
    this.box(address);
  }
}
