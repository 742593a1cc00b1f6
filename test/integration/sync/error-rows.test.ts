// A source whose password is wrong, against the real Dovecot and the runners `serve` and
// `sync --once` use: every pass fails, and GET /api/v1/sync-errors shows one row with its count,
// first and last time (issue 16: it was a row per pass); with the password fixed the next pass
// resolves it, and it stays in the history (state=all).
import { pino } from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createRunners } from '../../../src/runtime/runners.js';
import { runSource } from '../../../src/sync/run-once.js';
import { sourcesOf } from '../../../src/sync/sources.js';
import { createMailUsers } from '../../servers/users.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';

const servers = inject('servers');
let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('sync errors of a source that keeps failing', () => {
  it('is one row counting the passes, resolved by the first pass that gets through', async () => {
    const [user] = await createMailUsers(servers, ['errors']);
    const imap = (password: string) => ({ host: servers.dovecot.host, port: servers.dovecot.imapPort, security: 'none', username: user!.username, password });
    api = await startApi({ users: [{ id: 'erin', name: 'Erin', email: user!.username, imap: imap('wrong-password') }] });
    const log = pino({ level: 'silent' });
    const pass = async () => {
      const source = sourcesOf(api!.config).find((entry) => entry.id === 'imap:erin')!;
      return runSource(source, createRunners(api!.config, api!.t.store, log), api!.t.store, log, new AbortController().signal);
    };
    for (let i = 0; i < 3; i++) expect(await pass()).toMatchObject({ reached: false, error: { code: 'AUTH' } });

    const current = await api.call('GET', '/api/v1/sync-errors?source=imap:erin');
    expect(current.status).toBe(200);
    expect(current.body.items).toHaveLength(1);
    const [row] = current.body.items as Array<{ count: number; firstSeen: string; lastSeen: string; code: string; itemRef: string | null; resolvedAt: string | null; message: string }>;
    expect(row).toMatchObject({ code: 'AUTH', itemRef: null, count: 3, resolvedAt: null });
    expect(row!.firstSeen < row!.lastSeen).toBe(true);
    expect(row!.message).not.toContain('wrong-password');

    (api.config.users[0]!.imap as { password?: string }).password = user!.password;
    expect(await pass()).toMatchObject({ reached: true });
    expect((await api.call('GET', '/api/v1/sync-errors?source=imap:erin')).body.items).toEqual([]);
    const history = (await api.call('GET', '/api/v1/sync-errors?source=imap:erin&state=all')).body.items as Array<{ count: number; resolvedAt: string | null }>;
    expect(history).toEqual([expect.objectContaining({ count: 3, resolvedAt: expect.any(String) })]);
  });
});
