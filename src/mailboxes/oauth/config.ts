import { open, seal } from '../../crypto/secretBox.js';
import { badRequest } from '../../errors.js';

/**
 * An account's OAuth2 client, as stored inside its settings document (the client secret sealed
 * with MAILTRAIL_SECRET like passwords). Endpoints and scopes are plain fields, filled in from
 * a preset and editable: tenants differ (Entra tenant ids, sovereign clouds), and a generic
 * OpenID/OAuth2 server has its own.
 */
export type OAuthProvider = 'microsoft' | 'google' | 'generic';
/**
 * delegated: an admin signs in once (authorization code + PKCE) and we keep the refresh token;
 * app: client credentials (a service principal), no person involved.
 */
export type OAuthGrant = 'delegated' | 'app';
/** The SASL mechanism used on IMAP, POP3 and SMTP. */
export type SaslMechanism = 'xoauth2' | 'oauthbearer';

export interface StoredOAuthConfig {
  provider: OAuthProvider;
  grant: OAuthGrant;
  authorizationUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecretSealed?: string;
  /** Space-separated when sent; a list here so the admin page can show one per line. */
  scopes: string[];
  mechanism: SaslMechanism;
  /** Extra query parameters of the authorization request (Google's access_type=offline). */
  authorizationParams?: Record<string, string>;
}

export interface OAuthConfig extends Omit<StoredOAuthConfig, 'clientSecretSealed'> {
  clientSecret?: string;
}

export type PublicOAuthConfig = Omit<StoredOAuthConfig, 'clientSecretSealed'> & { clientSecretSet: boolean };

/** What the admin sends: a missing clientSecret keeps the stored one, an empty string removes it. */
export type OAuthConfigInput = Omit<StoredOAuthConfig, 'clientSecretSealed' | 'authorizationParams'> & {
  clientSecret?: string;
  authorizationParams?: Record<string, string>;
};

export interface ServerPreset {
  imap: { host: string; port: number; security: 'tls' | 'starttls' | 'none' };
  pop3: { host: string; port: number; security: 'tls' | 'starttls' | 'none' };
  smtp: { host: string; port: number; security: 'tls' | 'starttls' | 'none' };
}

export interface OAuthPreset {
  provider: OAuthProvider;
  label: string;
  servers?: ServerPreset;
  /** Per grant: Microsoft's app-only tokens carry the `.default` scope of the resource. */
  oauth: Record<OAuthGrant, Omit<StoredOAuthConfig, 'clientId' | 'clientSecretSealed' | 'grant'> | null>;
}

const MS_TENANT = '{tenant}';
/**
 * Microsoft: https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth
 * Google: https://developers.google.com/gmail/imap/xoauth2-protocol (no app-only grant for
 * Gmail over IMAP: Google's service accounts sign JWTs with domain-wide delegation instead).
 * `{tenant}` in Microsoft's URLs is the directory (tenant) id or domain; `organizations` works
 * for delegated sign-in of any work account, app-only needs the real tenant.
 */
