/**
 * Every bound the IMAP client puts on the server and the network, in one place. The tracking
 * account is a third-party server; each bound answers "how long or how much does a healthy
 * server need?" with a wide margin, so a hung or hostile server costs one failed poll, never a
 * stuck poller or an exhausted heap.
 */
export interface ImapLimits {
  /** DNS + TCP + TLS handshake. A reachable server answers within seconds. */
  readonly connectTimeoutMs: number;
  /** From connect to the server's greeting; slow greeters (tarpits) give up here. */
  readonly greetingTimeoutMs: number;
  /**
   * Silence on an open socket before the connection is declared dead. Downloads stream
   * continuously, so this only fires on a stalled server; it must exceed the IDLE refresh.
   */
  readonly socketTimeoutMs: number;
  /**
   * Bytes of one message. The same bound as the POP3 client and the poller (100 MiB): larger
   * messages stay on the server and are never downloaded. The whole message is held in memory
   * once (imapflow buffers a literal), so this is also the peak memory of one fetch.
   */
  readonly maxMessageBytes: number;
  /**
   * One response line without a literal. UID FETCH of a big mailbox answers one line per
   * message, each short; a line of megabytes is a broken or hostile server.
   */
  readonly maxLineBytes: number;
  /** IDLE is restarted this often: servers and NAT boxes drop connections silent for ~30 min. */
  readonly idleRefreshMs: number;
}

export const defaultImapLimits: ImapLimits = Object.freeze({
  connectTimeoutMs: 20_000,
  greetingTimeoutMs: 16_000,
  socketTimeoutMs: 5 * 60_000,
  maxMessageBytes: 100 * 1024 * 1024,
  maxLineBytes: 1024 * 1024,
  idleRefreshMs: 10 * 60_000,
});
