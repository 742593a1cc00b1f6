import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHarness } from '../../support/api-server.js';
import { applyConfig } from '../../../src/store/apply-config.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ users: [{ id: 'alice', name: 'Alice', email: 'alice@example.com' }, { id: 'bob', name: 'Bob', email: 'bob@example.com' }] });
  await applyConfig(api.t.store, api.config);
});
afterAll(async () => api.close());

const inDays = (days: number, hour = 10) => {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() + days);
  date.setUTCHours(hour, 0, 0, 0);
  return date.toISOString();
};

describe('appointments and tasks API', () => {
  it('creates an appointment, a meeting when it has attendees, and patches and deletes it', async () => {
    const plain = await api.call('POST', '/api/v1/appointments', { body: { owner: 'alice', subject: 'Dentist', start: inDays(1), end: inDays(1, 11), busyStatus: 'oof' } });
    expect(plain).toMatchObject({ status: 201, body: { kind: 'appointment', busyStatus: 'oof', owner: 'alice' } });
    const meeting = await api.call('POST', '/api/v1/appointments', { body: { owner: 'alice', subject: 'Kick-off', start: inDays(2), end: inDays(2, 11), attendees: ['bob@example.com', 'carol@acme.example'], location: 'Room 1', description: 'Agenda' } });
    expect(meeting.body).toMatchObject({ kind: 'meeting', location: 'Room 1', bodyText: 'Agenda', busyStatus: 'busy' });
    expect(meeting.body.parties.map((party: { address: string }) => party.address)).toEqual(['bob@example.com', 'carol@acme.example']);
    const moved = await api.call('PATCH', `/api/v1/appointments/${meeting.body.id}`, { body: { start: inDays(3), end: inDays(3, 12), attendees: [] } });
    expect(moved.body).toMatchObject({ kind: 'appointment', start: inDays(3), end: inDays(3, 12), parties: [] });
    expect((await api.call('PATCH', `/api/v1/appointments/${meeting.body.id}`, { body: { end: inDays(2) } })).status).toBe(400);
    // A line break in a single-line field would become a property of its own in the CalDAV object.
    const injected = await api.call('POST', '/api/v1/appointments', { body: { owner: 'alice', subject: 'Call\r\nATTENDEE:mailto:x@attacker.example', start: inDays(2), end: inDays(2, 11) } });
    expect(injected).toMatchObject({ status: 400, body: { code: 'INVALID_INPUT', details: [{ path: 'subject' }] } });
    expect((await api.call('PATCH', `/api/v1/appointments/${meeting.body.id}`, { body: { location: 'Room\r1' } })).body).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'location' }] });
    expect((await api.call('POST', '/api/v1/tasks', { body: { owner: 'alice', subject: 'Call\rX' } })).body).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'subject' }] });
    expect((await api.call('GET', '/api/v1/appointments?owner=alice')).body.items).toHaveLength(2);
    expect((await api.call('DELETE', `/api/v1/appointments/${plain.body.id}`)).status).toBe(204);
    expect((await api.call('GET', `/api/v1/appointments/${plain.body.id}`)).status).toBe(404);
  });

  it('creates tasks and follow-ups; an appointment id is not a task', async () => {
    const task = await api.call('POST', '/api/v1/tasks', { body: { owner: 'alice', subject: 'Call back', due: inDays(1), priority: 'high' } });
    expect(task.body).toMatchObject({ kind: 'task', status: 'open', priority: 'high', due: inDays(1) });
    const followUp = await api.call('POST', '/api/v1/tasks', { body: { owner: 'alice', kind: 'follow_up', subject: 'Check offer' } });
    expect(followUp.body.kind).toBe('follow_up');
    expect((await api.call('PATCH', `/api/v1/tasks/${task.body.id}`, { body: { status: 'completed' } })).body.status).toBe('completed');
    const appointment = await api.call('POST', '/api/v1/appointments', { body: { owner: 'alice', subject: 'x', start: inDays(5), end: inDays(5, 11) } });
    expect((await api.call('GET', `/api/v1/tasks/${appointment.body.id}`)).status).toBe(404);
    expect((await api.call('POST', '/api/v1/tasks', { body: { owner: 'nobody', subject: 'x' } })).body.details[0].path).toBe('owner');
  });
});

