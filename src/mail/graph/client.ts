import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/**
 * A Microsoft Graph mail client for exactly what Mailtrail needs: list a folder's messages
 * (paged by `@odata.nextLink`), stream one as MIME (`$value`), delete or move it, and send a
 * raw MIME message (`sendMail` with a base64 body, so our Message-ID and headers survive).
 *
 * Verified against test/support/fakeGraph.ts (which follows Microsoft's documented shapes),
 * not against Microsoft's service.
 */

/** Where the bearer token comes from: the OAuth2 token store in production, a fake in tests. */
export interface TokenSource {
  getAccessToken(): Promise<string>;
  /** The server refused the token: the next getAccessToken must obtain a new one. */
  invalidate(): void;
}

export interface GraphClientOptions {
  /** e.g. https://graph.microsoft.com/v1.0 (no trailing slash). */
  baseUrl: string;
  tokens: TokenSource;
  /** Injected so tests control waiting (no wall clock); defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** A Retry-After above this is not waited for: the call fails as throttled and the caller tries later. */
  maxRetryAfterMs?: number;
  /** Throttled (429/503/504) retries of one request. */
  maxThrottleRetries?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export const GRAPH_LIMITS = { maxRetryAfterMs: 120_000, maxThrottleRetries: 3, timeoutMs: 60_000, pageSize: 100 };

/** The error body Graph documents: `{"error":{"code","message","innerError":{...}}}`. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** True when trying later may work (throttled, service unavailable, network). */
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

const THROTTLED = new Set([429, 503, 504]);

/** Retry-After is seconds (Graph) or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

async function errorOf(res: Response): Promise<GraphError> {
  let code = `http_${res.status}`;
  let message = res.statusText;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  return new GraphError(res.status, code, `Graph ${res.status} ${code}: ${message}`, THROTTLED.has(res.status) || res.status >= 500);
}

export interface GraphMessageRef {
  id: string;
  /** PidTagMessageSize when the server gives it (0 when not). */
  size: number;
  internetMessageId?: string;
}

/** PidTagMessageSize (0x0E08): Graph has no size property on message, only this MAPI one. */
const SIZE_PROPERTY = 'Integer 0x0E08';

function isSizeProperty(id: string): boolean {
  const m = /^integer\s+0x([0-9a-f]+)$/i.exec(id.trim());
  return m !== null && parseInt(m[1]!, 16) === 0x0e08;
}