export const OAUTH_PRESETS: Record<OAuthProvider, OAuthPreset> = {
  microsoft: {
    provider: 'microsoft',
    label: 'Microsoft 365',
    servers: {
      imap: { host: 'outlook.office365.com', port: 993, security: 'tls' },
      pop3: { host: 'outlook.office365.com', port: 995, security: 'tls' },
      smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
    },
    oauth: {
      delegated: {
        provider: 'microsoft',
        authorizationUrl: `https://login.microsoftonline.com/${MS_TENANT}/oauth2/v2.0/authorize`,
        tokenUrl: `https://login.microsoftonline.com/${MS_TENANT}/oauth2/v2.0/token`,
        scopes: [
          'https://outlook.office.com/IMAP.AccessAsUser.All',
          'https://outlook.office.com/POP.AccessAsUser.All',
          'https://outlook.office.com/SMTP.Send',
          'offline_access',
        ],
        mechanism: 'xoauth2',
      },
      app: {
        provider: 'microsoft',
        authorizationUrl: '',
        tokenUrl: `https://login.microsoftonline.com/${MS_TENANT}/oauth2/v2.0/token`,
        scopes: ['https://outlook.office365.com/.default'],
        mechanism: 'xoauth2',
      },
    },
  },
  google: {
    provider: 'google',
    label: 'Google',
    servers: {
      imap: { host: 'imap.gmail.com', port: 993, security: 'tls' },
      pop3: { host: 'pop.gmail.com', port: 995, security: 'tls' },
      smtp: { host: 'smtp.gmail.com', port: 587, security: 'starttls' },
    },
    oauth: {
      delegated: {
        provider: 'google',
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: ['https://mail.google.com/'],
        mechanism: 'xoauth2',
        // Without these Google hands out no refresh token (or only on the first consent).
        authorizationParams: { access_type: 'offline', prompt: 'consent' },
      },
      app: null,
    },
  },
  generic: {
    provider: 'generic',
    label: 'Generic OpenID / OAuth2',
    oauth: {
      // prompt=consent: OpenID servers grant offline_access (a refresh token) only with it.
      delegated: {
        provider: 'generic',
        authorizationUrl: '',
        tokenUrl: '',
        scopes: ['offline_access'],
        mechanism: 'oauthbearer',
        authorizationParams: { prompt: 'consent' },
      },
      app: { provider: 'generic', authorizationUrl: '', tokenUrl: '', scopes: [], mechanism: 'oauthbearer' },
    },
  },
};

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Checks and seals what the admin sent, over what was stored. */
export function mergeOAuthConfig(secret: string, previous: StoredOAuthConfig | undefined, input: OAuthConfigInput): StoredOAuthConfig {
  const { clientSecret, ...fields } = input;
  const next: StoredOAuthConfig = {
    ...fields,
    authorizationUrl: fields.authorizationUrl.trim(),
    tokenUrl: fields.tokenUrl.trim(),
    clientId: fields.clientId.trim(),
    scopes: fields.scopes.map((s) => s.trim()).filter(Boolean),
  };
  if (!fields.authorizationParams) {
    const preset = OAUTH_PRESETS[fields.provider]?.oauth[fields.grant];
    if (preset?.authorizationParams) next.authorizationParams = preset.authorizationParams;
  }
  // The stored secret is only ever sent to the token endpoint it was saved for.
  if (previous?.clientSecretSealed && previous.tokenUrl === next.tokenUrl) next.clientSecretSealed = previous.clientSecretSealed;
  else if (previous?.clientSecretSealed && clientSecret === undefined) {
    throw badRequest(
      'client_secret_required',
      `Type the client secret again for ${next.tokenUrl.slice(0, 300)}: the stored one is only sent to ${previous.tokenUrl}.`,
      { field: 'oauth.clientSecret' },
    );
  }
  if (clientSecret !== undefined) {
    if (clientSecret === '') delete next.clientSecretSealed;
    else next.clientSecretSealed = seal(secret, clientSecret);
  }
  if (!next.clientId) throw badRequest('invalid_oauth', 'OAuth2 needs a client id.');
  if (!isHttpUrl(next.tokenUrl)) throw badRequest('invalid_oauth', 'OAuth2 needs a token endpoint URL.');
  if (next.grant === 'delegated' && !isHttpUrl(next.authorizationUrl))
    throw badRequest('invalid_oauth', 'Delegated sign-in needs an authorization endpoint URL.');
  if (next.grant === 'app' && !next.clientSecretSealed) throw badRequest('invalid_oauth', 'App-only sign-in (client credentials) needs a client secret.');
  if (next.tokenUrl.includes(MS_TENANT) || next.authorizationUrl.includes(MS_TENANT)) {
    throw badRequest('invalid_oauth', 'Replace {tenant} in the endpoint URLs with your directory (tenant) id.');
  }
  return next;
}

export function openOAuthConfig(secret: string, s: StoredOAuthConfig): OAuthConfig {
  const { clientSecretSealed, ...rest } = s;
  return clientSecretSealed ? { ...rest, clientSecret: open(secret, clientSecretSealed) } : rest;
}

export function toPublicOAuthConfig(s: StoredOAuthConfig): PublicOAuthConfig {
  const { clientSecretSealed, ...rest } = s;
  return { ...rest, clientSecretSet: Boolean(clientSecretSealed) };
}
