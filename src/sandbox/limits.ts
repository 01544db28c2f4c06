/**
 * Every limit the sandbox puts on untrusted input, in one place. The sandbox listens on
 * loopback only, but a buggy client (or a test gone wrong) must still not be able to fill
 * the disk or the heap.
 */

/**
 * Largest message the sandbox SMTP server accepts, in bytes (RFC 1870 SIZE). 60 MB is well
 * above what real providers take (Gmail 25 MB, Microsoft 365 up to 150 MB with tuning, most
 * ISPs 20–50 MB) once base64 inflation is counted, so a message our own sender produces is
 * never refused here when a real server would take it.
 */
export const MAX_MESSAGE_BYTES = 60 * 1024 * 1024;

/**
 * Room the store keeps on top of MAX_MESSAGE_BYTES for the trace headers the SMTP side
 * prepends (Return-Path, Delivered-To, Received), so a message right at the SMTP limit is
 * still filed.
 */
export const TRACE_HEADER_ALLOWANCE = 64 * 1024;

/** RFC 5321 section 4.5.3.1.3: a path is at most 256 octets including the angle brackets. */
export const MAX_ADDRESS_LENGTH = 254;

/** Largest file the store writes into a mailbox. */
export const MAX_STORED_MESSAGE_BYTES = MAX_MESSAGE_BYTES + TRACE_HEADER_ALLOWANCE;

/**
 * Longest POP3 command line, CRLF included. RFC 2449 raises the limit to 255 octets, but
 * `USER` takes a whole address (up to 254 octets by RFC 5321) and `PASS` a password of the
 * operator's choosing, so we allow a little more than the RFC rather than refuse a legal login.
 */
export const MAX_POP3_LINE_BYTES = 1024;

/**
 * POP3 commands a client may send ahead of the replies (RFC 2449 PIPELINING) before we stop
 * reading its socket; keeps a flooding client from queueing unbounded work.
 */
export const MAX_POP3_PIPELINED_COMMANDS = 64;

/** RFC 1939 section 3: the autologout timer must be at least 10 minutes. */
export const POP3_IDLE_TIMEOUT_MS = 10 * 60 * 1000;

/** Idle SMTP connections are dropped after this (smtp-server's own default is 1 minute). */
export const SMTP_IDLE_TIMEOUT_MS = 5 * 60 * 1000;

/** RFC 5321 section 4.5.3.1.8 asks servers to accept at least 100 recipients. */
export const MAX_SMTP_RECIPIENTS = 1000;

/**
 * Connections each sandbox server holds at once. The demo's own poller and sender use one or
 * two; a client that opens hundreds (a loop gone wrong, a local user) must not use up the
 * process's file descriptors. The next one is told to come back (SMTP 421, POP3 -ERR
 * [SYS/TEMP]) and closed.
 */
export const MAX_SMTP_CLIENTS = 50;
export const MAX_POP3_CLIENTS = 50;

/** Time `close()` gives open connections to finish before they are cut. */
export const CLOSE_GRACE_MS = 2000;