export class GraphClient {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxRetryAfterMs: number;
  private readonly maxThrottleRetries: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: GraphClientOptions) {
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? GRAPH_LIMITS.maxRetryAfterMs;
    this.maxThrottleRetries = opts.maxThrottleRetries ?? GRAPH_LIMITS.maxThrottleRetries;
    this.timeoutMs = opts.timeoutMs ?? GRAPH_LIMITS.timeoutMs;
  }

  url(path: string): string {
    return `${this.opts.baseUrl.replace(/\/+$/, '')}${path}`;
  }

  /**
   * One request with Graph's rules: a 401 InvalidAuthenticationToken gets a new token and one
   * more try; 429/503/504 wait for Retry-After (exponential when absent), up to the bounds.
   * Answers the response when it is 2xx, throws GraphError otherwise.
   */
  async request(method: string, url: string, init: { body?: string; contentType?: string } = {}): Promise<Response> {
    let refreshed = false;
    let throttled = 0;
    for (;;) {
      const token = await this.opts.tokens.getAccessToken();
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(init.contentType ? { 'content-type': init.contentType } : {}) },
          ...(init.body !== undefined ? { body: init.body } : {}),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        throw new GraphError(0, 'graph_unreachable', `Graph could not be reached: ${err instanceof Error ? err.message : String(err)}`, true);
      }
      if (res.ok) return res;
      if (res.status === 401 && !refreshed) {
        await res.body?.cancel();
        // The token expired or was revoked early (clocks apart): one new token, one retry.
        this.opts.tokens.invalidate();
        refreshed = true;
        continue;
      }
      if (THROTTLED.has(res.status) && throttled < this.maxThrottleRetries) {
        const wait = retryAfterMs(res.headers.get('retry-after')) ?? 1000 * 2 ** throttled;
        if (wait <= this.maxRetryAfterMs) {
          await res.body?.cancel();
          throttled++;
          await this.sleep(wait);
          continue;
        }
      }
      throw await errorOf(res);
    }
  }

  /** Every message in a folder (well-known name such as "inbox", or a folder id), oldest first. */
  async listMessages(mailbox: string, folder: string, pageSize = GRAPH_LIMITS.pageSize): Promise<GraphMessageRef[]> {
    const q = new URLSearchParams({
      $select: 'id,internetMessageId,receivedDateTime',
      $orderby: 'receivedDateTime',
      $top: String(pageSize),
      $expand: `singleValueExtendedProperties($filter=id eq '${SIZE_PROPERTY}')`,
    });
    let next: string | undefined = this.url(`/users/${encodeURIComponent(mailbox)}/mailFolders/${encodeURIComponent(folder)}/messages?${q}`);
    const out: GraphMessageRef[] = [];
    const seen = new Set<string>();
    // A nextLink is followed as given (Graph's paging guide: do not edit it).
    while (next) {
      const page = (await (await this.request('GET', next)).json()) as {
        value: { id: string; internetMessageId?: string; singleValueExtendedProperties?: { id: string; value: string }[] }[];
        '@odata.nextLink'?: string;
      };
      for (const m of page.value) {
        if (seen.has(m.id)) continue;
        seen.add(m.id);
        // Graph answers the id normalised ("Integer 0xe08"): compare the tag as a number.
        const size = Number(m.singleValueExtendedProperties?.find((p) => isSizeProperty(p.id))?.value ?? 0);
        out.push({ id: m.id, size: Number.isFinite(size) ? size : 0, ...(m.internetMessageId ? { internetMessageId: m.internetMessageId } : {}) });
      }
      next = page['@odata.nextLink'];
    }
    return out;
  }

  /** The folder's display name and count: what the Test button shows. */
  async folderInfo(mailbox: string, folder: string): Promise<{ displayName: string; totalItemCount: number }> {
    const res = await this.request('GET', this.url(`/users/${encodeURIComponent(mailbox)}/mailFolders/${encodeURIComponent(folder)}`));
    return (await res.json()) as { displayName: string; totalItemCount: number };
  }

  /** The message's MIME bytes, streamed as they arrive. */
  async fetchMime(mailbox: string, id: string): Promise<Readable> {
    const res = await this.request('GET', this.url(`/users/${encodeURIComponent(mailbox)}/messages/${encodeURIComponent(id)}/$value`));
    if (!res.body) return Readable.from([]);
    return Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
  }

  async deleteMessage(mailbox: string, id: string): Promise<void> {
    await this.request('DELETE', this.url(`/users/${encodeURIComponent(mailbox)}/messages/${encodeURIComponent(id)}`));
  }

  async moveMessage(mailbox: string, id: string, destinationId: string): Promise<void> {
    const res = await this.request('POST', this.url(`/users/${encodeURIComponent(mailbox)}/messages/${encodeURIComponent(id)}/move`), {
      body: JSON.stringify({ destinationId }),
      contentType: 'application/json',
    });
    await res.body?.cancel();
  }

  /** Sends raw MIME as is: Graph takes recipients from its To/Cc/Bcc and keeps our headers. */
  async sendMime(sender: string, raw: Buffer): Promise<void> {
    const res = await this.request('POST', this.url(`/users/${encodeURIComponent(sender)}/sendMail`), {
      body: raw.toString('base64'),
      contentType: 'text/plain',
    });
    await res.body?.cancel();
  }
}
