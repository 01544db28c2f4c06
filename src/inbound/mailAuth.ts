import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
// The three checks by their own modules: mailauth's index also loads ARC, BIMI and VMC
// certificate parsing, 12 MB of RSS that a server filing replies never uses.
import type { DNSResolver } from 'mailauth';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { dmarc } from 'mailauth/lib/dmarc/index.js';
import { spf } from 'mailauth/lib/spf/index.js';
import type { ParsedMessage } from '../mail/mime/parsedMessage.js';
import type { AppContext } from '../core/context.js';

/**
 * SPF, DKIM and DMARC of an inbound message, evaluated with mailauth when the message is filed.
 *
 * Mailtrail fetches mail from a mailbox (POP3/IMAP); it never sees the SMTP session. The
 * client address SPF needs is read from the topmost `Received` header that names a sender
 * address other than loopback: the hop our own mail server wrote when it accepted the message.
 * Headers further down are the sender's to write, so a content filter on loopback is skipped,
 * but no deeper. Without such a hop SPF is `none` and DMARC rests on DKIM alone.
 *
 * The verdict is stored per email (emails.auth_results), shown as a badge, and a DMARC `fail`
 * marks the reply as from an unexpected sender even when the From address is a known party:
 * that is what a forged From looks like.
 */
export type AuthVerdict = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'policy';

export interface AuthResults {
  spf: { result: AuthVerdict; domain?: string; clientIp?: string };
  dkim: { result: AuthVerdict; signatures: { domain: string; selector?: string; result: AuthVerdict; aligned: boolean }[] };
  dmarc: { result: AuthVerdict; domain?: string; policy?: string };
  /** The From domain DMARC judged. */
  fromDomain?: string;
}

const VERDICTS = new Set<AuthVerdict>(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'policy']);
const verdict = (value: string | undefined): AuthVerdict => {
  const v = (value === 'temperr' ? 'temperror' : value) as AuthVerdict | undefined;
  return v && VERDICTS.has(v) ? v : 'none';
};

/** True when DMARC failed: the From domain publishes a policy and the message meets none of it. */
export function dmarcFailed(auth: AuthResults | undefined): boolean {
  return auth?.dmarc.result === 'fail';
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/i;

/** The client address and HELO name of the first hop into our own mail system. */
export function clientOf(msg: Pick<ParsedMessage, 'headers'>): { ip: string; helo?: string } | undefined {
  for (const value of msg.headers.get('received') ?? []) {
    const line = value.replace(/\s+/g, ' ');
    const from = /^\s*from\s+(\S+)\s*(\([^)]*\))?/i.exec(line);
    if (!from) continue;
    const ip = /\[(?:IPv6:)?([0-9a-fA-F:.]+)\]/.exec(from[2] ?? from[0])?.[1];
    if (!ip || isIP(ip) === 0) continue;
    if (LOOPBACK.test(ip)) continue;
    const helo = from[1] && from[1] !== `[${ip}]` ? from[1] : undefined;
    return { ip, ...(helo ? { helo } : {}) };
  }
  return undefined;
}

/** Top-level domains that never exist (RFC 2606, 6761): answered here, nothing is asked. */
const RESERVED_TLD = /\.(test|example|invalid|localhost|local)\.?$/i;

/**
 * The default resolver: the system's name servers, one try of 2 s per query, answers kept for
 * five minutes (a poll of a hundred replies from one domain asks once), reserved names never
 * asked, and name servers that time out left alone for a minute. A failing lookup throws like `dns.promises.resolve` does, which mailauth turns into
 * `temperror` or `none`.
 */
