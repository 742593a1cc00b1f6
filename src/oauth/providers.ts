import { createHash } from 'node:crypto';
import type { OAuth2AuthConfig } from '../config/schema.js';
import type { OAuthClientSpec } from '../ports/oauth.js';

export type ConnectionKind = 'imap' | 'smtp' | 'caldav' | 'carddav';

interface ProviderPreset {
  authorizeUrl: string;
  tokenUrl: string;
  issuer: string;
  /** Scopes each kind of connection needs; undefined: the provider does not offer that protocol. */
  scopes: Partial<Record<ConnectionKind, string[]>>;
  /** Asked for with every connection's scopes. */
  alwaysScopes: string[];
  authorizeParams: Record<string, string>;
}

/**
 * Google: "https://mail.google.com/" is the one scope IMAP and SMTP accept
 * (developers.google.com/gmail/imap/xoauth2-protocol); calendar and carddav are the CalDAV and
 * CardDAV API scopes. Without access_type=offline Google issues no refresh token, and without
 * prompt=consent it issues one only on the first consent.
 * Microsoft: Exchange Online's IMAP and SMTP AUTH scopes (learn.microsoft.com, "Authenticate an
 * IMAP, POP or SMTP connection using OAuth"); offline_access makes it issue a refresh token.
 * Exchange Online has no CalDAV or CardDAV.
 */
const PRESETS: Record<'google' | 'microsoft', ProviderPreset> = {
  google: {
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    issuer: 'https://accounts.google.com',
    scopes: {
      imap: ['https://mail.google.com/'],
      smtp: ['https://mail.google.com/'],
      caldav: ['https://www.googleapis.com/auth/calendar'],
      carddav: ['https://www.googleapis.com/auth/carddav'],
    },
    alwaysScopes: [],
    authorizeParams: { access_type: 'offline', prompt: 'consent' },
  },
  microsoft: {
    authorizeUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    issuer: 'https://login.microsoftonline.com/common/v2.0',
    scopes: {
      imap: ['https://outlook.office.com/IMAP.AccessAsUser.All'],
      smtp: ['https://outlook.office.com/SMTP.Send'],
    },
    alwaysScopes: ['offline_access'],
    authorizeParams: {},
  },
};

/** Whether the provider offers this protocol at all (Microsoft has no CalDAV/CardDAV). */
export function providerOffers(provider: OAuth2AuthConfig['provider'], kind: ConnectionKind): boolean {
  return provider === 'custom' || PRESETS[provider].scopes[kind] !== undefined;
}

/** The client registration one connection's `auth` names, with the scopes that connection needs. */
export function oauthClientSpec(auth: OAuth2AuthConfig, kind: ConnectionKind): OAuthClientSpec {
  const preset = auth.provider === 'custom' ? undefined : PRESETS[auth.provider];
  // Both are required with provider: custom (config schema), so a preset or the config has them.
  const tokenUrl = auth.tokenUrl ?? preset?.tokenUrl ?? '';
  const spec: OAuthClientSpec = {
    provider: auth.provider,
    clientId: auth.clientId,
    authorizeUrl: auth.authorizeUrl ?? preset?.authorizeUrl ?? '',
    tokenUrl,
    issuer: auth.issuer ?? (auth.tokenUrl === undefined ? preset?.issuer : undefined) ?? new URL(tokenUrl).origin,
    scopes: unique([...(auth.scopes ?? preset?.scopes[kind] ?? []), ...(preset?.alwaysScopes ?? [])]),
    authorizeParams: { ...(preset?.authorizeParams ?? {}) },
  };
  if (auth.clientSecret !== undefined && auth.clientSecret !== '') spec.clientSecret = auth.clientSecret;
  return spec;
}

/**
 * Connections of one owner that name the same client at the same token endpoint share one grant
 * (one Connect, one refresh token): its key, stable across restarts and config reorderings.
 */
export function grantKeyOf(spec: Pick<OAuthClientSpec, 'tokenUrl' | 'clientId'>): string {
  return createHash('sha256').update(`${spec.tokenUrl}\n${spec.clientId}`).digest('hex').slice(0, 16);
}

/** One grant asked for on behalf of several connections: the union of their scopes. */
export function mergeSpecs(specs: readonly OAuthClientSpec[]): OAuthClientSpec {
  const [first, ...rest] = specs;
  if (first === undefined) throw new Error('mergeSpecs needs at least one spec');
  return { ...first, scopes: unique([first, ...rest].flatMap((spec) => spec.scopes)) };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
