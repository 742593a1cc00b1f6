// CONTRACT.md checked the way an outside client sees it: `serve` started through the CLI with a
// config in the contract's shape, then only the REST API and the CalDAV server (Radicale).
// - a meeting's attendees are matched to contacts and accounts like mail parties;
// - GET /api/v1/freebusy reports the time of a CRM appointment once (it is in the synced calendar too);
// - openapi.json describes every route of the contract, the free/busy file and probes included;
// - ?email= filters accounts and opportunities too;
// - all-day appointments, due dates and query windows (since, from, to) accept bare dates, task priority the RFC 5545 number;
// - GET /api/v1/users/:id hands out the user's free/busy URL with its token;
// - the first-run output names where the admin password comes from;
// - sync --once fails when a configured address book server is unreachable, also after an earlier
//   pass against another url (the remembered address book is not used for a changed configuration).
import { describe, expect, inject, it } from 'vitest';
import { createRadicaleUser } from '../servers/users.js';
import { eventually, freePort, runCli, serverConfigYaml, startServe, tempDir, writeConfig } from '../support/cli.js';
import { calendarUser, clientSession, type CalendarUser } from './calendar/support.js';

const servers = inject('servers');
const token = 'contract-surface-token-0123456789';
const env = { TEST_SECRET_KEY: 'contract-surface-secret-key-0123456789', TEST_API_TOKEN: token, CRM_BRIDGE_ADMIN_PASSWORD: 'admin-pw-contract' };
const hour = 3_600_000;

function configYaml(user: CalendarUser, port: number): string {
  return `
${serverConfigYaml(port)}users:
  - id: alice
    name: Alice Example
    email: ${user.email}
    caldav: { url: ${user.caldav.url}, username: ${user.caldav.username}, password: ${user.caldav.password} }
    calendar: { crmCalendar: ${user.crmCalendar}, trackCategory: ${user.trackCategory} }
    tasks: { crmTaskList: ${user.crmCalendar} }
`;
}