describe('free/busy', () => {
  it('answers busy periods per attendee with their source; free and cancelled time is left out', async () => {
    await api.call('POST', '/api/v1/appointments', { body: { owner: 'bob', subject: 'Busy', start: inDays(10, 9), end: inDays(10, 10) } });
    await api.call('POST', '/api/v1/appointments', { body: { owner: 'bob', subject: 'Overlap', start: inDays(10, 9), end: inDays(10, 11), busyStatus: 'tentative' } });
    await api.call('POST', '/api/v1/appointments', { body: { owner: 'bob', subject: 'Free', start: inDays(11, 9), end: inDays(11, 10), busyStatus: 'free' } });
    const cancelled = await api.call('POST', '/api/v1/appointments', { body: { owner: 'bob', subject: 'Cancelled', start: inDays(12, 9), end: inDays(12, 10) } });
    await api.call('PATCH', `/api/v1/activities/${cancelled.body.id}`, { body: { status: 'cancelled' } });
    const answer = await api.call('GET', `/api/v1/freebusy?attendees=bob@example.com,stranger@acme.example&from=${inDays(9)}&to=${inDays(13)}`);
    expect(answer.status).toBe(200);
    expect(answer.body.attendees).toEqual([
      { attendee: 'bob@example.com', userId: 'bob', known: true, method: 'store', busy: [
        { start: inDays(10, 9), end: inDays(10, 10), type: 'BUSY', source: 'crm' },
        { start: inDays(10, 10), end: inDays(10, 11), type: 'BUSY-TENTATIVE', source: 'crm' },
      ] },
      { attendee: 'stranger@acme.example', userId: null, known: false, method: 'crm-activities', busy: [] },
    ]);
    expect((await api.call('GET', `/api/v1/freebusy?attendees=bob&from=${inDays(9)}&to=${inDays(8)}`)).status).toBe(400);
  });

  it('publishes /freebusy/<user>.vfb for the user token or an API token, parseable by ical.js, by id or e-mail', async () => {
    await api.call('POST', '/api/v1/appointments', { body: { owner: 'alice', subject: 'Out', start: inDays(20, 8), end: inDays(20, 17), busyStatus: 'oof' } });
    const token = await api.t.store.credentials.get('user', 'alice', 'freebusy-token');
    expect(token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect((await api.call('GET', '/freebusy/alice@example.com.vfb', { token: null })).status).toBe(401);
    expect((await api.call('GET', '/freebusy/alice@example.com.vfb?token=wrong', { token: null })).status).toBe(401);
    const bobToken = await api.t.store.credentials.get('user', 'bob', 'freebusy-token');
    expect((await api.call('GET', `/freebusy/alice@example.com.vfb?token=${bobToken}`, { token: null })).status).toBe(401);
    const published = await api.call('GET', `/freebusy/alice@example.com.vfb?token=${token}`, { token: null });
    expect(published.status).toBe(200);
    expect(published.headers.get('content-type')).toMatch(/^text\/calendar/);
    const calendar = new ICAL.Component(ICAL.parse(published.body as string));
    const vfreebusy = calendar.getFirstSubcomponent('vfreebusy')!;
    expect(vfreebusy.getFirstPropertyValue('organizer')).toBe('mailto:alice@example.com');
    const busy = vfreebusy.getAllProperties('freebusy').map((property) => `${property.getParameter('fbtype')} ${(property.getFirstValue() as ICAL.Period).start.toJSDate().toISOString()}`);
    expect(busy).toContain(`BUSY-UNAVAILABLE ${inDays(20, 8)}`);
    expect((await api.call('GET', '/freebusy/alice.vfb')).status).toBe(200);
    expect((await api.call('GET', '/freebusy/nobody@example.com.vfb')).status).toBe(404);
  });
});
