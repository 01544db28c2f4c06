export {
  GraphClient,
  GraphError,
  GRAPH_LIMITS,
  retryAfterMs,
  type GraphClientOptions,
  type GraphMessageRef,
  type TokenSource,
} from '../../mail/graph/client.js';
export { GraphSession, type GraphMailboxOptions } from './session.js';
export { oauthTokenSource } from './tokens.js';
export { GraphMailTransport, fromAddressOf, type MailTransport } from './transport.js';
