// The RFC 6638 schedule outbox against the real servers. Neither Radicale nor Xandikos implements
// scheduling, so both must answer "no outbox" (null), which makes the free/busy lookup fall back to
// what the CRM knows, instead of an error. Cyrus implements it (free/busy of another local user,
// also through the API: calendar/schedule-outbox-cyrus.test.ts); sabre/dav 1.8 has an outbox that
// knows no recipient. The request and response formats are checked on their own.

import { describe, expect, inject, it } from 'vitest';
import { CalDavConnector, CalDavScheduleOutbox } from '../../../adapters/caldav/index.js';
import { freeBusyRequestText, parseScheduleResponse } from '../../../adapters/caldav/schedule-outbox.js';
import { parseFreeBusyPeriods } from '../../../src/calendar/freebusy-parse.js';
import { createCyrusUser } from '../../servers/cyrus.js';
import { createSabreUser } from '../../servers/sabre.js';
import { createRadicaleUser } from '../../servers/users.js';
import { rejection } from '../../support/errors.js';

const servers = inject('servers');
const request = { organizer: { email: 'alice@example.com', name: 'Alice' }, attendees: ['bob@example.org'], start: new Date('2030-01-07T00:00:00Z'), end: new Date('2030-01-08T00:00:00Z') };

describe('schedule outbox on the servers of the matrix', () => {
  it('Radicale: no schedule-outbox-URL, so no answer', async () => {
    const user = await createRadicaleUser(servers, 'sched');
    const answer = await new CalDavScheduleOutbox().query({ url: servers.radicale.url, username: user.username, password: user.password, timeoutMs: 15_000 }, request);
    expect(answer).toBeNull();
  });

  it('Xandikos: no schedule-outbox-URL, so no answer', async () => {
    const answer = await new CalDavScheduleOutbox().query({ url: servers.xandikos.url, username: 'anyone', password: 'anything', timeoutMs: 15_000 }, request);
    expect(answer).toBeNull();
  });

  it('sabre/dav 1.8: an outbox that answers 3.7 (invalid calendar user) for another user of the server', async () => {
    const [alice, bob] = [createSabreUser(servers, 'sched'), createSabreUser(servers, 'sched')];
    const answer = await new CalDavScheduleOutbox().query({ url: servers.sabre.url, username: alice.username, password: alice.password, timeoutMs: 15_000 }, { ...request, organizer: { email: `${alice.username}@example.com`, name: 'Alice' }, attendees: [`${bob.username}@example.com`] });
    expect(answer).toEqual([{ attendee: `${bob.username}@example.com`, requestStatus: '3.7', calendarData: null }]);
  });

  it('Cyrus: free/busy of another user of the server (RFC 6638 §5)', async () => {
    const [alice, bob] = [await createCyrusUser(servers, 'sched'), await createCyrusUser(servers, 'sched')];
    const ask = () => new CalDavScheduleOutbox().query({ url: servers.cyrus.url, username: alice.username, password: alice.password, timeoutMs: 15_000 }, { ...request, organizer: { email: `${alice.username}@example.com`, name: 'Alice' }, attendees: [`${bob.username}@example.com`] });
    // Cyrus makes a user's calendar home on their first CalDAV request; before it, 5.1 (could not deliver).
    expect((await ask())?.[0]).toMatchObject({ requestStatus: '5.1', calendarData: null });
    await (await new CalDavConnector().connect({ url: servers.cyrus.url, username: bob.username, password: bob.password })).listCalendars();
    const answer = await ask();
    expect(answer).toHaveLength(1);
    expect(answer![0]).toMatchObject({ attendee: `${bob.username}@example.com`, requestStatus: '2.0' });
    expect(answer![0]!.calendarData).toMatch(/BEGIN:VFREEBUSY/);
  });

  it('a wrong password is an AUTH error, not "no outbox"', async () => {
    const user = await createRadicaleUser(servers, 'sched');
    const error = await rejection(new CalDavScheduleOutbox().query({ url: servers.radicale.url, username: user.username, password: 'wrong', timeoutMs: 15_000 }, request));
    expect(error).toMatchObject({ code: 'AUTH' });
  });
});

describe('schedule request and response formats (RFC 6638 §5, Appendix B.5)', () => {
  it('writes a VFREEBUSY REQUEST with organizer, attendees and the window', () => {
    const text = freeBusyRequestText({ ...request, attendees: ['bob@example.org', 'carol@example.org'] }, 'uid-1', new Date('2030-01-01T00:00:00Z'));
    expect(text.split('\r\n')).toEqual(expect.arrayContaining(['METHOD:REQUEST', 'BEGIN:VFREEBUSY', 'UID:uid-1', 'DTSTART:20300107T000000Z', 'DTEND:20300108T000000Z', 'ORGANIZER;CN="Alice":mailto:alice@example.com', 'ATTENDEE:mailto:bob@example.org', 'ATTENDEE:mailto:carol@example.org']));
  });

  it('reads each recipient\'s status and VFREEBUSY from a schedule-response', () => {
    const xml = `<?xml version="1.0" encoding="utf-8" ?>
<C:schedule-response xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <C:response>
    <C:recipient><D:href>mailto:Bob@example.org</D:href></C:recipient>
    <C:request-status>2.0;Success</C:request-status>
    <C:calendar-data>BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Corp.//CalDAV Server//EN
METHOD:REPLY
BEGIN:VFREEBUSY
UID:4FD3AD926350
DTSTAMP:20090602T200733Z
DTSTART:20300107T000000Z
DTEND:20300108T000000Z
ORGANIZER;CN="Alice":mailto:alice@example.com
ATTENDEE;CN="Bob":mailto:bob@example.org
FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20300107T080000Z/20300107T100000Z
END:VFREEBUSY
END:VCALENDAR
</C:calendar-data>
  </C:response>
  <C:response>
    <C:recipient><D:href>mailto:unknown@example.org</D:href></C:recipient>
    <C:request-status>3.7;Invalid calendar user</C:request-status>
  </C:response>
</C:schedule-response>`;
    const answers = parseScheduleResponse(xml);
    expect(answers.map((answer) => [answer.attendee, answer.requestStatus, answer.calendarData !== null])).toEqual([
      ['bob@example.org', '2.0', true],
      ['unknown@example.org', '3.7', false],
    ]);
    expect(parseFreeBusyPeriods(answers[0]!.calendarData!)).toEqual([{ start: new Date('2030-01-07T08:00:00Z'), end: new Date('2030-01-07T10:00:00Z'), type: 'BUSY-UNAVAILABLE' }]);
  });
});
