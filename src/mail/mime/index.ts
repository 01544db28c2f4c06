/**
 * mail/mime: raw RFC 5322 bytes in, a ParsedMessage out. Pure (no I/O, no clock); every bound
 * on untrusted input is in limits.ts.
 */
export { parseMessage, parseMessageSync, parseAddressList, type ParseOptions } from './parseMessage.js';
export { UnparseableMessageError, type Address, type Attachment, type EncodedSegment, type ParsedMessage } from './parsedMessage.js';
export { Base64RunScanner, markerLine, newElision, type ByteRange, type Elision } from './elision.js';
export { Base64Decoder } from './transferEncoding.js';
export { defaultMimeLimits, type MimeLimits } from './limits.js';
export type { ProblemCode } from './problems.js';
export { splitMessageIds } from './messageIds.js';
export { htmlToText, decodeHtmlEntities } from './htmlToText.js';
export { decodeWithFallback, resolveCharset } from './charset.js';