export function cachingResolver(opts: { timeoutMs?: number; ttlMs?: number; maxEntries?: number; pauseMs?: number; servers?: string[] } = {}): DNSResolver {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 2000, tries: 1 });
  if (opts.servers) resolver.setServers(opts.servers);
  const ttl = opts.ttlMs ?? 5 * 60_000;
  const max = opts.maxEntries ?? 2000;
  const cache = new Map<string, { at: number; value?: unknown; error?: unknown }>();
  // Name servers that time out or refuse are asked again only after a pause, so a host without
  // working DNS pays one timeout a minute, not one per lookup of every message.
  let downUntil = 0;
  const pauseMs = opts.pauseMs ?? 60_000;
  return async (name, rrtype) => {
    if (Date.now() < downUntil) throw Object.assign(new Error(`query${rrtype} ETIMEOUT ${name} (name servers unreachable, paused)`), { code: 'ETIMEOUT' });
    const key = `${rrtype} ${name.toLowerCase()}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ttl) {
      if (hit.error) throw hit.error;
      return hit.value as string[][];
    }
    let entry: { at: number; value?: unknown; error?: unknown };
    if (RESERVED_TLD.test(name)) entry = { at: Date.now(), error: Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' }) };
    else {
      try {
        entry = { at: Date.now(), value: await resolver.resolve(name, rrtype) };
      } catch (error) {
        const code = (error as { code?: string }).code ?? '';
        if (['ETIMEOUT', 'ECONNREFUSED', 'ESERVFAIL', 'ECANCELLED'].includes(code)) {
          downUntil = Date.now() + pauseMs;
          throw error; // not cached: the answer may come once the name servers are back
        }
        entry = { at: Date.now(), error };
      }
    }
    if (cache.size >= max) cache.delete(cache.keys().next().value as string);
    cache.set(key, entry);
    if (entry.error) throw entry.error;
    return entry.value as string[][];
  };
}

/** What dkimVerify would report about a message without DKIM-Signature: no results, its From and Return-Path. */
function unsignedFacts(msg: Pick<ParsedMessage, 'headers' | 'from'>): Pick<Awaited<ReturnType<typeof dkimVerify>>, 'results' | 'headerFrom' | 'envelopeFrom'> {
  const returnPath = /<?\s*([^<>\s]+@[^<>\s]+)\s*>?/.exec(msg.headers.get('return-path')?.[0] ?? '')?.[1];
  return { results: [], headerFrom: msg.from?.address ? [msg.from.address.toLowerCase()] : [], envelopeFrom: returnPath ?? false };
}

let shared: DNSResolver | undefined;

function resolverOf(ctx: AppContext): DNSResolver {
  return ctx.mailAuthResolver ?? (shared ??= cachingResolver());
}

/** Reads the stored message and judges it; undefined when checking is off or the check itself broke. */
export async function checkMailAuth(ctx: AppContext, rawBlob: string, msg: Pick<ParsedMessage, 'headers' | 'from'>): Promise<AuthResults | undefined> {
  if (ctx.config.mailAuth === false) return undefined;
  const resolver = resolverOf(ctx);
  try {
    // Without a signature there is nothing to hash: the raw message is not read again (that
    // pass over the body was a quarter of the import time of unsigned mail, BENCHMARKS.md).
    const dkim = msg.headers.has('dkim-signature') ? await dkimVerify(ctx.blobs.stream(rawBlob), { resolver }) : unsignedFacts(msg);
    const signatures = (dkim.results ?? [])
      .filter((r) => r.signingDomain)
      .map((r) => ({
        domain: r.signingDomain,
        ...(r.selector ? { selector: r.selector } : {}),
        result: verdict(r.status.result),
        aligned: Boolean(r.status.aligned),
      }));
    const dkimResult: AuthVerdict = signatures.some((s) => s.result === 'pass') ? 'pass' : (signatures[0]?.result ?? 'none');

    const client = clientOf(msg);
    const sender = dkim.envelopeFrom || undefined;
    let spfOut: AuthResults['spf'] = { result: 'none' };
    let spfDomain: string | undefined;
    if (client && (sender || client.helo)) {
      const res = await spf({
        ip: client.ip,
        ...(client.helo ? { helo: client.helo } : {}),
        ...(sender ? { sender } : {}),
        mta: 'mailtrail',
        resolver,
      } as Parameters<typeof spf>[0]);
      spfOut = { result: verdict(res.status.result), domain: res.domain, clientIp: client.ip };
      if (spfOut.result === 'pass') spfDomain = res.domain;
    }

    const headerFrom = dkim.headerFrom ?? [];
    let dmarcOut: AuthResults['dmarc'] = { result: 'none' };
    if (headerFrom.length > 0) {
      const res = await dmarc({
        headerFrom,
        spfDomains: spfDomain ? [spfDomain] : [],
        dkimDomains: (dkim.results ?? [])
          .filter((r) => r.status.result === 'pass')
          .map((r) => ({ domain: r.signingDomain, ...(r.status.aligned !== undefined ? { aligned: r.status.aligned } : {}) })),
        resolver,
      });
      if (res) dmarcOut = { result: verdict(res.status.result), ...(res.domain ? { domain: res.domain } : {}), ...(res.policy ? { policy: res.policy } : {}) };
    }
    return {
      spf: spfOut,
      dkim: { result: dkimResult, signatures },
      dmarc: dmarcOut,
      ...(headerFrom[0] ? { fromDomain: headerFrom[0].split('@').pop()!.toLowerCase() } : {}),
    };
  } catch (err) {
    // A check that cannot run says nothing about the message: it is filed without a verdict.
    ctx.log.warn({ err }, 'SPF/DKIM/DMARC check failed');
    return undefined;
  }
}
