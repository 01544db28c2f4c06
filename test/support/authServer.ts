/**
 * A real OAuth2/OpenID authorization server for the tests: oidc-provider (the certified Node
 * implementation) with authorization code + PKCE, refresh tokens, client credentials, token
 * introspection and revocation, and its own login and consent pages (devInteractions: any
 * login name, any password), which the browser test clicks through and `signIn` below submits
 * as a browser would.
 *
 * Dovecot checks tokens by introspection against this server (scripts/mail-peers.sh), so the
 * tests that sign in to Dovecot run it on the fixed AUTH_SERVER_PORT; others use port 0.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import Provider from 'oidc-provider';

/** Where scripts/mail-peers.sh points Dovecot's introspection (keep the two in step). */
export const AUTH_SERVER_PORT = 47810;
/** The client Dovecot introspects as (scripts/mail-peers/dovecot-oauth2.conf.ext). */
export const DOVECOT_CLIENT = { client_id: 'dovecot', client_secret: 'dovecot-introspection-secret' };

export interface AuthServerClient {
  client_id: string;
  client_secret?: string;
  redirect_uris?: string[];
  grant_types?: string[];
}

export interface AuthServer {
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
  provider: InstanceType<typeof Provider>;
  /** Revokes every refresh and access token issued for the login name (as an admin of the provider would). */
  revokeAll(accountId: string): Promise<void>;
  /** Revokes one access token, as if it expired early. */
  revokeAccessToken(token: string): Promise<void>;
  close(): Promise<void>;
}

export const SCOPES = ['openid', 'offline_access', 'email', 'mail'];

export async function startAuthServer(opts: {
  port?: number;
  clients: AuthServerClient[];
  /** Lifetime of access tokens, seconds. */
  accessTokenTtl?: number;
  /** The mailbox an app-only (client credentials) token may open, by client id. */
  appMailboxes?: Record<string, string>;
}): Promise<AuthServer> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const ttl = opts.accessTokenTtl ?? 600;
  const provider = new Provider(issuer, {
    clients: [
      { ...DOVECOT_CLIENT, grant_types: [], response_types: [], redirect_uris: [] },
      ...opts.clients.map((c) => ({
        client_id: c.client_id,
        ...(c.client_secret ? { client_secret: c.client_secret, token_endpoint_auth_method: 'client_secret_post' } : { token_endpoint_auth_method: 'none' }),
        grant_types: c.grant_types ?? ['authorization_code', 'refresh_token'],
        response_types: (c.grant_types ?? ['authorization_code']).includes('authorization_code') ? ['code'] : [],
        redirect_uris: c.redirect_uris ?? [],
      })),
    ],
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id, email: id }) }),
    claims: { openid: ['sub'], email: ['email'] },
    scopes: SCOPES,
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    // Dovecot's username_attribute: the mailbox a token opens. A person's token names the
    // login; an app-only token the mailbox its service principal was granted.
    extraTokenClaims: async (_ctx: unknown, token: { kind: string; clientId?: string; accountId?: string }) => {
      if (token.kind === 'ClientCredentials') {
        const mailbox = opts.appMailboxes?.[token.clientId ?? ''];
        return mailbox ? { email: mailbox } : undefined;
      }
      return token.accountId ? { email: token.accountId } : undefined;
    },
    ttl: { AccessToken: ttl, ClientCredentials: ttl, RefreshToken: 86_400, Grant: 86_400, Session: 86_400, Interaction: 600, AuthorizationCode: 120 },
    // Rotation, as Microsoft and most servers do: every refresh hands out a new refresh token.
    rotateRefreshToken: true,
    cookies: { keys: ['mailtrail-test-cookie-key'] },
  });
  provider.proxy = false;
  provider.on('server_error', (_ctx: unknown, err: Error) => console.error('authorization server error:', err));
  const callback = provider.callback();
  server.on('request', callback);

  // Every grant of a login name, from the refresh tokens the server saved for it.
  const grantsOf = new Map<string, Set<string>>();
  provider.on('refresh_token.saved', (token: { accountId?: string; grantId?: string }) => {
    if (!token.accountId || !token.grantId) return;
    if (!grantsOf.has(token.accountId)) grantsOf.set(token.accountId, new Set());
    grantsOf.get(token.accountId)!.add(token.grantId);
  });
  async function revokeAll(accountId: string): Promise<void> {
    for (const grantId of grantsOf.get(accountId) ?? []) {
      // One memory store for every model: this drops the grant's refresh and access tokens.
      await provider.Grant.adapter.revokeByGrantId(grantId);
      await (await provider.Grant.find(grantId))?.destroy();
    }
  }

  return {
    issuer,
    authorizationUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    provider,
    revokeAll,
    async revokeAccessToken(token: string) {
      const at = await provider.AccessToken.find(token);
      await at?.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Signs in on the server's own login and consent pages as a browser would (following
 * redirects, keeping its cookies), from the authorization URL Mailtrail built to the redirect
 * back to Mailtrail, which is returned (with ?code=…&state=…) without being followed.
 */
export async function signIn(authorizeUrl: string, login: string, redirectPrefix: string): Promise<string> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  };
  // URL normalises a default port away (http://localhost:80/ → http://localhost/).
  const back = new URL(redirectPrefix).toString();
  let url = authorizeUrl;
  let body: URLSearchParams | undefined;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(back) || url.startsWith(redirectPrefix)) return url;
    const res = await fetch(url, { method: body ? 'POST' : 'GET', body, redirect: 'manual', headers: { cookie: cookieHeader() } });
    keep(res);
    body = undefined;
    const location = res.headers.get('location');
    if (location) {
      url = new URL(location, url).toString();
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`authorization server answered ${res.status}: ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no form on the authorization server's page: ${html.slice(0, 300)}`);
    const form = new URLSearchParams();
    for (const [tag] of html.matchAll(/<input[^>]*>/g)) {
      const name = /name="([^"]+)"/.exec(tag)?.[1];
      if (name) form.set(name, /value="([^"]*)"/.exec(tag)?.[1] ?? '');
    }
    if (form.has('login')) form.set('login', login);
    if (form.has('password')) form.set('password', 'any');
    body = form;
    url = new URL(action, url).toString();
  }
  throw new Error('too many redirects at the authorization server');
}
