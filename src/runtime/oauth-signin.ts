import type { Logger } from 'pino';
import { OpenIdAuthorizer } from '../../adapters/oauth/index.js';
import { AccessTokens } from '../oauth/access-tokens.js';
import type { BearerTokens, OAuthConnection } from '../ports/oauth.js';
import type { Store } from '../store/store.js';

/** One AccessTokens per store (per process), so every adapter of a grant shares its refresh in flight. */
const perStore = new WeakMap<Store, AccessTokens>();

export function accessTokensOf(store: Store, log: Logger): AccessTokens {
  let tokens = perStore.get(store);
  if (tokens === undefined) {
    tokens = new AccessTokens(store, new OpenIdAuthorizer(), log.child({ component: 'oauth2' }));
    perStore.set(store, tokens);
  }
  return tokens;
}

interface SignInSettings {
  oauth?: OAuthConnection;
  bearer?: BearerTokens;
}

function isSignInSettings(value: unknown): value is SignInSettings {
  return typeof value === 'object' && value !== null && 'oauth' in value && (value as SignInSettings).oauth !== undefined;
}

/**
 * The adapter `inner` with its connection settings completed: settings of an OAuth2 connection
 * (`oauth`, from config/server-settings.ts) get the grant's BearerTokens, which the adapter asks
 * for access tokens when it signs in. Every method of the adapter takes its settings as the
 * first argument (ports/mail.ts, dav.ts, address-book.ts, sending.ts, freebusy.ts).
 */
export function signingInWith<T extends object>(inner: T, tokens: AccessTokens): T {
  return new Proxy(inner, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (first: unknown, ...rest: unknown[]) => {
        const settings = isSignInSettings(first) && first.bearer === undefined ? { ...first, bearer: tokens.bearerFor(first.oauth!) } : first;
        return (value as (...args: unknown[]) => unknown).apply(target, [settings, ...rest]);
      };
    },
  });
}
