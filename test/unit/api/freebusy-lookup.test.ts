import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyConfig } from '../../../src/store/apply-config.js';
import type { ScheduleFreeBusy, ScheduleFreeBusyRequest } from '../../../src/ports/freebusy.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';

/** A server that answers for carol@partner.example only (RFC 6638 request-status 2.0) and knows nobody else (3.7). */
class FakeScheduleOutbox implements ScheduleFreeBusy {
  requests: ScheduleFreeBusyRequest[] = [];
  failing = false;
  query(_server: unknown, request: ScheduleFreeBusyRequest) {
    this.requests.push(request);
    if (this.failing) return Promise.reject(new Error('connection refused'));
    return Promise.resolve(
      request.attendees.map((attendee) =>
        attendee === 'carol@partner.example'
          ? {
              attendee,
              requestStatus: '2.0',
              calendarData: ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//x//EN', 'METHOD:REPLY', 'BEGIN:VFREEBUSY', 'UID:1', 'DTSTAMP:20260101T000000Z', 'FREEBUSY;FBTYPE=BUSY:20300107T090000Z/20300107T120000Z', 'END:VFREEBUSY', 'END:VCALENDAR', ''].join('\r\n'),
            }
          : { attendee, requestStatus: '3.7', calendarData: null },
      ),
    );
  }
}

const outbox = new FakeScheduleOutbox();
let api: ApiHarness;
beforeAll(async () => {
  api = await startApi(
    {
      users: [
        { id: 'alice', name: 'Alice', email: 'alice@example.com', caldav: { url: 'http://127.0.0.1:1/', username: 'alice', password: 'secret' } },
        { id: 'bob', name: 'Bob', email: 'bob@example.com' },
      ],
      freebusy: { workingHours: { start: '09:00', end: '17:00', timeZone: 'UTC' } },
    },
    { freeBusy: outbox },
  );
  await applyConfig(api.t.store, api.config);
});
afterAll(async () => api.close());

// 2030-01-07 is a Monday.
const window = 'from=2030-01-07T00:00:00Z&to=2030-01-08T00:00:00Z';

describe('free/busy lookup beyond the users', () => {
  it('asks the schedule outbox as the first user with CalDAV for outsiders, and falls back to CRM appointments they attend', async () => {
    await api.call('POST', '/api/v1/appointments', { body: { owner: 'bob', subject: 'With Dave', start: '2030-01-07T13:00:00Z', end: '2030-01-07T14:00:00Z', attendees: ['dave@customer.example'] } });
    const answer = await api.call('GET', `/api/v1/freebusy?attendees=bob,carol@partner.example,dave@customer.example&${window}`);
    expect(answer.status).toBe(200);
    expect(outbox.requests.at(-1)).toMatchObject({ organizer: { email: 'alice@example.com', name: 'Alice' }, attendees: ['carol@partner.example', 'dave@customer.example'] });
    expect(answer.body.attendees).toEqual([
      { attendee: 'bob', userId: 'bob', known: true, method: 'store', busy: [{ start: '2030-01-07T13:00:00.000Z', end: '2030-01-07T14:00:00.000Z', type: 'BUSY', source: 'crm' }] },
      { attendee: 'carol@partner.example', userId: null, known: true, method: 'schedule-outbox', busy: [{ start: '2030-01-07T09:00:00.000Z', end: '2030-01-07T12:00:00.000Z', type: 'BUSY', source: 'schedule-outbox' }] },
      { attendee: 'dave@customer.example', userId: null, known: false, method: 'crm-activities', busy: [{ start: '2030-01-07T13:00:00.000Z', end: '2030-01-07T14:00:00.000Z', type: 'BUSY', source: 'crm' }] },
    ]);
  });

  it('still answers when the server cannot be reached', async () => {
    outbox.failing = true;
    try {
      const answer = await api.call('GET', `/api/v1/freebusy?attendees=carol@partner.example&${window}`);
      expect(answer.status).toBe(200);
      expect(answer.body.attendees[0]).toMatchObject({ known: false, method: 'crm-activities', busy: [] });
    } finally {
      outbox.failing = false;
    }
  });
});

describe('slot proposal', () => {
  it('proposes the first hours at which every attendee is free, within working hours', async () => {
    const answer = await api.call('GET', `/api/v1/freebusy/slots?attendees=bob,carol@partner.example&duration=60&count=3&${window}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      slots: [
        { start: '2030-01-07T12:00:00.000Z', end: '2030-01-07T13:00:00.000Z' },
        { start: '2030-01-07T14:00:00.000Z', end: '2030-01-07T15:00:00.000Z' },
        { start: '2030-01-07T15:00:00.000Z', end: '2030-01-07T16:00:00.000Z' },
      ],
      unknownAttendees: [],
    });
  });

  it('takes working hours from the request and names attendees it knows nothing about', async () => {
    const answer = await api.call('GET', `/api/v1/freebusy/slots?attendees=bob,nobody@else.example&duration=30&count=1&workStart=13:00&workEnd=18:00&timeZone=Europe/Berlin&${window}`);
    expect(answer.body).toEqual({ slots: [{ start: '2030-01-07T12:00:00.000Z', end: '2030-01-07T12:30:00.000Z' }], unknownAttendees: ['nobody@else.example'] });
  });

  it('rejects bad input with the parameter named', async () => {
    expect((await api.call('GET', `/api/v1/freebusy/slots?attendees=bob&duration=60&timeZone=Mars/Olympus&${window}`)).body).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'timeZone' }] });
    expect((await api.call('GET', `/api/v1/freebusy/slots?attendees=bob&duration=60&workStart=17:00&workEnd=09:00&${window}`)).body).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'workEnd' }] });
    expect((await api.call('GET', `/api/v1/freebusy/slots?attendees=bob&${window}`)).status).toBe(400);
    expect((await api.call('GET', `/api/v1/freebusy/slots?attendees=bob&duration=60&days=0,8&${window}`)).status).toBe(400);
  });
});

describe('/freebusy/<user>.vfb with Basic auth', () => {
  it('accepts the user token or an API token as the Basic password and challenges with Basic otherwise', async () => {
    const token = await api.t.store.credentials.get('user', 'alice', 'freebusy-token');
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`alice@example.com:${password}`).toString('base64')}` });
    const refused = await api.call('GET', '/freebusy/alice@example.com.vfb', { token: null });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await api.call('GET', '/freebusy/alice@example.com.vfb', { token: null, headers: basic('wrong') })).status).toBe(401);
    const published = await api.call('GET', '/freebusy/alice@example.com.vfb', { token: null, headers: basic(token!) });
    expect(published.status).toBe(200);
    expect(new ICAL.Component(ICAL.parse(published.body as string)).getFirstSubcomponent('vfreebusy')).not.toBeNull();
    expect((await api.call('GET', '/freebusy/alice.vfb', { token: null, headers: basic('test-token-0123456789abcdef') })).status).toBe(200);
    // The API keeps its Bearer challenge.
    expect((await api.call('GET', '/api/v1/freebusy?attendees=bob', { token: null })).headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});
