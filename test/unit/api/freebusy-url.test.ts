import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { startServer } from '../../../src/runtime/serve.js';
import { AdminAccounts } from '../../../src/store/admin-accounts.js';
import { publicBaseUrl } from '../../../src/api/public-url.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';

let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('free/busy file names', () => {
  it('are percent-decoded once: an escape that decodes to another % is a user name, never a 500', async () => {
    api = await startApi();
    for (const path of ['/freebusy/%25zz.vfb', '/freebusy/%2525.vfb', '/freebusy/a%25E0%25A4%25A.vfb']) {
      const anonymous = await api.call('GET', path, { token: null });
      expect({ path, status: anonymous.status }).toEqual({ path, status: 401 });
      const withToken = await api.call('GET', path);
      expect({ path, status: withToken.status, code: withToken.body.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
    }
    // A malformed escape is the request's fault.
    expect((await api.call('GET', '/freebusy/%zz.vfb', { token: null })).status).toBe(400);
    // Encoded characters of a real address still find the user.
    expect((await api.call('GET', '/freebusy/alice%40example.com.vfb')).status).toBe(200);
  });
});

describe('free/busy URLs handed out', () => {
  it('never take the host from the request: server.publicUrl, else the configured listen address', async () => {
    api = await startApi({ server: { listen: '127.0.0.1:8099' } });
    await api.t.store.credentials.put('user', 'alice', 'freebusy-token', 'alice-freebusy-token-0123');
    const evil = { host: 'attacker.example', 'x-forwarded-host': 'attacker.example' };
    const user = await api.call('GET', '/api/v1/users/alice', { headers: evil });
    expect(user.body.freeBusyUrl).toMatch(/^http:\/\/127\.0\.0\.1:8099\/freebusy\/alice@example\.com\.vfb\?token=/);
    await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
    const login = await fetch(`${api.url}/admin/login`, { method: 'POST', body: new URLSearchParams({ username: 'admin', password: 'admin-password-123' }), redirect: 'manual' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await fetch(`${api.url}/admin/freebusy`, { headers: { cookie, ...evil } })).text();
    expect(page).toContain('value="http:&#47;&#47;127.0.0.1:8099&#47;freebusy&#47;alice@example.com.vfb?token&#61;alice-freebusy-token-0123"');
    expect(page).not.toContain('attacker.example');
    await api.close();
    api = await startApi({ server: { publicUrl: 'https://bridge.example.com/crm/' } });
    await api.t.store.credentials.put('user', 'alice', 'freebusy-token', 'alice-freebusy-token-0123');
    expect((await api.call('GET', '/api/v1/users/alice', { headers: evil })).body.freeBusyUrl).toMatch(/^https:\/\/bridge\.example\.com\/crm\/freebusy\/alice@example\.com\.vfb\?token=/);
  });

  it('under serve without server.publicUrl: the listen address with the bound port, and a log line that says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-publicurl-'));
    const lines: string[] = [];
    const token = 'public-url-test-token-0123456789';
    const config = configSchema.parse({ database: `sqlite:${join(dir, 'db.sqlite')}`, dataDir: join(dir, 'data'), server: { listen: '127.0.0.1:0' }, api: { tokens: [{ name: 'crm', token }] }, admin: { password: 'admin-password-123' }, sync: { idle: false }, users: [{ id: 'alice', name: 'Alice', email: 'alice@example.com' }] });
    const server = await startServer(config, pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }), () => undefined);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      const warning = lines.map((line) => JSON.parse(line) as { msg: string; url?: string }).filter((line) => line.msg.startsWith('server.publicUrl is not set'));
      expect(warning).toHaveLength(1);
      expect(warning[0]!.msg).toContain(`free/busy URLs use the listen address ${server.url}`);
      const user = (await (await fetch(`${server.url}/api/v1/users/alice`, { headers: { authorization: `Bearer ${token}`, host: 'attacker.example' } })).json()) as { freeBusyUrl: string };
      expect(user.freeBusyUrl.startsWith(`${server.url}/freebusy/alice@example.com.vfb?token=`)).toBe(true);
      expect((await fetch(user.freeBusyUrl)).status).toBe(200);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('name the bound port when the listen address says port 0, and bracket IPv6 hosts', () => {
    expect(publicBaseUrl({ listen: '127.0.0.1:0' }, 41234)).toBe('http://127.0.0.1:41234');
    expect(publicBaseUrl({ listen: '[::1]:8080' })).toBe('http://[::1]:8080');
    expect(publicBaseUrl({ listen: '0.0.0.0:8080', publicUrl: 'https://x.example/' }, 8080)).toBe('https://x.example');
  });
});
