import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { startServer, type RunningServer } from '../../../src/runtime/serve.js';
import { startDovecot, type DovecotServer } from '../../servers/dovecot.js';
import { startOidc, type OidcServer } from '../../servers/oidc.js';
import { startSabre, type SabreServer } from '../../servers/sabre.js';
import { startSmtp, type SmtpServerHandle } from '../../servers/smtp.js';
import { CalDavConnector } from '../../../adapters/caldav/index.js';
import { eventually, freePort } from '../../support/cli.js';
import { appendMessages, buildMessage, imapClientAt } from '../../support/mail.js';
import { launchChromium } from '../../e2e/browser.js';

// OAuth2 end to end with real components: oidc-provider as the authorization server, a Dovecot
// whose oauth2 passdb checks every access token at its introspection endpoint (as Dovecot is run
// in front of Google-style identity providers), the test SMTP server checking XOAUTH2 tokens the
// same way, and the consent step driven in Chromium through the admin UI's Connect button.

const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-oauth2-'));
const adminPassword = 'oauth2-admin-password-0123';
const apiToken = 'oauth2-api-token-0123456789';
const alice = 'olivia@example.com';
const carol = 'carol@example.com';
const logLines: string[] = [];

let oidc: OidcServer;
let dovecot: DovecotServer;
let smtp: SmtpServerHandle;
let sabre: SabreServer;
let server: RunningServer;
let browser: Browser;
let page: Page;

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${path}`, { ...init, headers: { Authorization: `Bearer ${apiToken}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function subjectsOf(owner: string): Promise<string[]> {
  const { body } = await api(`/api/v1/activities?owner=${owner}&limit=100`);
  return (body.items as Array<{ subject: string }>).map((item) => item.subject).sort();
}

async function deliver(user: string, subject: string): Promise<void> {
  const client = await imapClientAt({ host: dovecot.info.host, port: dovecot.info.imapPort }, user, 'setup-password');
  try {
    await appendMessages(client, 'CRM', [buildMessage({ from: 'Grace Hopper <grace@navy.example>', to: user, subject })]);
  } finally {
    await client.logout();
  }
}

async function statusPage(): Promise<string> {
  await page.goto(`${server.url}/admin`);
  return page.content();
}

async function connectAlice(): Promise<void> {
  await page.goto(`${server.url}/admin/users/alice`);
  await page.click('a.connect');
  // oidc-provider's development login and consent pages (any password; the login is the account id).
  // The second time the provider remembers the login and asks for consent only.
  await page.waitForURL((url) => url.origin === oidc.issuer);
  while (new URL(page.url()).origin === oidc.issuer) {
    await page.waitForSelector('button[type="submit"]');
    if ((await page.$('input[name="login"]')) !== null) {
      await page.fill('input[name="login"]', alice);
      await page.fill('input[name="password"]', 'anything');
    }
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  }
  expect(new URL(page.url()).pathname).toBe('/admin/oauth/callback');
  expect(await page.textContent('h1')).toBe('Connected');
}

