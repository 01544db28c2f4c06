/**
 * Every bound the POP3 client puts on the server and the network, in one place. A tracking
 * account is fed by the outside world, so its server's replies are untrusted input.
 * Each value can be overridden per client (tests use tiny timeouts).
 */
export interface Pop3Limits {
  /**
   * Longest status line, or line of a CAPA/LIST/UIDL listing, the client buffers (bytes,
   * without CRLF). RFC 1939 caps responses at 512 octets and RFC 2449 at 512 for status lines;
   * 8 KiB leaves room for chatty servers while stopping a peer that never sends CRLF from
   * growing our buffer without end. Message content (RETR/TOP) is NOT line-buffered and is not
   * held to this: real mail has multi-megabyte single-line HTML and base64 parts, and
   * rejecting them would leave such a message stuck in the tracking account forever.
   */
  maxLineLength: number;
  /**
   * Largest message RETR/TOP accept (bytes, after dot-unstuffing). Above it the client gives
   * up with EMSGSIZE and drops the connection, since draining an unbounded reply could take
   * forever. 100 MiB is above what common providers accept (25–50 MB) while still
   * bounding disk use and the buffered `retr()`; check LIST sizes first to skip larger ones.
   */
  maxMessageSize: number;
  /**
   * TCP connect, plus the TLS handshake for implicit TLS (ms). A firewalled port drops SYNs
   * silently, and the OS would wait minutes before giving up.
   */
  connectTimeout: number;
  /**
   * From connected to the server's +OK greeting (ms). Servers that rate-limit or do reverse
   * DNS lookups delay it by seconds; a server that never greets is not POP3.
   */
  greetingTimeout: number;
  /**
   * Longest silence while a reply is due (ms). It restarts on every chunk received, so a
   * 50 MB RETR over a slow link never trips it as long as bytes keep flowing; a server that
   * stalls mid-reply does. It is paused while our own reader applies backpressure.
   */
  commandTimeout: number;
  /**
   * Longest time the connection may sit with no command pending before the client closes it
   * (ms). RFC 1939 servers may hold an exclusive lock on the maildrop for the whole session,
   * so a forgotten session would block the next poll; servers themselves only log out after
   * 10 minutes or more. Closing this way does not commit deletions (no QUIT).
   */
  idleTimeout: number;
}

export const defaultPop3Limits: Readonly<Pop3Limits> = Object.freeze({
  maxLineLength: 8 * 1024,
  maxMessageSize: 100 * 1024 * 1024,
  connectTimeout: 30_000,
  greetingTimeout: 30_000,
  commandTimeout: 60_000,
  idleTimeout: 5 * 60_000,
});
