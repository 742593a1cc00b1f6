// The caldav runner end to end against real servers (every CalDAV server of the matrix): CRM appointments and
// tasks reach the CRM calendar, client edits come back, tracked events become activities.
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { DavCollection } from '../../../src/ports/dav.js';
import { resetUserSync } from '../../../src/sync/reset-user-sync.js';
import { startApi } from '../../support/api-server.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { calendarConfig, calendarUser, clientSession, collectionNamed, editLine, hour, hoursAhead, icsDate, objectsOf, serverNames, syncOnce, tag, vevent, vtodo } from './support.js';

const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());


describe.each(serverNames)('calendar sync against %s', (server) => {
  it('writes a CRM appointment to the CRM calendar (created if missing) and reads a client time change back', async () => {
    const user = await calendarUser(servers, server);
    const config = calendarConfig(user);
    await t.store.users.upsert({ id: 'alice', name: 'Alice Example', email: user.email });
    const start = hoursAhead(48);
    const appointment = await t.store.activities.create({ kind: 'appointment', owner: 'alice', subject: 'Demo at ACME', start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString(), location: 'Room 1', bodyText: 'Agenda', busyStatus: 'oof' });
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 1, itemErrors: 0 });

    const client = await clientSession(user);
    const calendar = await collectionNamed(client, user.crmCalendar);
    const [object, ...others] = await objectsOf(client, calendar);
    expect(others).toHaveLength(0);
    expect(object!.href).toMatch(new RegExp(`crm-bridge-${appointment.id}\\.ics$`));
    expect(object!.data).toContain('SUMMARY:Demo at ACME');
    expect(object!.data).toContain('LOCATION:Room 1');
    expect(object!.data).toContain('X-MICROSOFT-CDO-BUSYSTATUS:OOF');

    // A pass without changes changes nothing.
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 0, itemErrors: 0 });

    // The client moves it by an hour and renames it.
    const later = new Date(start.getTime() + hour);
    let edited = editLine(object!.data, 'DTSTART', `DTSTART:${icsDate(later)}`);
    edited = editLine(edited, 'DTEND', `DTEND:${icsDate(new Date(later.getTime() + hour))}`);
    edited = editLine(edited, 'SUMMARY', 'SUMMARY:Demo at ACME (moved)');
    await client.put(object!.href, edited, object!.etag, 'text/calendar');
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 1, itemErrors: 0 });
    expect(await t.store.activities.get(appointment.id)).toMatchObject({ subject: 'Demo at ACME (moved)', start: later.toISOString(), location: 'Room 1' });

    // A CRM change goes out again, keeping the client's edit.
    await t.store.activities.update(appointment.id, { location: 'Room 2' });
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 1, itemErrors: 0 });
    const [after] = await objectsOf(client, calendar);
    expect(after!.data).toContain('LOCATION:Room 2');
    expect(after!.data).toContain('SUMMARY:Demo at ACME (moved)');
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 0 });
  });

  it('imports events of the CRM calendar and tracked events elsewhere: meetings with resolved attendees, recurring series kept whole', async () => {
    const user = await calendarUser(servers, server);
    const config = calendarConfig(user);
    await t.store.users.upsert({ id: 'alice', name: 'Alice Example', email: user.email });
    const contact = await t.store.contacts.create({ firstName: 'Bob', lastName: 'Buyer', emails: ['bob@acme.example'] });
    await syncOnce(t.store, config); // creates the CRM calendar
    const client = await clientSession(user);
    const calendar = await collectionNamed(client, user.crmCalendar);
    const personal = await client.createCalendar(`Personal ${tag()}`, ['VEVENT', 'VTODO']);

    const start = hoursAhead(24);
    const meetingUid = `meeting-${tag()}`;
    await client.put(`${calendar.href}${meetingUid}.ics`, vevent(meetingUid, [`DTSTART:${icsDate(start)}`, `DTEND:${icsDate(new Date(start.getTime() + hour))}`, 'SUMMARY:Kick-off', `ORGANIZER;CN=Alice:mailto:${user.email}`, 'ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT:mailto:bob@acme.example']), null, 'text/calendar');
    const seriesUid = `series-${tag()}`;
    const first = new Date(Date.UTC(2031, 0, 6, 9, 0, 0));
    const series = [
      'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test client//EN',
      'BEGIN:VEVENT', `UID:${seriesUid}`, `DTSTAMP:${icsDate(new Date())}`, `DTSTART:${icsDate(first)}`, `DTEND:${icsDate(new Date(first.getTime() + hour))}`,
      'RRULE:FREQ=WEEKLY;COUNT=10', `EXDATE:${icsDate(new Date(first.getTime() + 7 * 24 * hour))}`, 'SUMMARY:Weekly sync', `CATEGORIES:Work,${user.trackCategory}`, 'X-CLIENT-PROP:keep me', 'END:VEVENT',
      'BEGIN:VEVENT', `UID:${seriesUid}`, `DTSTAMP:${icsDate(new Date())}`, `RECURRENCE-ID:${icsDate(new Date(first.getTime() + 14 * 24 * hour))}`, `DTSTART:${icsDate(new Date(first.getTime() + 14 * 24 * hour + 2 * hour))}`, `DTEND:${icsDate(new Date(first.getTime() + 14 * 24 * hour + 3 * hour))}`, 'SUMMARY:Weekly sync (moved)', 'END:VEVENT',
      'END:VCALENDAR', '',
    ].join('\r\n');
    await client.put(`${personal.href}${seriesUid}.ics`, series, null, 'text/calendar');
    const allDayUid = `allday-${tag()}`;
    await client.put(`${personal.href}${allDayUid}.ics`, vevent(allDayUid, ['DTSTART;VALUE=DATE:20310301', 'DTEND;VALUE=DATE:20310302', 'SUMMARY:Trade fair', `CATEGORIES:${user.trackCategory}`]), null, 'text/calendar');
    const floatingUid = `floating-${tag()}`;
    await client.put(`${personal.href}${floatingUid}.ics`, vevent(floatingUid, ['DTSTART:20310405T080000', 'DURATION:PT45M', 'SUMMARY:Morning run', `CATEGORIES:${user.trackCategory}`]), null, 'text/calendar');
    const privateUid = `private-${tag()}`;
    // With an end: Cyrus refuses an event whose end would equal its start ("DTEND must occur after DTSTART").
    await client.put(`${personal.href}${privateUid}.ics`, vevent(privateUid, [`DTSTART:${icsDate(start)}`, `DTEND:${icsDate(new Date(start.getTime() + hour))}`, 'SUMMARY:Dentist']), null, 'text/calendar');

    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 4, itemErrors: 0 });
    const items = (await t.store.activities.list({ owner: 'alice' }, { limit: 10 })).items;
    expect(items.map((item) => item.subject).sort()).toEqual(['Kick-off', 'Morning run', 'Trade fair', 'Weekly sync']);
    const meeting = items.find((item) => item.subject === 'Kick-off')!;
    expect(meeting.kind).toBe('meeting');
    expect(meeting.parties.find((party) => party.address === 'bob@acme.example')).toMatchObject({ role: 'attendee', contactId: contact.id });
    const fair = items.find((item) => item.subject === 'Trade fair')!;
    expect(fair).toMatchObject({ kind: 'appointment', allDay: true, start: '2031-03-01T00:00:00.000Z', end: '2031-03-02T00:00:00.000Z' });

    // A CRM edit of the series keeps RRULE, EXDATE, the override and unknown properties.
    const weekly = items.find((item) => item.subject === 'Weekly sync')!;
    await t.store.activities.update(weekly.id, { location: 'Room 7' });
    await t.store.activities.update(fair.id, { subject: 'Trade fair (booth 12)' });
    const run = items.find((item) => item.subject === 'Morning run')!;
    await t.store.activities.update(run.id, { subject: 'Morning run (long)', end: new Date(Date.parse(run.start!) + 90 * 60_000).toISOString() });
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 3, itemErrors: 0 });
    const objects = await objectsOf(client, personal);
    const written = objects.find((object) => object.href.includes(seriesUid))!.data.replace(/\r\n[ \t]/g, '');
    expect(written).toContain('LOCATION:Room 7');
    expect(written).toContain('RRULE:FREQ=WEEKLY;COUNT=10');
    expect(written).toMatch(/^EXDATE/m);
    expect(written).toMatch(/^RECURRENCE-ID/m);
    expect(written).toContain('SUMMARY:Weekly sync (moved)');
    expect(written).toContain('X-CLIENT-PROP:keep me');
    const fairText = objects.find((object) => object.href.includes(allDayUid))!.data;
    expect(fairText).toContain('DTSTART;VALUE=DATE:20310301');
    expect(fairText).toContain('SUMMARY:Trade fair (booth 12)');
    // Floating stays floating: the same wall-clock time, no Z, no TZID.
    const runText = objects.find((object) => object.href.includes(floatingUid))!.data;
    expect(runText).toContain('SUMMARY:Morning run (long)');
    expect(runText).toMatch(/^DTSTART:20310405T080000\r?$/m);
    expect(runText).toMatch(/^(DTEND:20310405T093000|DURATION:PT1H30M)\r?$/m);
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 0, itemErrors: 0 });
  });

  it('puts tasks into a task list of their own when crmTaskList names another collection', async () => {
    const user = await calendarUser(servers, server);
    const listName = `Tasks ${tag()}`;
    const config = calendarConfig(user, { tasks: { crmTaskList: listName } });
    await t.store.users.upsert({ id: 'alice', name: 'Alice Example', email: user.email });
    const start = hoursAhead(5);
    await t.store.activities.create({ kind: 'appointment', owner: 'alice', subject: 'Event', start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString() });
    await t.store.activities.create({ kind: 'task', owner: 'alice', subject: 'Todo' });
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 2, itemErrors: 0 });
    const client = await clientSession(user);
    const events = await objectsOf(client, await collectionNamed(client, user.crmCalendar));
    const todos = await objectsOf(client, await collectionNamed(client, listName));
    expect(events.map((object) => object.data.includes('BEGIN:VEVENT'))).toEqual([true]);
    expect(todos.map((object) => object.data.includes('BEGIN:VTODO'))).toEqual([true]);
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 0, itemErrors: 0 });
  });

  it('a client calendar for events only, named like the CRM task list: the tasks get a list of that name next to it, once', async () => {
    const user = await calendarUser(servers, server);
    const client = await clientSession(user);
    const own = await client.createCalendar(user.crmCalendar, ['VEVENT']);
    // crmCalendar and crmTaskList are the same name (calendarConfig): one calendar for both is wanted.
    const config = calendarConfig(user);
    await t.store.users.upsert({ id: 'alice', name: 'Alice Example', email: user.email });
    const start = hoursAhead(6);
    await t.store.activities.create({ kind: 'appointment', owner: 'alice', subject: 'Event', start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString() });
    await t.store.activities.create({ kind: 'task', owner: 'alice', subject: 'Todo' });
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 2, itemErrors: 0 });
    const named = (await client.listCalendars()).filter((calendar) => calendar.displayName === user.crmCalendar);
    const texts = async (calendar: DavCollection) => (await objectsOf(client, calendar)).map((object) => (object.data.includes('BEGIN:VTODO') ? 'VTODO' : 'VEVENT'));
    if (own.components.includes('VTODO')) {
      // Xandikos ignores the component set of MKCALENDAR: its calendar holds both.
      expect(named).toHaveLength(1);
      expect((await texts(named[0]!)).sort()).toEqual(['VEVENT', 'VTODO']);
    } else {
      expect(named).toHaveLength(2);
      expect(await texts(named.find((calendar) => calendar.href === own.href)!)).toEqual(['VEVENT']);
      expect(await texts(named.find((calendar) => calendar.href !== own.href)!)).toEqual(['VTODO']);
    }
    // Later passes find both and create nothing.
    const realFetch = globalThis.fetch;
    const methods: string[] = [];
    globalThis.fetch = (input, init) => {
      methods.push(init?.method ?? 'GET');
      return realFetch(input, init);
    };
    try {
      expect(await syncOnce(t.store, config)).toMatchObject({ changed: 0, itemErrors: 0 });
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(methods).not.toContain('MKCALENDAR');
  });

  it('syncs tasks both ways: completion, due date and priority; a personal task given the category becomes a CRM task', async () => {
    const user = await calendarUser(servers, server);
    const config = calendarConfig(user);
    await t.store.users.upsert({ id: 'alice', name: 'Alice Example', email: user.email });
    const due = hoursAhead(72);
    const task = await t.store.activities.create({ kind: 'follow_up', owner: 'alice', subject: 'Call back ACME', due: due.toISOString(), priority: 'high' });
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 1, itemErrors: 0 });
    const client = await clientSession(user);
    const calendars = await client.listCalendars();
    const list = calendars.find((calendar) => calendar.displayName === user.crmCalendar)!;
    // crmCalendar and crmTaskList name the same collection: one collection holds both.
    expect(calendars.filter((calendar) => calendar.displayName === user.crmCalendar)).toHaveLength(1);
    const [todo] = await objectsOf(client, list);
    expect(todo!.data).toContain('BEGIN:VTODO');
    expect(todo!.data).toContain('PRIORITY:1');

    // Completed in the client, with a new due date and priority.
    const newDue = hoursAhead(96);
    let edited = editLine(todo!.data, 'STATUS', 'STATUS:COMPLETED');
    edited = editLine(edited, 'DUE', `DUE:${icsDate(newDue)}`);
    edited = editLine(edited, 'PRIORITY', 'PRIORITY:9');
    edited = editLine(edited, 'PERCENT-COMPLETE', 'PERCENT-COMPLETE:100');
    await client.put(todo!.href, edited, todo!.etag, 'text/calendar');
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 1, itemErrors: 0 });
    expect(await t.store.activities.get(task.id)).toMatchObject({ kind: 'follow_up', status: 'completed', due: newDue.toISOString(), priority: 'low', percentComplete: 100 });

    // Reopened in the CRM.
    await t.store.activities.update(task.id, { status: 'open' });
    await syncOnce(t.store, config);
    const [reopened] = await objectsOf(client, list);
    expect(reopened!.data).toMatch(/STATUS:(NEEDS-ACTION|IN-PROCESS)/);
    expect(reopened!.data).not.toContain('PERCENT-COMPLETE:100');
    expect((await t.store.activities.get(task.id))!.percentComplete).toBeNull();

    // A task made in the client in the CRM list.
    const clientUid = `client-todo-${tag()}`;
    await client.put(`${list.href}${clientUid}.ics`, vtodo(clientUid, ['SUMMARY:Send offer', 'PRIORITY:1', `DUE:${icsDate(due)}`]), null, 'text/calendar');
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 1 });
    expect((await t.store.activities.list({ owner: 'alice', kinds: ['task'] }, { limit: 10 })).items.find((item) => item.subject === 'Send offer')).toMatchObject({ priority: 'high', due: due.toISOString(), status: 'open' });

    // A personal task that gets the CRM category.
    const personal = await client.createCalendar(`Todo ${tag()}`, ['VTODO']);
    const uid = `todo-${tag()}`;
    await client.put(`${personal.href}${uid}.ics`, vtodo(uid, ['SUMMARY:Buy milk', 'STATUS:NEEDS-ACTION']), null, 'text/calendar');
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 0 });
    const [personalTodo] = await objectsOf(client, personal);
    await client.put(personalTodo!.href, editLine(personalTodo!.data, 'CATEGORIES', `CATEGORIES:${user.trackCategory}`), personalTodo!.etag, 'text/calendar');
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 1 });
    const tasks = (await t.store.activities.list({ owner: 'alice', kinds: ['task', 'follow_up'] }, { limit: 10 })).items;
    expect(tasks.map((item) => item.subject).sort()).toEqual(['Buy milk', 'Call back ACME', 'Send offer']);

    // A reset of the tasks (the events of the same collection are not touched) re-matches everything.
    const before = (await objectsOf(client, list)).length;
    expect((await resetUserSync(t.store, 'alice', 'tasks')).mappings).toBe(3);
    expect(await syncOnce(t.store, config)).toMatchObject({ itemErrors: 0 });
    expect(await objectsOf(client, list)).toHaveLength(before);
    expect((await t.store.activities.list({ owner: 'alice', kinds: ['task', 'follow_up'] }, { limit: 10 })).items).toHaveLength(3);
    expect(await t.store.syncStatus.listPair('tasks:alice')).toHaveLength(3);
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 0 });
  });

  it('syncs PERCENT-COMPLETE both ways: the client’s percentage reaches the CRM, PATCH /api/v1/tasks percentComplete reaches the server', async () => {
    const user = await calendarUser(servers, server);
    const api = await startApi({ users: [{ id: 'alice', name: 'Alice Example', email: user.email, caldav: user.caldav, calendar: { crmCalendar: user.crmCalendar, trackCategory: user.trackCategory }, tasks: { crmTaskList: user.crmCalendar } }] });
    const unfolded = (text: string) => text.replace(/\r\n[ \t]/g, '');
    try {
      const created = await api.call('POST', '/api/v1/tasks', { body: { owner: 'alice', subject: 'Prepare quote', percentComplete: 20 } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ status: 'open', percentComplete: 20 });
      const id = created.body.id as string;
      const plain = await api.call('POST', '/api/v1/tasks', { body: { owner: 'alice', subject: 'No percentage' } });
      expect(plain.body.percentComplete).toBeNull();
      expect((await api.call('POST', '/api/v1/tasks', { body: { owner: 'alice', subject: 'Too much', percentComplete: 101 } })).status).toBe(400);
      expect(await syncOnce(api.t.store, api.config)).toMatchObject({ changed: 2, itemErrors: 0 });

      const client = await clientSession(user);
      const list = await collectionNamed(client, user.crmCalendar);
      const todoOf = async (taskId: string) => (await objectsOf(client, list)).find((object) => object.href.includes(taskId))!;
      let todo = await todoOf(id);
      expect(unfolded(todo.data)).toMatch(/^PERCENT-COMPLETE:20\r?$/m);
      expect(unfolded(todo.data)).toMatch(/^STATUS:IN-PROCESS\r?$/m);
      // No percentage in the CRM: none written.
      expect((await todoOf(plain.body.id as string)).data).not.toContain('PERCENT-COMPLETE');

      // The client moves it to 60 %.
      await client.put(todo.href, editLine(todo.data, 'PERCENT-COMPLETE', 'PERCENT-COMPLETE:60'), todo.etag, 'text/calendar');
      expect(await syncOnce(api.t.store, api.config)).toMatchObject({ changed: 1, itemErrors: 0 });
      expect((await api.call('GET', `/api/v1/tasks/${id}`)).body).toMatchObject({ status: 'open', percentComplete: 60 });

      // PATCH in the CRM: 85 % reaches the server, the client's other properties stay.
      const patched = await api.call('PATCH', `/api/v1/tasks/${id}`, { body: { percentComplete: 85 } });
      expect(patched.status).toBe(200);
      expect(patched.body.percentComplete).toBe(85);
      expect(await syncOnce(api.t.store, api.config)).toMatchObject({ changed: 1, itemErrors: 0 });
      todo = await todoOf(id);
      expect(unfolded(todo.data)).toMatch(/^PERCENT-COMPLETE:85\r?$/m);
      expect(unfolded(todo.data)).toMatch(/^STATUS:IN-PROCESS\r?$/m);
      expect(await syncOnce(api.t.store, api.config)).toMatchObject({ changed: 0 });

      // Completing in the CRM makes it 100 % on both sides.
      expect((await api.call('PATCH', `/api/v1/tasks/${id}`, { body: { status: 'completed' } })).body).toMatchObject({ status: 'completed', percentComplete: 100 });
      await syncOnce(api.t.store, api.config);
      todo = await todoOf(id);
      expect(unfolded(todo.data)).toMatch(/^STATUS:COMPLETED\r?$/m);
      expect(unfolded(todo.data)).toMatch(/^PERCENT-COMPLETE:100\r?$/m);

      // The client reopens it at 50 %: open again in the CRM, with the client's percentage.
      let reopened = editLine(todo.data, 'STATUS', 'STATUS:IN-PROCESS');
      reopened = editLine(reopened, 'PERCENT-COMPLETE', 'PERCENT-COMPLETE:50').replace(/^COMPLETED:.*\r?\n/m, '');
      await client.put(todo.href, reopened, todo.etag, 'text/calendar');
      expect(await syncOnce(api.t.store, api.config)).toMatchObject({ changed: 1, itemErrors: 0 });
      expect((await api.call('GET', `/api/v1/tasks/${id}`)).body).toMatchObject({ status: 'open', percentComplete: 50 });

      // Clearing it in the CRM removes PERCENT-COMPLETE on the server.
      await api.call('PATCH', `/api/v1/tasks/${id}`, { body: { percentComplete: null } });
      await syncOnce(api.t.store, api.config);
      todo = await todoOf(id);
      expect(todo.data).not.toContain('PERCENT-COMPLETE');
      expect(unfolded(todo.data)).toMatch(/^STATUS:NEEDS-ACTION\r?$/m);
      expect(await syncOnce(api.t.store, api.config)).toMatchObject({ changed: 0, itemErrors: 0 });
    } finally {
      await api.close();
    }
  });

  it('syncs the reminder both ways: POST /api/v1/appointments reminderMinutes becomes a VALARM, the client’s change comes back, PATCH null keeps the client’s own alarm', async () => {
    const user = await calendarUser(servers, server);
    const api = await startApi({ users: [{ id: 'alice', name: 'Alice Example', email: user.email, caldav: user.caldav, calendar: { crmCalendar: user.crmCalendar, trackCategory: user.trackCategory } }] });
    const unfolded = (text: string) => text.replace(/\r\n[ \t]/g, '');
    const alarms = (text: string) => unfolded(text).split(/\r?\n/).filter((line) => line === 'BEGIN:VALARM').length;
    try {
      const start = hoursAhead(72);
      const times = { start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString() };
      const created = await api.call('POST', '/api/v1/appointments', { body: { owner: 'alice', subject: 'Quarterly review', ...times, reminderMinutes: 15 } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ kind: 'appointment', reminderMinutes: 15 });
      const id = created.body.id as string;
      const plain = await api.call('POST', '/api/v1/appointments', { body: { owner: 'alice', subject: 'No reminder', ...times } });
      expect(plain.body.reminderMinutes).toBeNull();
      expect((await api.call('POST', '/api/v1/appointments', { body: { owner: 'alice', subject: 'Too early', ...times, reminderMinutes: 40321 } })).status).toBe(400);
      // The OpenAPI document follows from the schemas.
      const schemas = (await api.call('GET', '/api/v1/openapi.json', { token: null })).body.components.schemas;
      for (const name of ['AppointmentInput', 'AppointmentPatch', 'Activity']) expect(JSON.stringify(schemas[name].properties.reminderMinutes), name).toContain('40320');
      expect(await syncOnce(api.t.store, api.config)).toMatchObject({ changed: 2, itemErrors: 0 });

      const client = await clientSession(user);
      const calendar = await collectionNamed(client, user.crmCalendar);
      const eventOf = async (activityId: string) => (await objectsOf(client, calendar)).find((object) => object.href.includes(activityId))!;
      let event = await eventOf(id);
      expect(unfolded(event.data)).toMatch(/^TRIGGER:-PT15M\r?$/m);
      expect(unfolded(event.data)).toMatch(/^ACTION:DISPLAY\r?$/m);
      expect(alarms(event.data)).toBe(1);
      expect((await eventOf(plain.body.id as string)).data).not.toContain('BEGIN:VALARM');

      // The client moves the reminder to 30 minutes and adds an alarm of its own an hour before.
      const own = ['BEGIN:VALARM', 'UID:client-alarm-1', 'ACTION:AUDIO', 'TRIGGER:-PT1H', 'END:VALARM'].join('\r\n');
      const edited = editLine(event.data, 'TRIGGER', 'TRIGGER:-PT30M').replace(/^END:VEVENT\r?$/m, `${own}\r\nEND:VEVENT`);
      await client.put(event.href, edited, event.etag, 'text/calendar');
      expect(await syncOnce(api.t.store, api.config)).toMatchObject({ changed: 1, itemErrors: 0 });
      expect((await api.call('GET', `/api/v1/appointments/${id}`)).body).toMatchObject({ reminderMinutes: 30 });
      expect(await syncOnce(api.t.store, api.config)).toMatchObject({ changed: 0, itemErrors: 0 });

      // PATCH null: the bridge's alarm goes, the client's own stays, and the CRM keeps no reminder.
      const patched = await api.call('PATCH', `/api/v1/appointments/${id}`, { body: { reminderMinutes: null } });
      expect(patched.status).toBe(200);
      expect(patched.body.reminderMinutes).toBeNull();
      expect(await syncOnce(api.t.store, api.config)).toMatchObject({ changed: 1, itemErrors: 0 });
      event = await eventOf(id);
      expect(unfolded(event.data)).not.toMatch(/^TRIGGER:-PT30M\r?$/m);
      expect(unfolded(event.data)).toMatch(/^TRIGGER:-PT1H\r?$/m);
      expect(unfolded(event.data)).toMatch(/^UID:client-alarm-1\r?$/m);
      expect(alarms(event.data)).toBe(1);
      expect(await syncOnce(api.t.store, api.config)).toMatchObject({ changed: 0, itemErrors: 0 });
      expect((await api.call('GET', `/api/v1/appointments/${id}`)).body).toMatchObject({ reminderMinutes: null });

      // A CRM edit later leaves the client's alarm alone.
      await api.call('PATCH', `/api/v1/appointments/${id}`, { body: { location: 'Room 3' } });
      expect(await syncOnce(api.t.store, api.config)).toMatchObject({ changed: 1, itemErrors: 0 });
      event = await eventOf(id);
      expect(event.data).toContain('LOCATION:Room 3');
      expect(unfolded(event.data)).toMatch(/^TRIGGER:-PT1H\r?$/m);
      expect((await api.call('GET', `/api/v1/appointments/${id}`)).body).toMatchObject({ reminderMinutes: null });
    } finally {
      await api.close();
    }
  });
});
