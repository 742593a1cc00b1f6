// Free/busy of someone who is not a user of the bridge, asked from their server with RFC 6638
// scheduling: GET /api/v1/freebusy against a real Cyrus, where the other person is a real Cyrus user
// with an event in their own calendar. The bridge asks the schedule outbox of the first user with
// CalDAV (alice) and answers with method schedule-outbox and the periods Cyrus computed.

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CalDavConnector, CalDavScheduleOutbox } from '../../../adapters/caldav/index.js';
import { applyConfig } from '../../../src/store/apply-config.js';
import { createCyrusUser } from '../../servers/cyrus.js';
import type { Credentials } from '../../servers/types.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';

const servers = inject('servers');
let api: ApiHarness;
let alice: Credentials;
let outsider: Credentials;

beforeAll(async () => {
  alice = await createCyrusUser(servers, 'alice');
  outsider = await createCyrusUser(servers, 'partner');
  // The outsider's own client puts a meeting into their default calendar.
  const session = await new CalDavConnector().connect({ url: servers.cyrus.url, username: outsider.username, password: outsider.password });
  const [calendar] = await session.listCalendars();
  const event = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//partner client//EN', 'BEGIN:VEVENT', 'UID:partner-busy-1', 'DTSTAMP:20260101T000000Z', 'DTSTART:20300107T100000Z', 'DTEND:20300107T113000Z', 'SUMMARY:Board meeting', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  await session.put(`${calendar!.href}partner-busy-1.ics`, event, null, 'text/calendar');
  api = await startApi(
    { users: [{ id: 'alice', name: 'Alice', email: `${alice.username}@example.com`, caldav: { url: servers.cyrus.url, username: alice.username, password: alice.password } }] },
    { freeBusy: new CalDavScheduleOutbox() },
  );
  await applyConfig(api.t.store, api.config);
});
afterAll(async () => api?.close());

describe('free/busy through the schedule outbox of a real Cyrus', () => {
  it('answers for another Cyrus user with method schedule-outbox and their busy time', async () => {
    const attendee = `${outsider.username}@example.com`;
    const answer = await api.call('GET', `/api/v1/freebusy?attendees=${attendee}&from=2030-01-07T00:00:00Z&to=2030-01-08T00:00:00Z`);
    expect(answer.status).toBe(200);
    expect(answer.body.attendees).toEqual([
      { attendee, userId: null, known: true, method: 'schedule-outbox', busy: [{ start: '2030-01-07T10:00:00.000Z', end: '2030-01-07T11:30:00.000Z', type: 'BUSY', source: 'schedule-outbox' }] },
    ]);
  });

  it('someone the server does not know falls back to what the CRM knows', async () => {
    const answer = await api.call('GET', '/api/v1/freebusy?attendees=stranger@elsewhere.example&from=2030-01-07T00:00:00Z&to=2030-01-08T00:00:00Z');
    expect(answer.status).toBe(200);
    expect(answer.body.attendees).toEqual([{ attendee: 'stranger@elsewhere.example', userId: null, known: false, method: 'crm-activities', busy: [] }]);
  });
});
