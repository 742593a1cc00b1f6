// Free/busy of other calendar users through the organizer's schedule outbox (RFC 6638 §5, the
// CalDAV form of an iTIP VFREEBUSY REQUEST, RFC 5546 §3.3.2). Servers without implicit scheduling
// (Radicale, Xandikos) have no schedule-outbox-URL on the principal; then the answer is null and
// the caller falls back to what it knows.

import { randomUUID } from 'node:crypto';
import type { ScheduleFreeBusy, ScheduleFreeBusyAnswer, ScheduleFreeBusyRequest } from '../../src/ports/freebusy.js';
import type { DavServerSettings } from '../../src/ports/dav.js';
import { discover } from './discovery.js';
import { canonicalHref, sameUrl } from './href.js';
import { davHttpFor } from './http.js';
import { okHrefs, parseMultistatus } from './multistatus.js';
import { icalUtc, propfindBody } from './requests.js';
import { childOf, childrenOf, NS_CALDAV, NS_DAV, parseXml, type XmlElement } from './xml.js';

function textOf(el: XmlElement | undefined): string {
  if (el === undefined) return '';
  return el.text + el.children.map(textOf).join('');
}

/** Header-safe iCalendar text value (RFC 5545 §3.3.11 forbids raw line breaks). */
function clean(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

/** The iTIP request of RFC 5546 §3.3.2 / RFC 6638 Appendix B.5. */
export function freeBusyRequestText(request: ScheduleFreeBusyRequest, uid: string, now: Date): string {
  const cn = request.organizer.name ? `;CN="${clean(request.organizer.name).replace(/"/g, "'")}"` : '';
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//crm-bridge//EN',
    'METHOD:REQUEST',
    'BEGIN:VFREEBUSY',
    `UID:${uid}`,
    `DTSTAMP:${icalUtc(now)}`,
    `DTSTART:${icalUtc(request.start)}`,
    `DTEND:${icalUtc(request.end)}`,
    `ORGANIZER${cn}:mailto:${clean(request.organizer.email)}`,
    ...request.attendees.map((attendee) => `ATTENDEE:mailto:${clean(attendee)}`),
    'END:VFREEBUSY',
    'END:VCALENDAR',
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** `CALDAV:schedule-response` (RFC 6638 §10.1): one `response` per recipient. */
export function parseScheduleResponse(xml: string): ScheduleFreeBusyAnswer[] {
  const root = parseXml(xml);
  return childrenOf(root, NS_CALDAV, 'response').map((response) => {
    const recipient = textOf(childOf(childOf(response, NS_CALDAV, 'recipient'), NS_DAV, 'href')).trim();
    const status = textOf(childOf(response, NS_CALDAV, 'request-status')).trim();
    const data = childOf(response, NS_CALDAV, 'calendar-data');
    return {
      attendee: recipient.replace(/^mailto:/i, '').toLowerCase(),
      requestStatus: status.split(';')[0] ?? status,
      calendarData: data !== undefined && status.startsWith('2.') ? textOf(data) : null,
    };
  });
}

export class CalDavScheduleOutbox implements ScheduleFreeBusy {
  async query(server: DavServerSettings, request: ScheduleFreeBusyRequest): Promise<ScheduleFreeBusyAnswer[] | null> {
    const http = davHttpFor(server);
    const account = await discover(http, server.url);
    const res = await http.request('PROPFIND', account.principalUrl, { depth: '0', body: propfindBody(['<c:schedule-outbox-URL/>']) });
    if (res.status !== 207) {
      if (res.status === 401 || res.status === 403 || res.status >= 500) throw http.fail('PROPFIND', account.principalUrl, res);
      return null;
    }
    const entries = parseMultistatus(res.text, res.url, 'PROPFIND').responses;
    const entry = entries.find((candidate) => sameUrl(candidate.href, res.url)) ?? entries[0];
    const outbox = entry === undefined ? undefined : okHrefs(entry, NS_CALDAV, 'schedule-outbox-URL', res.url)[0];
    if (outbox === undefined) return null;
    const url = canonicalHref(outbox, res.url);
    const body = freeBusyRequestText(request, `freebusy-${randomUUID()}`, new Date());
    const answer = await http.request('POST', url, {
      body,
      headers: {
        'Content-Type': 'text/calendar; charset=utf-8; method=REQUEST; component=VFREEBUSY',
        // The pre-RFC 6638 drafts (still read by some servers) named sender and recipients in headers.
        Originator: `mailto:${request.organizer.email}`,
        Recipient: request.attendees.map((attendee) => `mailto:${attendee}`).join(', '),
      },
    });
    if (answer.status !== 200) throw http.fail('POST', url, answer);
    return parseScheduleResponse(answer.text);
  }
}