describe('the contract surface under serve', () => {
  it('resolves meeting attendees, reports CRM busy time once, describes every route', async () => {
    const user = await calendarUser(servers, 'radicale');
    const dir = tempDir();
    const file = writeConfig(dir, configYaml(user, await freePort()));
    const serve = await startServe(file, dir, env);
    try {
      await eventually(async () => (serve.output().stdout.includes('Admin UI:') ? true : undefined));
      expect(serve.output().stdout).toContain('Log in as "admin" with the password from CRM_BRIDGE_ADMIN_PASSWORD');
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const api = async (path: string, method = 'GET', body?: unknown): Promise<any> => {
        const response = await fetch(`${serve.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
        expect(response.status, `${method} ${path}`).toBeLessThan(300);
        return response.json();
      };
      const client = await clientSession(user);
      const calendar = await eventually(async () => (await client.listCalendars()).find((entry) => entry.displayName === user.crmCalendar));

      const account = await api('/accounts', 'POST', { name: 'Acme', domains: ['acme.test'], owner: 'alice' });
      const contact = await api('/contacts', 'POST', { firstName: 'Carol', lastName: 'Customer', emails: ['carol@acme.test'], accountId: account.id, owner: 'alice' });
      // ?email= on accounts and opportunities: by the account's contacts and domains, and the opportunity's contact.
      const other = await api('/accounts', 'POST', { name: 'Other', domains: ['other.test'], owner: 'alice' });
      const freelancer = await api('/contacts', 'POST', { firstName: 'Fay', emails: ['fay@mail.test'], accountId: other.id, owner: 'alice' });
      const deal = await api('/opportunities', 'POST', { name: 'Acme deal', accountId: account.id, owner: 'alice' });
      const side = await api('/opportunities', 'POST', { name: 'Side deal', contactId: freelancer.id, owner: 'alice' });
      const names = async (path: string) => (await api(path)).items.map((item: { id: string }) => item.id);
      expect(await names('/accounts?email=Someone@ACME.test')).toEqual([account.id]);
      expect(await names('/accounts?email=fay@mail.test')).toEqual([other.id]);
      expect(await names('/accounts?email=nobody@nowhere.test')).toEqual([]);
      expect(await names('/opportunities?email=carol@acme.test')).toEqual([deal.id]);
      expect(await names('/opportunities?email=fay@mail.test')).toEqual([side.id]);
      expect(await names(`/opportunities?contact=${freelancer.id}`)).toEqual([side.id]);
      expect(await names('/opportunities?email=nobody@nowhere.test')).toEqual([]);

      const start = new Date(Math.ceil(Date.now() / hour) * hour + 30 * hour);
      const end = new Date(start.getTime() + hour);
      const meeting = await api('/appointments', 'POST', { owner: 'alice', subject: 'Kick-off', start: start.toISOString(), end: end.toISOString(), attendees: ['Carol@acme.test', 'dan@acme.test'] });
      expect(meeting.kind).toBe('meeting');
      expect(meeting.parties).toEqual([
        { role: 'attendee', address: 'Carol@acme.test', name: null, contactId: contact.id, accountId: account.id, leadId: null, userId: null },
        { role: 'attendee', address: 'dan@acme.test', name: null, contactId: null, accountId: account.id, leadId: null, userId: null },
      ]);
      expect((await api(`/activities?contact=${contact.id}`)).items.map((item: { id: string }) => item.id)).toEqual([meeting.id]);
      expect((await api(`/activities?account=${account.id}`)).items.map((item: { id: string }) => item.id)).toEqual([meeting.id]);
      // A PATCH of the attendees resolves them too.
      const patched = await api(`/appointments/${meeting.id}`, 'PATCH', { attendees: ['carol@acme.test'] });
      expect(patched.parties.map((party: { contactId: string | null }) => party.contactId)).toEqual([contact.id]);

      // The meeting reaches the calendar at once; the bridge's copy there is not a second busy period.
      await eventually(async () => (await client.fetch(calendar, [`${calendar.href}crm-bridge-${meeting.id}.ics`]))[0]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const window = `from=${new Date(start.getTime() - hour).toISOString()}&to=${new Date(end.getTime() + hour).toISOString()}`;
      const freebusy = await api(`/freebusy?attendees=${encodeURIComponent(user.email)}&${window}`);
      expect(freebusy.attendees[0].busy).toEqual([{ start: start.toISOString(), end: end.toISOString(), type: 'BUSY', source: 'crm' }]);

      // The user's free/busy URL (token included) from the API works without a bearer token.
      const { freeBusyUrl } = await api('/users/alice');
      expect(freeBusyUrl).toMatch(new RegExp(`^${serve.url}/freebusy/${user.email}\\.vfb\\?token=.+`));
      const vfb = await fetch(freeBusyUrl);
      expect(vfb.status).toBe(200);
      const vfbText = await vfb.text();
      expect(vfbText).toContain('BEGIN:VFREEBUSY');
      expect(vfbText).toContain(`FREEBUSY;FBTYPE=BUSY:${start.toISOString().replace(/[-:]|\.\d{3}/g, '')}/${end.toISOString().replace(/[-:]|\.\d{3}/g, '')}`);
      expect((await fetch(freeBusyUrl.replace(/token=.*/, 'token=wrong'))).status).toBe(401);

      // An all-day appointment and a due date may be given as bare dates.
      const day = start.toISOString().slice(0, 10);
      const nextDay = new Date(Date.parse(day) + 24 * hour).toISOString().slice(0, 10);
      const allDay = await api('/appointments', 'POST', { owner: 'alice', subject: 'Trade fair', start: day, end: nextDay, allDay: true });
      expect(allDay).toMatchObject({ start: `${day}T00:00:00.000Z`, end: `${nextDay}T00:00:00.000Z`, allDay: true });
      const ics = await eventually(async () => (await client.fetch(calendar, [`${calendar.href}crm-bridge-${allDay.id}.ics`]))[0]?.data);
      expect(ics).toContain(`DTSTART;VALUE=DATE:${day.replaceAll('-', '')}`);
      const task = await api('/tasks', 'POST', { owner: 'alice', subject: 'Send offer', due: nextDay, priority: 2 });
      expect(task).toMatchObject({ due: `${nextDay}T00:00:00.000Z`, priority: 'high' });
      const todo = await eventually(async () => (await client.fetch(calendar, [`${calendar.href}crm-bridge-${task.id}.ics`]))[0]?.data);
      expect(todo).toContain('PRIORITY:1');
      expect((await api(`/tasks/${task.id}`, 'PATCH', { priority: 9 })).priority).toBe('low');
      // Query windows take bare dates too.
      const today = new Date().toISOString().slice(0, 10);
      expect((await api(`/activities?since=${today}&kind=task`)).items.map((item: { id: string }) => item.id)).toContain(task.id);
      const dayBusy = await api(`/freebusy?attendees=alice&from=${day}&to=${nextDay}`);
      expect(dayBusy).toMatchObject({ from: `${day}T00:00:00.000Z`, to: `${nextDay}T00:00:00.000Z` });
      expect(dayBusy.attendees[0].busy.length).toBeGreaterThan(0);

      const doc = (await (await fetch(`${serve.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      for (const path of ['/api/v1/openapi.json', '/freebusy/{user}.vfb', '/healthz', '/readyz', '/metrics', '/api/v1/freebusy', '/api/v1/changes', '/api/v1/users/{id}/reset', '/api/v1/emails']) {
        expect(Object.keys(doc.paths[path] ?? {}), path).toContain(path === '/api/v1/emails' || path === '/api/v1/users/{id}/reset' ? 'post' : 'get');
      }
    } finally {
      await serve.stop();
    }
  });
});

describe('sync --once exit status', () => {
  it('is non-zero when the configured CardDAV server cannot be reached, also after a pass against another url', async () => {
    const user = await createRadicaleUser(servers, 'exit');
    const dir = tempDir();
    const yaml = (url: string) => `
database: sqlite:./data/crm-bridge.db
secretKey: \${TEST_SECRET_KEY}
users:
  - id: alice
    name: Alice Example
    email: alice@example.com
    carddav: { url: ${url}, username: ${user.username}, password: ${user.password} }
    contacts: { addressBook: CRM, direction: two-way }
`;
    const file = writeConfig(dir, yaml(servers.radicale.url));
    const first = await runCli(['sync', '--once', '--config', file], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('carddav:alice: ok');
    writeConfig(dir, yaml(`http://127.0.0.1:${await freePort()}/`));
    const second = await runCli(['sync', '--once', '--config', file], { cwd: dir, env });
    expect(second.stdout).toContain('carddav:alice: FAILED');
    expect(second.code).not.toBe(0);
  });
});

describe('DELETE /api/v1/activities/:id of an event tracked by category', () => {
  it('untracks it: the event stays in the user’s own calendar and is not imported again', async () => {
    const user = await calendarUser(servers, 'radicale');
    const dir = tempDir();
    const file = writeConfig(dir, configYaml(user, await freePort()));
    const auth = { authorization: `Basic ${Buffer.from(`${user.caldav.username}:${user.caldav.password}`).toString('base64')}` };
    const personal = `${user.caldav.url}${user.caldav.username}/personal-${Date.now()}/`;
    expect((await fetch(personal, { method: 'MKCALENDAR', headers: auth })).status).toBe(201);
    const start = new Date(Math.ceil(Date.now() / hour) * hour + 50 * hour);
    const ics = (date: Date) => date.toISOString().replace(/[-:]|\.\d{3}/g, '');
    const event = `${personal}lunch.ics`;
    const body = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VEVENT', 'UID:lunch-by-category', `DTSTAMP:${ics(new Date())}`, `DTSTART:${ics(start)}`, `DTEND:${ics(new Date(start.getTime() + hour))}`, 'SUMMARY:Client lunch', `CATEGORIES:${user.trackCategory}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
    expect((await fetch(event, { method: 'PUT', headers: { ...auth, 'content-type': 'text/calendar' }, body })).status).toBe(201);
    const pass = async () => {
      const result = await runCli(['sync', '--once', '--config', file], { cwd: dir, env });
      expect(result.code, result.stderr).toBe(0);
    };
    await pass();

    const serve = await startServe(file, dir, env);
    try {
      const api = async (path: string, method = 'GET'): Promise<Response> => fetch(`${serve.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}` } });
      const lunches = async () => ((await (await api('/appointments')).json()) as { items: Array<{ id: string; subject: string }> }).items.filter((item) => item.subject === 'Client lunch');
      const [lunch] = await lunches();
      expect(lunch).toBeDefined();
      expect((await api(`/activities/${lunch!.id}`, 'DELETE')).status).toBe(204);
      // Under serve the deletion reaches the calendar engine at once; give it time to act.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await pass();
      const kept = await fetch(event, { headers: auth });
      expect(kept.status).toBe(200);
      expect(await kept.text()).toContain('SUMMARY:Client lunch');
      expect(await lunches()).toEqual([]);
    } finally {
      await serve.stop();
    }
  });
});

describe('check-config', () => {
  it('names secretKey when it is too short for the run time to use', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 'secretKey: ${TEST_SECRET_KEY}\n');
    const short = await runCli(['check-config', '--config', file], { cwd: dir, env: { TEST_SECRET_KEY: 'abc' } });
    expect(short.code).not.toBe(0);
    expect(short.stderr + short.stdout).toContain('secretKey: must be at least 16 characters');
    const good = await runCli(['check-config', '--config', file], { cwd: dir, env });
    expect(good.code, good.stderr).toBe(0);
  });
});
