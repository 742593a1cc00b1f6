import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/domain/errors.js';
import { AccessTokens, isReauthorisationNeeded, renewDue, storeNewGrant } from '../../../src/oauth/access-tokens.js';
import { grantKeyOf } from '../../../src/oauth/providers.js';
import { GRANT_REFUSED, type OAuthAuthorizer, type OAuthClientSpec, type OAuthConnection, type OAuthTokenSet } from '../../../src/ports/oauth.js';
import { createTestStore, testDatabase, type TestStore } from '../../support/memory-store.js';

const client: OAuthClientSpec = { provider: 'custom', clientId: 'bridge', clientSecret: 's', authorizeUrl: 'https://as.example/auth', tokenUrl: 'https://as.example/token', issuer: 'https://as.example', scopes: ['mail'], authorizeParams: {} };
const connection: OAuthConnection = { owner: { type: 'user', id: 'alice' }, client };
const key = grantKeyOf(client);

/** An authorization server that rotates refresh tokens and refuses a used or revoked one, as RFC 9700 §4.14.2 describes. */
class FakeAuthorizer implements OAuthAuthorizer {
  refreshes = 0;
  valid = new Set<string>(['rt-0']);
  lifetimeSeconds = 3600;
  delayMs = 0;
  constructor(private readonly clock: () => Date) {}
  authorizationUrl(): string {
    return 'https://as.example/auth';
  }
  async exchangeCode(): Promise<OAuthTokenSet> {
    throw new Error('not used');
  }
  async refresh(_spec: OAuthClientSpec, refreshToken: string): Promise<OAuthTokenSet> {
    this.refreshes += 1;
    const number = this.refreshes;
    const known = this.valid.delete(refreshToken);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (!known) throw new BridgeError('AUTH', 'refused', { details: [{ path: GRANT_REFUSED, message: 'invalid_grant: grant request is invalid' }] });
    const next = `rt-${number}`;
    this.valid.add(next);
    return { accessToken: `at-${number}`, refreshToken: next, expiresAt: new Date(this.clock().getTime() + this.lifetimeSeconds * 1000).toISOString() };
  }
}

let t: TestStore;
let now: Date;
let server: FakeAuthorizer;
let tokens: AccessTokens;

beforeEach(async () => {
  t = await createTestStore();
  now = new Date('2026-12-07T10:00:00Z');
  server = new FakeAuthorizer(() => now);
  tokens = new AccessTokens(t.store, server, pino({ level: 'silent' }), () => now, 100);
  await storeNewGrant(t.store, connection.owner, key, { accessToken: 'at-first', refreshToken: 'rt-0', expiresAt: new Date(now.getTime() + 3600_000).toISOString() }, now);
});
afterEach(async () => t.close());