beforeAll(async () => {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  oidc = await startOidc({ redirectUri: `${publicUrl}/admin/oauth/callback` });
  const confDir = mkdtempSync(join(tmpdir(), 'crm-bridge-oauth2-dovecot-'));
  chmodSync(confDir, 0o755);
  const introspection = new URL(oidc.introspectionUrl);
  introspection.username = oidc.resourceServer.clientId;
  introspection.password = oidc.resourceServer.clientSecret;
  const oauthConf = join(confDir, 'dovecot-oauth2.conf.ext');
  // Dovecot's oauth2 passdb (doc.dovecot.org, "Open Authentication v2.0 database"): RFC 7662
  // introspection by POST, the account is the token's `sub`, an inactive token fails.
  writeFileSync(oauthConf, `introspection_mode = post\nintrospection_url = ${introspection.toString()}\nforce_introspection = yes\nusername_attribute = sub\nactive_attribute = active\nactive_value = true\n`, { mode: 0o644 });
  dovecot = await startDovecot({
    users: [{ username: alice, password: 'setup-password' }, { username: carol, password: 'setup-password' }],
    extraConfig: `auth_mechanisms = plain login oauthbearer xoauth2\npassdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = ${oauthConf}\n}\n`,
  });
  sabre = await startSabre({ introspectionUrl: introspection.toString(), workers: 2 });
  sabre.addUser('olivia', 'sabre-basic-password');
  smtp = await startSmtp({ dovecot: dovecot.info, oauth2: { introspectionUrl: oidc.introspectionUrl, ...oidc.resourceServer } });
  for (const user of [alice, carol]) {
    const client = await imapClientAt({ host: dovecot.info.host, port: dovecot.info.imapPort }, user, 'setup-password');
    await client.mailboxCreate('CRM');
    await client.logout();
  }
  await deliver(alice, 'Alice before connect');
  await deliver(carol, 'Carol first');
  const oauth = { type: 'oauth2', provider: 'custom', clientId: oidc.bridge.clientId, clientSecret: oidc.bridge.clientSecret, authorizeUrl: oidc.authorizeUrl, tokenUrl: oidc.tokenUrl, scopes: ['mail'] };
  // The same client for the calendar: one grant, one Connect asking for both scopes.
  const calendarOauth = { ...oauth, scopes: ['calendar'] };
  const imap = { host: dovecot.info.host, port: dovecot.info.imapPort, security: 'none' };
  const config = configSchema.parse({
    database: `sqlite:${join(dir, 'bridge.db')}`,
    dataDir: join(dir, 'data'),
    server: { listen: `127.0.0.1:${port}`, publicUrl },
    admin: { password: adminPassword },
    api: { tokens: [{ name: 'test', token: apiToken }] },
    mail: { domain: 'example.com' },
    sync: { idle: false, intervalSeconds: 5 },
    users: [
      { id: 'alice', name: 'Alice', email: alice, imap: { ...imap, username: alice, auth: oauth }, smtp: { host: smtp.info.host, port: smtp.info.port, security: 'none', username: alice, auth: oauth }, caldav: { url: sabre.info.url, username: 'olivia', auth: calendarOauth } },
      { id: 'carol', name: 'Carol', email: carol, imap: { ...imap, username: carol, password: 'setup-password' } },
    ],
  });
  server = await startServer(config, pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) }), (line) => logLines.push(line));
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}/admin/login`);
  await page.fill('input[name="password"]', adminPassword);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${server.url}/admin`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.stop();
  await sabre?.stop();
  await dovecot?.stop();
  await oidc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('OAuth2 sign-in (authorization code with PKCE, XOAUTH2/OAUTHBEARER, refresh)', () => {
  it('shows a connection that was never connected as such, and syncs the other users meanwhile', async () => {
    await eventually(async () => ((await subjectsOf('carol')).includes('Carol first') ? true : undefined), 30_000);
    const status = await eventually(async () => {
      const html = await statusPage();
      return html.includes('needs re-authorisation: not connected yet') ? html : undefined;
    }, 30_000);
    expect(status).toContain('not connected');
    expect(await subjectsOf('alice')).toEqual([]);
  });

  it('connects through the consent page in Chromium, then signs in to IMAP and SMTP with access tokens', async () => {
    await connectAlice();
    expect(oidc.grants.get('authorization_code')).toBe(1);
    await eventually(async () => ((await subjectsOf('alice')).includes('Alice before connect') ? true : undefined), 30_000);
    expect(await page.goto(`${server.url}/admin/users/alice`).then(() => page.content())).toContain('connected');
    // Dovecot took the access token (SASL OAUTHBEARER, RFC 7628) after asking the introspection endpoint.
    expect(readFileSync(dovecot.info.logFile, 'utf8')).toMatch(new RegExp(`Login: user=<${alice}>, method=(OAUTHBEARER|XOAUTH2)`));
    // Sending signs in to SMTP with XOAUTH2; the message reaches Carol's inbox through Dovecot.
    const sent = await api('/api/v1/emails', { method: 'POST', body: JSON.stringify({ from: 'alice', to: [carol], subject: 'Sent with a token', text: 'Hello Carol' }) });
    expect(sent.status).toBeLessThan(300);
    await eventually(async () => {
      const client = await imapClientAt({ host: dovecot.info.host, port: dovecot.info.imapPort }, carol, 'setup-password');
      try {
        await client.mailboxOpen('INBOX');
        const found = await client.search({ subject: 'Sent with a token' });
        return Array.isArray(found) && found.length > 0 ? true : undefined;
      } finally {
        await client.logout();
      }
    }, 30_000);
  });

  it('syncs the calendar with bearer tokens: a CRM appointment reaches the sabre/dav calendar', async () => {
    const created = await api('/api/v1/appointments', { method: 'POST', body: JSON.stringify({ owner: 'alice', subject: 'Call with a token', start: '2030-03-04T10:00:00Z', end: '2030-03-04T11:00:00Z' }) });
    expect(created.status).toBe(201);
    const session = await new CalDavConnector().connect({ url: sabre.info.url, username: 'olivia', password: 'sabre-basic-password' });
    await eventually(async () => {
      const calendars = await session.listCalendars();
      const crm = calendars.find((calendar) => calendar.displayName === 'CRM');
      if (crm === undefined) return undefined;
      const objects = await session.fetch(crm, (await session.listEtags(crm)).map((entry) => entry.href));
      return objects.some((object) => object.data.includes('SUMMARY:Call with a token')) ? true : undefined;
    }, 30_000);
  });

  it('refreshes once when the server refuses a token early, and keeps the rotated refresh token', async () => {
    for (const round of [1, 2]) {
      const before = oidc.grants.get('refresh_token') ?? 0;
      await oidc.expireAccessTokens(alice);
      await deliver(alice, `After expiry ${round}`);
      await eventually(async () => ((await subjectsOf('alice')).includes(`After expiry ${round}`) ? true : undefined), 30_000);
      // One refresh per refusal: the rotated refresh token of round 1 was stored, or round 2's would be refused.
      expect((oidc.grants.get('refresh_token') ?? 0) - before).toBeGreaterThanOrEqual(1);
    }
    expect(oidc.refusedRefreshes).toBe(0);
  });

  it('shows "needs re-authorisation" when the grant is revoked, without stopping other sources, and recovers with Connect', async () => {
    await oidc.revokeAccount(alice);
    await deliver(alice, 'While revoked');
    const status = await eventually(async () => {
      const html = await statusPage();
      return html.includes('needs re-authorisation</span>') ? html : undefined;
    }, 30_000);
    expect(status).toContain('Connect again');
    const refused = oidc.refusedRefreshes;
    expect(refused).toBe(1);
    await deliver(carol, 'Carol while Alice is revoked');
    await eventually(async () => ((await subjectsOf('carol')).includes('Carol while Alice is revoked') ? true : undefined), 30_000);
    // Later passes do not ask the authorization server again with the refused token.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(oidc.refusedRefreshes).toBe(refused);
    expect(await subjectsOf('alice')).not.toContain('While revoked');

    await connectAlice();
    await eventually(async () => ((await subjectsOf('alice')).includes('While revoked') ? true : undefined), 30_000);
    // No token, refresh token or client secret in any log line.
    const secrets = [oidc.bridge.clientSecret, oidc.resourceServer.clientSecret];
    for (const line of logLines) for (const secret of secrets) expect(line).not.toContain(secret);
  });
});
