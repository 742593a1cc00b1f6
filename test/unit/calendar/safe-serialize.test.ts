import { describe, expect, it } from 'vitest';
import ICAL from 'ical.js';
import { activityToEvent, eventToActivity, type EventActivityInput } from '../../../src/calendar/event-mapping.js';
import { parseCalendarObject } from '../../../src/calendar/ical-parse.js';
import { serializeSafely } from '../../../src/calendar/safe-serialize.js';
import { todoToIcal, todoToActivity } from '../../../src/calendar/todo-mapping.js';
import { parseCard, renderCard } from '../../../src/contacts/vcard.js';
import type { CardFields } from '../../../src/contacts/card-fields.js';

/**
 * Lines as the most lenient parser splits them: at CRLF, a lone CR or a lone LF (Python's
 * splitlines(), which vobject-based servers such as Radicale use, also splits at NEL, U+2028 and
 * U+2029), after unfolding (RFC 5545 §3.1).
 */
function lenientLines(text: string): string[] {
  // eslint-disable-next-line no-control-regex -- the line breaks of a lenient parser are control characters
  return text.replace(/\r\n[ \t]/g, '').split(/\r\n|[\r\n\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/).filter((line) => line !== '');
}

const names = (text: string) => lenientLines(text).map((line) => /^[A-Za-z0-9.-]+/.exec(line)?.[0]?.toUpperCase() ?? line);
const hostile = 'Eve\r\nEMAIL:evil@attacker.example\rTEL:+1555\nATTENDEE:mailto:x@attacker.example\u0085X-NEL:1\u2028X-LS:1';

describe('iCalendar/vCard writer: no CRM value starts a content line of its own', () => {
  it('vCard: CR, CRLF, LF and Unicode line breaks in FN, N, ORG and TITLE become no EMAIL/TEL property', () => {
    const fields: CardFields = { firstName: hostile, lastName: hostile, displayName: hostile, emails: ['eve@example.org'], phones: [], company: hostile, title: hostile };
    for (const version of ['3.0', '4.0'] as const) {
      const text = renderCard({ base: null, uid: 'u-1', version, fields, selected: ['firstName', 'lastName', 'displayName', 'emails', 'phones', 'company', 'title'], phoneRegion: null });
      expect(names(text)).toEqual(['BEGIN', 'VERSION', 'PRODID', 'UID', 'FN', 'N', 'EMAIL', 'ORG', 'TITLE', 'END']);
      // The line breaks survive as escaped newlines (RFC 6350 §3.4), readable again, not as lines.
      const back = parseCard(text).fields;
      expect(back.emails).toEqual(['eve@example.org']);
      expect(back.displayName).toBe('Eve\nEMAIL:evil@attacker.example\nTEL:+1555\nATTENDEE:mailto:x@attacker.example\nX-NEL:1\nX-LS:1');
    }
  });

  it('iCalendar: SUMMARY, LOCATION, DESCRIPTION and an attendee CN cannot add ATTENDEE lines; descriptions keep their lines as \\n', () => {
    const activity: EventActivityInput = {
      subject: hostile,
      start: '2024-06-10T08:00:00.000Z',
      end: '2024-06-10T09:00:00.000Z',
      allDay: false,
      timeZone: null,
      location: hostile,
      bodyText: 'first line\r\nsecond line\rthird line\nATTENDEE:mailto:y@attacker.example',
      status: 'open',
      busyStatus: 'busy',
      parties: [
        { role: 'organizer', address: 'ann@example.com', name: 'Ann\r\nATTENDEE:mailto:z@attacker.example' },
        { role: 'attendee', address: 'bob@customer.example', name: hostile },
      ],
    };
    const text = activityToEvent(activity, null, { uid: 'e-1', organizerEmail: 'ann@example.com', organizerName: 'Ann', now: new Date('2024-06-01T12:00:00Z') });
    const lines = lenientLines(text);
    expect(lines.filter((line) => line.startsWith('ATTENDEE'))).toEqual([expect.stringMatching(/^ATTENDEE;.*:mailto:bob@customer\.example$/)]);
    expect(names(text).filter((name) => /^(EMAIL|TEL|X-NEL|X-LS)$/.test(name))).toEqual([]);
    expect(lines).toContain('DESCRIPTION:first line\\nsecond line\\nthird line\\nATTENDEE:mailto:y@attacker.example');
    // A parameter is one line: the CN's line breaks became spaces.
    expect(lines.find((line) => line.startsWith('ORGANIZER'))).toBe('ORGANIZER;CN="Ann ATTENDEE:mailto:z@attacker.example":mailto:ann@example.com');
    const back = eventToActivity(parseCalendarObject(text), { ownerEmail: 'ann@example.com', userEmails: new Map() });
    expect(back.parties.map((party) => party.address)).toEqual(['ann@example.com', 'bob@customer.example']);
    expect(back.bodyText).toBe('first line\nsecond line\nthird line\nATTENDEE:mailto:y@attacker.example');
  });

  it('VTODO: SUMMARY and DESCRIPTION with a CR add no property', () => {
    const text = todoToIcal(
      { kind: 'task', subject: 'Call\rATTENDEE:mailto:x@attacker.example', start: null, due: null, allDay: false, timeZone: null, status: 'open', priority: 'normal', bodyText: 'a\rb' },
      null,
      { uid: 't-1', now: new Date('2024-06-01T12:00:00Z') },
    );
    expect(names(text).filter((name) => name === 'ATTENDEE')).toEqual([]);
    expect(todoToActivity(parseCalendarObject(text))).toMatchObject({ subject: 'Call\nATTENDEE:mailto:x@attacker.example', bodyText: 'a\nb' });
  });

  it('values without escaping (CAL-ADDRESS, URI, X- properties) and parameters lose their control characters', () => {
    const root = new ICAL.Component('vcalendar');
    const event = new ICAL.Component('vevent');
    root.addSubcomponent(event);
    const attendee = new ICAL.Property('attendee');
    attendee.setValue('mailto:a@example.com\r\nATTENDEE:mailto:b@attacker.example');
    attendee.setParameter('cn', 'A\rB\u0000C\tD');
    event.addProperty(attendee);
    event.addProperty(new ICAL.Property(['x-custom', {}, 'unknown', 'one\rX-INJECTED:two']));
    const text = serializeSafely(root);
    expect(lenientLines(text)).toEqual([
      'BEGIN:VCALENDAR',
      'BEGIN:VEVENT',
      'ATTENDEE;CN=A B C\tD:mailto:a@example.comATTENDEE:mailto:b@attacker.example',
      'X-CUSTOM:oneX-INJECTED:two',
      'END:VEVENT',
      'END:VCALENDAR',
    ]);
  });
});