describe('AccessTokens', () => {
  it('sends the stored token while it is fresh and refreshes it five minutes before it expires', async () => {
    expect(await tokens.accessToken(connection)).toBe('at-first');
    now = new Date(now.getTime() + 54 * 60_000);
    expect(await tokens.accessToken(connection)).toBe('at-first');
    expect(server.refreshes).toBe(0);
    now = new Date(now.getTime() + 2 * 60_000);
    expect(await tokens.accessToken(connection)).toBe('at-1');
    expect(server.refreshes).toBe(1);
    // The rotated refresh token was stored: the next refresh uses it and is not refused.
    expect((await t.store.oauthGrants.get('user', 'alice', key))?.refreshToken).toBe('rt-1');
  });

  it('renews a short-lived token after half its life', () => {
    const connectedAt = '2026-12-07T10:00:00.000Z';
    const grant = { connectedAt, expiresAt: '2026-12-07T10:01:00.000Z' };
    expect(renewDue(grant, new Date('2026-12-07T10:00:29Z'))).toBe(false);
    expect(renewDue(grant, new Date('2026-12-07T10:00:31Z'))).toBe(true);
    expect(renewDue({ connectedAt }, new Date('2030-01-01T00:00:00Z'))).toBe(false);
  });

  it('refreshes once for a token the server refused, and once for many callers at the same time', async () => {
    server.delayMs = 20;
    const all = await Promise.all([1, 2, 3, 4].map(() => tokens.accessToken(connection, 'at-first')));
    expect(all).toEqual(['at-1', 'at-1', 'at-1', 'at-1']);
    expect(server.refreshes).toBe(1);
    // A caller that saw at-first refused after another one already refreshed gets at-1 without a refresh.
    expect(await tokens.accessToken(connection, 'at-first')).toBe('at-1');
    expect(server.refreshes).toBe(1);
  });

  it('refreshes a grant once when two processes need a new token at the same time', async () => {
    server.delayMs = 30;
    const otherProcess = new AccessTokens(t.store, server, pino({ level: 'silent' }), () => now, 100);
    const [mine, theirs] = await Promise.all([tokens.accessToken(connection, 'at-first'), otherProcess.accessToken(connection, 'at-first')]);
    expect([mine, theirs]).toEqual(['at-1', 'at-1']);
    // PostgreSQL: the second waits for the first's lock and finds its token. SQLite (one serve
    // process): the second's refresh with the rotated-away token is refused, and it takes the
    // token the first one stored instead of marking the grant refused.
    expect(server.refreshes).toBe(testDatabase === 'postgres' ? 1 : 2);
    expect((await t.store.oauthGrants.get('user', 'alice', key))?.refusedAt).toBeUndefined();
  });

  it('marks the grant refused and stops asking the server until the next Connect', async () => {
    server.valid.clear();
    const error = await tokens.accessToken(connection, 'at-first').catch((caught: unknown) => caught);
    expect(isReauthorisationNeeded(error)).toBe(true);
    expect((error as Error).message).toContain('user "alice" needs re-authorisation: invalid_grant');
    const again = await tokens.accessToken(connection).catch((caught: unknown) => caught);
    expect(isReauthorisationNeeded(again)).toBe(true);
    expect(server.refreshes).toBe(1);
    const [overview] = await t.store.oauthGrants.overview();
    expect(overview).toMatchObject({ ownerId: 'alice', key, refusedReason: 'invalid_grant: grant request is invalid' });
    await storeNewGrant(t.store, connection.owner, key, { accessToken: 'at-new', refreshToken: 'rt-new' }, now);
    expect(await tokens.accessToken(connection)).toBe('at-new');
  });

  it('takes a refresh token another process rotated meanwhile instead of declaring the grant refused', async () => {
    // Another process (sync --once next to serve) refreshed with rt-0 and stored rt-9 while this one read rt-0.
    server.valid.clear();
    const original = server.refresh.bind(server);
    server.refresh = async (spec, refreshToken) => {
      await t.store.oauthGrants.put('user', 'alice', key, { refreshToken: 'rt-9', accessToken: 'at-9', connectedAt: now.toISOString() });
      return original(spec, refreshToken);
    };
    expect(await tokens.accessToken(connection, 'at-first')).toBe('at-9');
    expect((await t.store.oauthGrants.get('user', 'alice', key))?.refusedAt).toBeUndefined();
  });

  it('fails AUTH "not connected yet" for a connection that never went through Connect, and passes outages on', async () => {
    const other: OAuthConnection = { owner: { type: 'shared-mailbox', id: 'sales' }, client };
    const error = await tokens.accessToken(other).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('shared mailbox "sales" needs re-authorisation: not connected yet');
    server.refresh = async () => {
      throw new BridgeError('TEMPORARY', 'no answer');
    };
    await expect(tokens.accessToken(connection, 'at-first')).rejects.toMatchObject({ code: 'TEMPORARY' });
    expect((await t.store.oauthGrants.get('user', 'alice', key))?.refusedAt).toBeUndefined();
  });

  it('refuses a Connect result without a refresh token', async () => {
    await expect(storeNewGrant(t.store, connection.owner, key, { accessToken: 'at' })).rejects.toThrow(/no refresh token/);
  });
});
