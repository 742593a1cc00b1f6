// End to end through the real command line: `sync --once` delivers a CRM appointment to the
// calendar and brings a client edit back; under `serve` an appointment made through the API
// reaches the calendar at once (the polling interval is five minutes), and so do its change and
// its deletion. Against Radicale and Xandikos.
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { BlobStore } from '../../../src/store/blob-store.js';
import { migrateToLatest, openDatabase } from '../../../src/store/database.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { Store } from '../../../src/store/store.js';
import { cliDatabaseUrl, eventually, freePort, runCli, startServe, tempDir, writeConfig } from '../../support/cli.js';
import { calendarUser, clientSession, editLine, icsDate, serverNames, type CalendarUser } from './support.js';

const servers = inject('servers');
const token = 'calendar-cli-token-0123456789';
const secretKey = 'calendar-cli-secret-key-0123456789';
const env = { TEST_SECRET_KEY: secretKey, TEST_API_TOKEN: token };
const hour = 3_600_000;

function configYaml(user: CalendarUser, port: number): string {
  return `
database: sqlite:./data/bridge.db
dataDir: ./data
server: { listen: 127.0.0.1:${port} }
secretKey: \${TEST_SECRET_KEY}
api:
  tokens:
    - { name: crm, token: \${TEST_API_TOKEN} }
sync: { intervalSeconds: 300, conflictPolicy: crm-wins }
users:
  - id: alice
    name: Alice Example
    email: ${user.email}
    caldav: { url: ${user.caldav.url}, username: ${user.caldav.username}, password: ${user.caldav.password} }
    calendar: { crmCalendar: "${user.crmCalendar}", trackCategory: "${user.trackCategory}" }
    tasks: { crmTaskList: "${user.crmCalendar}" }
`;
}

async function withStore<T>(dir: string, work: (store: Store) => Promise<T>): Promise<T> {
  const database = openDatabase(cliDatabaseUrl(dir));
  try {
    await migrateToLatest(database.db);
    return await work(new Store(database.db, new SecretBox(secretKey), new BlobStore(join(dir, 'data', 'blobs'), 1024 * 1024)));
  } finally {
    await database.close();
  }
}

describe.each(serverNames)('calendar sync through the CLI against %s', (server) => {
  it('sync --once delivers an appointment and reads a client edit back', async () => {
    const user = await calendarUser(servers, server);
    const dir = tempDir();
    const file = writeConfig(dir, configYaml(user, await freePort()));
    expect((await runCli(['migrate', '--config', file], { cwd: dir, env })).code).toBe(0);
    const start = new Date(Math.ceil(Date.now() / hour) * hour + 26 * hour);
    const appointment = await withStore(dir, async (store) => {
      await store.users.upsert({ id: 'alice', name: 'Alice Example', email: user.email });
      return store.activities.create({ kind: 'appointment', owner: 'alice', subject: 'CLI demo', start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString() });
    });
    const first = await runCli(['sync', '--once', '--config', file], { cwd: dir, env });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('caldav:alice: ok, 1 changed, 0 item error(s)');

    const client = await clientSession(user);
    const calendar = (await client.listCalendars()).find((entry) => entry.displayName === user.crmCalendar)!;
    const [object] = await client.fetch(calendar, [`${calendar.href}crm-bridge-${appointment.id}.ics`]);
    expect(object!.data).toContain('SUMMARY:CLI demo');
    const later = new Date(start.getTime() + 2 * hour);
    let edited = editLine(object!.data, 'DTSTART', `DTSTART:${icsDate(later)}`);
    edited = editLine(edited, 'DTEND', `DTEND:${icsDate(new Date(later.getTime() + hour))}`);
    await client.put(object!.href, edited, object!.etag, 'text/calendar');

    const second = await runCli(['sync', '--once', '--config', file], { cwd: dir, env });
    expect(second.stdout).toContain('caldav:alice: ok, 1 changed, 0 item error(s)');
    const stored = await withStore(dir, (store) => store.activities.get(appointment.id));
    expect(stored).toMatchObject({ start: later.toISOString(), end: new Date(later.getTime() + hour).toISOString() });
  });

  it('under serve, appointments created, changed and deleted through the API reach the calendar at once', async () => {
    const user = await calendarUser(servers, server);
    const dir = tempDir();
    const file = writeConfig(dir, configYaml(user, await freePort()));
    const serve = await startServe(file, dir, env);
    try {
      const api = (path: string, method: string, body?: unknown) =>
        fetch(`${serve.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      const client = await clientSession(user);
      // The first pass (at start-up) creates the calendar.
      const calendar = await eventually(async () => (await client.listCalendars()).find((entry) => entry.displayName === user.crmCalendar));
      const start = new Date(Math.ceil(Date.now() / hour) * hour + 5 * hour);
      const created = (await (await api('/appointments', 'POST', { owner: 'alice', subject: 'Served', start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString() })).json()) as { id: string };
      const href = `${calendar.href}crm-bridge-${created.id}.ics`;
      await eventually(async () => (await client.fetch(calendar, [href]))[0]);
      expect((await api(`/appointments/${created.id}`, 'PATCH', { location: 'Room 9' })).status).toBe(200);
      await eventually(async () => ((await client.fetch(calendar, [href]))[0]?.data.includes('LOCATION:Room 9') ? true : undefined));
      expect((await api(`/appointments/${created.id}`, 'DELETE')).status).toBe(204);
      await eventually(async () => ((await client.fetch(calendar, [href])).length === 0 ? true : undefined));
    } finally {
      await serve.stop();
    }
  });
});
