/** IMAP access to the tracking mailbox (over imapflow): list, fetch and delete by UID, and IDLE. */
export { ImapMailbox, probeImap, watchMailbox, type ImapConnectOptions, type ImapMessageInfo, type ImapSecurity, type MailboxWatch } from './imapMailbox.js';
export { ImapError, IMAP_ERROR_CODES, toImapError, type ImapErrorCode } from './errors.js';
export { defaultImapLimits, type ImapLimits } from './limits.js';
