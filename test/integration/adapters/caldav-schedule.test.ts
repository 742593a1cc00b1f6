// The RFC 6638 schedule outbox against the real servers. Neither Radicale nor Xandikos implements
// scheduling, so both must answer "no outbox" (null), which makes the free/busy lookup fall back to
// what the CRM knows, instead of an error. The request and response formats are checked on their own.

import { describe, expect, inject, it } from 'vitest';
import { CalDavScheduleOutbox } from '../../../adapters/caldav/index.js';
import { freeBusyRequestText, parseScheduleResponse } from '../../../adapters/caldav/schedule-outbox.js';
import { parseFreeBusyPeriods } from '../../../src/calendar/freebusy-parse.js';
import { createRadicaleUser } from '../../servers/users.js';
import { rejection } from '../../support/errors.js';

const servers = inject('servers');
const request = { organizer: { email: 'alice@example.com', name: 'Alice' }, attendees: ['bob@example.org'], start: new Date('2030-01-07T00:00:00Z'), end: new Date('2030-01-08T00:00:00Z') };

describe('schedule outbox on servers without scheduling', () => {
  it('Radicale: no schedule-outbox-URL, so no answer', async () => {
    const user = await createRadicaleUser(servers, 'sched');
    const answer = await new CalDavScheduleOutbox().query({ url: servers.radicale.url, username: user.username, password: user.password, timeoutMs: 15_000 }, request);
    expect(answer).toBeNull();
  });

  it('Xandikos: no schedule-outbox-URL, so no answer', async () => {
    const answer = await new CalDavScheduleOutbox().query({ url: servers.xandikos.url, username: 'anyone', password: 'anything', timeoutMs: 15_000 }, request);
    expect(answer).toBeNull();
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
