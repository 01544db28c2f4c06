// Reply trimming: the new part of a reply to a tracked email, with quotes and signatures cut
// off but kept. See CONTEXT.md for the layers and their pitfalls.
export { trimReply, type ReplySegment, type TrimInput, type TrimResult } from './trimReply.js';
export { splitSignature, type SignatureSplit } from './splitSignature.js';
export { trimPlainText, type PlainTrim } from './trimPlainText.js';
export type { HtmlQuoteKind } from './htmlQuote.js';
export { isEmbeddedLine } from './lineMatchers.js';
