import { getAccessToken, type TokenContext } from '../oauth/index.js';
import type { TokenSource } from '../../mail/graph/client.js';

/**
 * Graph's bearer token from the account's OAuth2 sign-in (mailboxes/oauth): the stored token
 * while fresh; after a 401 the next call forces a refresh, so a token revoked early or judged
 * expired by a server whose clock runs ahead costs one retry, not a failed poll.
 */
export function oauthTokenSource(ctx: TokenContext, accountId: string): TokenSource {
  let force = false;
  return {
    async getAccessToken() {
      const forceRefresh = force;
      force = false;
      return (await getAccessToken(ctx, accountId, { forceRefresh })).token;
    },
    invalidate() {
      force = true;
    },
  };
}
