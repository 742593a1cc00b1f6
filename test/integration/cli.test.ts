import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, runCli, startServe, tempDir, writeConfig } from '../support/cli.js';

const token = 'cli-test-token-0123456789';
const secretKey = 'cli-test-secret-key-0123456789';

function baseConfig(port: number): string {
  return `
database: sqlite:./data/bridge.db
dataDir: ./data
server: { listen: 127.0.0.1:${port} }
secretKey: \${TEST_SECRET_KEY}
api:
  tokens:
    - { name: crm, token: \${TEST_API_TOKEN} }
users:
  - id: alice
    name: Alice Example
    email: alice@example.com
`;
}
const env = { TEST_SECRET_KEY: secretKey, TEST_API_TOKEN: token };

describe('crm-bridge check-config', () => {
  it('fails naming the key path of a wrongly typed value', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, `users:\n  - id: alice\n    name: Alice\n    email: alice@example.com\n    imap: { host: 127.0.0.1, port: "not a port", security: none, username: a, password: b }\n`);
    const result = await runCli(['check-config', '--config', file], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('users[0].imap.port: expected a number');
  });

  it('prints every error, not only the first', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, `server: { listen: 8080 }\nusers:\n  - { id: alice, email: nope }\n`);
    const result = await runCli(['check-config', '--config', file], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('server.listen: expected host:port');
    expect(result.stderr).toContain('users[0].name: is required');
    expect(result.stderr).toContain('users[0].email: expected an e-mail address');
  });

  it('accepts a valid file and names a missing one clearly', async () => {
    const dir = tempDir();
    const ok = await runCli(['check-config', '--config', writeConfig(dir, baseConfig(8080))], { cwd: dir, env });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('configuration is valid (1 user(s)');
    const missing = await runCli(['check-config', '--config', join(dir, 'nope.yaml')], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read configuration file');
  });

  it('uses config.example.yaml when there is no config.yaml, and rejects unknown commands', async () => {
    const result = await runCli(['check-config'], { cwd: process.cwd() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('config.example.yaml: configuration is valid');
    expect((await runCli(['frobnicate'], { cwd: process.cwd() })).code).toBe(2);
    expect((await runCli(['sync'], { cwd: process.cwd() })).stderr).toContain('sync needs --once');
  });
});

describe('crm-bridge migrate and sync --once', () => {
  it('creates the SQLite database and is idempotent', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, baseConfig(8080));
    const first = await runCli(['migrate', '--config', file], { cwd: dir, env });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied [0-9]+ migration\(s\)/);
    expect(existsSync(join(dir, 'data', 'bridge.db'))).toBe(true);
    const second = await runCli(['migrate', '--config', file], { cwd: dir, env });
    expect(second.stdout).toContain('is up to date');
  });

  it('reports that no sources are configured and exits 0', async () => {
    const dir = tempDir();
    const result = await runCli(['sync', '--once', '--config', writeConfig(dir, baseConfig(8080))], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('no sources configured');
  });
});

describe('crm-bridge serve', () => {
  it('serves health, OpenAPI and the API; a created contact reads back and appears in the change feed; SIGTERM stops it cleanly', async () => {
    const dir = tempDir();
    const port = await freePort();
    const server = await startServe(writeConfig(dir, baseConfig(port)), dir, { ...env, CRM_BRIDGE_ADMIN_PASSWORD: 'admin-password-123' });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${port}`);
      expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ status: 'ok' });
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const openapi = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(openapi.paths)).toContain('/api/v1/contacts');

      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const created = await fetch(`${server.url}/api/v1/contacts`, { method: 'POST', headers: auth, body: JSON.stringify({ firstName: 'Grace', lastName: 'Hopper', emails: ['grace@navy.example'], owner: 'alice' }) });
      expect(created.status).toBe(201);
      const contact = (await created.json()) as { id: string };
      const read = (await (await fetch(`${server.url}/api/v1/contacts/${contact.id}`, { headers: auth })).json()) as Record<string, unknown>;
      expect(read).toMatchObject({ id: contact.id, displayName: 'Grace Hopper', emails: ['grace@navy.example'], owner: 'alice', active: true });
      const feed = (await (await fetch(`${server.url}/api/v1/changes?after=0`, { headers: auth })).json()) as { items: Array<{ entity: string; id: string; op: string }> };
      expect(feed.items).toContainEqual(expect.objectContaining({ entity: 'contact', id: contact.id, op: 'created' }));
      expect((await fetch(`${server.url}/api/v1/contacts`)).status).toBe(401);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    } finally {
      const code = await server.stop('SIGTERM');
      expect(code).toBe(0);
    }
    const { stdout, stderr } = server.output();
    expect(stdout).toContain('Admin UI: ');
    expect(stdout).toMatch(/"msg":"stopped"/);
    for (const secret of [token, secretKey, 'admin-password-123']) {
      expect(stdout + stderr).not.toContain(secret);
    }
  });

  it('prints a generated admin password on the first start only, and it logs in to /admin', async () => {
    const dir = tempDir();
    const port = await freePort();
    const file = writeConfig(dir, baseConfig(port));
    const first = await startServe(file, dir, env);
    let password: string;
    try {
      password = (await first.waitForOutput(/with password (\S+)/))[1] ?? '';
      expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);
      const redirect = await fetch(`${first.url}/admin`, { redirect: 'manual' });
      expect(redirect.status).toBe(303);
      expect(redirect.headers.get('location')).toBe('/admin/login');
      const wrong = await fetch(`${first.url}/admin/login`, { method: 'POST', body: new URLSearchParams({ username: 'admin', password: 'guess' }), redirect: 'manual' });
      expect(wrong.status).toBe(401);
      const login = await fetch(`${first.url}/admin/login`, { method: 'POST', body: new URLSearchParams({ username: 'admin', password }), redirect: 'manual' });
      expect(login.status).toBe(303);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      expect(login.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
      const status = await fetch(`${first.url}/admin`, { headers: { cookie } });
      expect(status.status).toBe(200);
      const htmlText = await status.text();
      expect(htmlText).toContain('alice@example.com');
      expect(status.headers.get('content-security-policy')).toContain("default-src 'none'");
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const second = await startServe(file, dir, env);
    try {
      // The server prints its start lines in one go after "listening on"; a round trip lets the rest arrive.
      await second.waitForOutput(/Admin UI: \S+\n/);
      expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
      expect(second.output().stdout).not.toContain('with password');
      expect(second.output().stdout).not.toContain(password);
    } finally {
      await second.stop();
    }
  });
});
