/**
 * mail/mime: raw RFC 5322 bytes in, a ParsedMessage out. Pure (no I/O, no clock); every bound
 * on untrusted input is in limits.ts.
 */
export { parseMessage, parseMessageSync, parseAddressList, type ParseOptions } from './parse-message.js';
export { UnparseableMessageError, type Address, type Attachment, type EncodedSegment, type ParsedMessage } from './parsed-message.js';
export { Base64RunScanner, markerLine, newElision, type ByteRange, type Elision } from './elision.js';
export { Base64Decoder } from './transfer-encoding.js';
export { defaultMimeLimits, type MimeLimits } from './limits.js';
export type { ProblemCode } from './problems.js';
export { splitMessageIds } from './message-ids.js';
export { htmlToText, decodeHtmlEntities } from './html-to-text.js';
export { decodeWithFallback, resolveCharset } from './charset.js';
