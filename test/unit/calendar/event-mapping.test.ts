import { describe, expect, it } from 'vitest';
import { type EventActivityInput, activityToEvent, activityToEventWithWarnings, eventToActivity } from '../../../src/calendar/event-mapping.js';
import { parseCalendarObject } from '../../../src/calendar/ical-parse.js';
import { contentLines, fixture } from './fixtures.js';

const readContext = { ownerEmail: 'ann@example.com', userEmails: new Map([['ann@example.com', 'u-ann']]) };
const writeContext = { uid: 'new-uid-1', organizerEmail: 'ann@example.com', organizerName: 'Ann Owner', now: new Date('2024-06-01T12:00:00Z') };

function read(name: string) {
  return eventToActivity(parseCalendarObject(fixture(name)), readContext);
}

/** What the CRM would send back unchanged: the activity read from the fixture. */
function asInput(name: string): EventActivityInput {
  return eventToActivity(parseCalendarObject(fixture(name)), readContext);
}

describe('eventToActivity', () => {
  it('reads an Apple event with VTIMEZONE, attendees, alarm and categories', () => {
    expect(read('apple-event.ics')).toEqual({
      kind: 'meeting',
      subject: 'Quarterly review',
      start: '2024-05-02T08:00:00.000Z',
      end: '2024-05-02T09:30:00.000Z',
      allDay: false,
      floating: false,
      timeZone: 'Europe/Berlin',
      location: 'Room 4.12',
      bodyText: 'Agenda:\n1. Numbers\n2. Plans',
      status: 'open',
      busyStatus: 'busy',
      parties: [
        { role: 'organizer', address: 'ann@example.com', name: 'Ann Owner', userId: 'u-ann' },
        { role: 'attendee', address: 'bob@customer.example', name: 'Bob Buyer', userId: null },
        { role: 'optional_attendee', address: 'carla@customer.example', name: 'Carla, Legal', userId: null },
      ],
      categories: ['Customer', 'Review'],
      reminderMinutes: 15,
      recurring: false,
      sequence: 2,
      warnings: [],
    });
  });

  it('reads a tentative Google event without attendees as an appointment in New York time', () => {
    const activity = read('google-event.ics');
    expect(activity).toMatchObject({ kind: 'appointment', start: '2024-01-15T14:00:00.000Z', end: '2024-01-15T15:00:00.000Z', timeZone: 'America/New_York', busyStatus: 'tentative', status: 'open', parties: [] });
  });

  it('takes the IANA zone of a custom TZID from X-LIC-LOCATION and OOF from the Microsoft property', () => {
    expect(read('thunderbird-event.ics')).toMatchObject({ start: '2024-04-10T00:00:00.000Z', end: '2024-04-10T09:00:00.000Z', timeZone: 'Asia/Tokyo', busyStatus: 'oof' });
  });

  it('resolves an IANA TZID without VTIMEZONE from Intl data; TRANSPARENT is free', () => {
    expect(read('iana-no-vtimezone.ics')).toMatchObject({ start: '2024-07-01T12:00:00.000Z', end: '2024-07-01T13:00:00.000Z', timeZone: 'Europe/Paris', busyStatus: 'free', floating: false });
  });

  it('keeps all-day and floating events what they are', () => {
    expect(read('all-day.ics')).toMatchObject({ start: '2024-05-20T00:00:00.000Z', end: '2024-05-22T00:00:00.000Z', allDay: true, floating: false, timeZone: null });
    expect(read('floating.ics')).toMatchObject({ start: '2024-06-03T08:00:00.000Z', end: '2024-06-03T08:45:00.000Z', allDay: false, floating: true, timeZone: null });
  });

  it('reads an unknown TZID as floating and says so', () => {
    expect(read('unknown-tzid.ics')).toMatchObject({ start: '2024-08-01T10:00:00.000Z', floating: true, timeZone: null, warnings: ['unknown time zone "Mars/Olympus_Mons": its times are read as floating'] });
  });

  it('cuts a 1 MB DESCRIPTION to the CRM limit with a warning', () => {
    const activity = read('huge-description.ics');
    expect(activity.bodyText?.length).toBe(1_000_000);
    expect(activity.warnings).toEqual(['DESCRIPTION of 1048576 characters cut to 1000000']);
  });

  it('marks recurring events and reads CANCELLED', () => {
    expect(read('recurring-weekly.ics')).toMatchObject({ recurring: true, kind: 'meeting' });
    const cancelled = fixture('floating.ics').replace('SUMMARY:Morning run', 'SUMMARY:Morning run\r\nSTATUS:CANCELLED');
    expect(eventToActivity(parseCalendarObject(cancelled), readContext).status).toBe('cancelled');
  });
});

const meeting: EventActivityInput = {
  subject: 'Offer walkthrough',
  start: '2024-06-10T08:00:00.000Z',
  end: '2024-06-10T09:00:00.000Z',
  allDay: false,
  timeZone: 'Europe/Berlin',
  location: 'Online',
  bodyText: 'Line one\nLine two; with, specials',
  status: 'open',
  busyStatus: 'busy',
  parties: [
    { role: 'organizer', address: 'ann@example.com', name: 'Ann Owner' },
    { role: 'attendee', address: 'bob@customer.example', name: 'Bob Buyer' },
    { role: 'optional_attendee', address: 'carla@customer.example', name: null },
  ],
  reminderMinutes: 10,
};

describe('activityToEvent: new events', () => {
  it('writes a full VCALENDAR with zone, attendees, reminder and track category', () => {
    const text = activityToEvent(meeting, null, { ...writeContext, trackCategory: 'CRM' });
    const lines = contentLines(text);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).not.toMatch(/[^\r]\n/);
    expect(lines.slice(0, 4)).toEqual(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//crm-bridge//EN', 'BEGIN:VTIMEZONE']);
    expect(lines).toEqual(expect.arrayContaining([
      'TZID:Europe/Berlin',
      'UID:new-uid-1',
      'DTSTAMP:20240601T120000Z',
      'CREATED:20240601T120000Z',
      'SUMMARY:Offer walkthrough',
      'DTSTART;TZID=Europe/Berlin:20240610T100000',
      'DTEND;TZID=Europe/Berlin:20240610T110000',
      'LOCATION:Online',
      'DESCRIPTION:Line one\\nLine two\\; with\\, specials',
      'TRANSP:OPAQUE',
      'ORGANIZER;CN=Ann Owner:mailto:ann@example.com',
      'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Bob Buyer:mailto:bob@customer.example',
      'ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carla@customer.example',
      'UID:new-uid-1-crm-bridge-reminder',
      'ACTION:DISPLAY',
      'TRIGGER:-PT10M',
      'CATEGORIES:CRM',
      'SEQUENCE:0',
    ]));
    expect(lines.some((line) => line.startsWith('STATUS') || line.startsWith('X-MICROSOFT'))).toBe(false);

    // What we write reads back as what we wrote.
    const back = eventToActivity(parseCalendarObject(text), readContext);
    expect(back).toMatchObject({ subject: meeting.subject, start: meeting.start, end: meeting.end, timeZone: 'Europe/Berlin', location: 'Online', bodyText: meeting.bodyText, busyStatus: 'busy', kind: 'meeting', reminderMinutes: 10, categories: ['CRM'] });
    expect(back.parties.map((party) => [party.role, party.address])).toEqual([
      ['organizer', 'ann@example.com'],
      ['attendee', 'bob@customer.example'],
      ['optional_attendee', 'carla@customer.example'],
    ]);
  });

  it('maps busy status to TRANSP, STATUS and X-MICROSOFT-CDO-BUSYSTATUS and reads it back', () => {
    const cases = [
      ['free', 'TRANSP:TRANSPARENT'],
      ['tentative', 'STATUS:TENTATIVE'],
      ['busy', 'TRANSP:OPAQUE'],
      ['oof', 'X-MICROSOFT-CDO-BUSYSTATUS:OOF'],
    ] as const;
    for (const [busyStatus, line] of cases) {
      const text = activityToEvent({ ...meeting, busyStatus }, null, writeContext);
      expect(contentLines(text), busyStatus).toContain(line);
      expect(eventToActivity(parseCalendarObject(text), readContext).busyStatus).toBe(busyStatus);
    }
  });

  it('writes an appointment without attendees without ORGANIZER, all-day as DATE, UTC without zone', () => {
    const appointment: EventActivityInput = { ...meeting, parties: [], timeZone: null, allDay: true, start: '2024-07-01T00:00:00.000Z', end: '2024-07-02T00:00:00.000Z' };
    const lines = contentLines(activityToEvent(appointment, null, writeContext));
    expect(lines).toContain('DTSTART;VALUE=DATE:20240701');
    expect(lines).toContain('DTEND;VALUE=DATE:20240702');
    expect(lines.some((line) => line.startsWith('ORGANIZER') || line.startsWith('ATTENDEE') || line.startsWith('BEGIN:VTIMEZONE'))).toBe(false);
    // An inclusive CRM end (23:59 on the last day) becomes the exclusive DTEND of RFC 5545 §3.6.1.
    const inclusive = contentLines(activityToEvent({ ...appointment, end: '2024-07-02T23:59:00.000Z' }, null, writeContext));
    expect(inclusive).toContain('DTEND;VALUE=DATE:20240703');
    const utc = contentLines(activityToEvent({ ...appointment, allDay: false, start: '2024-07-01T08:30:00.000Z', end: '2024-07-01T09:00:00.000Z' }, null, writeContext));
    expect(utc).toContain('DTSTART:20240701T083000Z');
    expect(utc).toContain('DTEND:20240701T090000Z');
  });

  it('writes UTC with a warning for a time zone nobody knows', () => {
    const result = activityToEventWithWarnings({ ...meeting, timeZone: 'Mars/Olympus_Mons' }, null, writeContext);
    expect(contentLines(result.text)).toContain('DTSTART:20240610T080000Z');
    expect(result.warnings).toEqual(['unknown time zone "Mars/Olympus_Mons": written in UTC']);
  });
});

describe('activityToEvent: round-trip over a base object', () => {
  const volatile = /^(DTSTAMP|LAST-MODIFIED|PRODID)[:;]/;
  // ical.js keeps parameters and values, but writes VALUE= as the last parameter.
  const normalise = (line: string) => line.replace(/;VALUE=URI(;[^:]*)?:/, (_match, rest: string | undefined) => `${rest ?? ''};VALUE=URI:`);

  it('keeps every line of the base when nothing the CRM models changed', () => {
    const baseText = fixture('apple-event.ics');
    const base = parseCalendarObject(baseText);
    const text = activityToEvent(asInput('apple-event.ics'), base, writeContext);
    const out = contentLines(text);
    for (const line of contentLines(baseText)) {
      if (volatile.test(line)) continue;
      expect(out, line).toContain(normalise(line));
    }
    expect(out).toContain('SEQUENCE:2');
    expect(out).toContain('DTSTAMP:20240601T120000Z');
    expect(out).toContain('PRODID:-//crm-bridge//EN');
    expect(out.filter((line) => line === 'BEGIN:VTIMEZONE')).toHaveLength(1);
  });

  it('changes only what the CRM changed and keeps X- properties, ATTACH, alarms and attendee answers', () => {
    const base = parseCalendarObject(fixture('apple-event.ics'));
    const input = asInput('apple-event.ics');
    const text = activityToEvent({ ...input, subject: 'Quarterly review (v2)', parties: [...input.parties, { role: 'attendee', address: 'dan@customer.example', name: 'Dan' }] }, base, writeContext);
    const out = contentLines(text);
    expect(out).toContain('SUMMARY:Quarterly review (v2)');
    expect(out).toContain('SEQUENCE:2');
    expect(out).toEqual(expect.arrayContaining([
      'X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC',
      // ical.js writes VALUE last: the one reordering it does.
      'X-APPLE-STRUCTURED-LOCATION;X-APPLE-RADIUS=70;X-TITLE=Room 4.12;VALUE=URI:geo:52.52,13.40',
      'ATTACH;FMTTYPE=application/pdf;FILENAME=agenda.pdf:https://files.example.com/agenda.pdf',
      'ATTENDEE;CN=Bob Buyer;CUTYPE=INDIVIDUAL;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;X-NUM-GUESTS=0:mailto:bob@customer.example',
      'ATTENDEE;CN=Ann Owner;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:ann@example.com',
      'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Dan:mailto:dan@customer.example',
      'TRIGGER;VALUE=DATE-TIME:20240502T060000Z',
      'X-WR-ALARMUID:A1B2',
      'CATEGORIES:Customer,Review',
    ]));
    expect(out.filter((line) => line === 'BEGIN:VALARM')).toHaveLength(2);
  });

  it('increments SEQUENCE for a new time, a new place or a cancellation, not for other edits', () => {
    const base = parseCalendarObject(fixture('apple-event.ics'));
    const input = asInput('apple-event.ics');
    const sequence = (change: Partial<EventActivityInput>) => contentLines(activityToEvent({ ...input, ...change }, base, writeContext)).find((line) => line.startsWith('SEQUENCE'));
    expect(sequence({ bodyText: 'new agenda' })).toBe('SEQUENCE:2');
    expect(sequence({ start: '2024-05-02T09:00:00.000Z', end: '2024-05-02T10:30:00.000Z' })).toBe('SEQUENCE:3');
    expect(sequence({ location: 'Room 1.01' })).toBe('SEQUENCE:3');
    expect(sequence({ status: 'cancelled' })).toBe('SEQUENCE:3');
    const moved = contentLines(activityToEvent({ ...input, start: '2024-05-02T09:00:00.000Z', end: '2024-05-02T10:30:00.000Z' }, base, writeContext));
    expect(moved).toContain('DTSTART;TZID=Europe/Berlin:20240502T110000');
    expect(moved).toContain('DTEND;TZID=Europe/Berlin:20240502T123000');
    const cancelled = contentLines(activityToEvent({ ...input, status: 'cancelled' }, base, writeContext));
    expect(cancelled).toContain('STATUS:CANCELLED');
  });

  it('drops the stale HTML twin of a changed DESCRIPTION and the OOF marker when no longer out of office', () => {
    const baseText = fixture('thunderbird-event.ics').replace('X-MOZ-GENERATION:3', 'X-MOZ-GENERATION:3\r\nDESCRIPTION:old\r\nX-ALT-DESC;FMTTYPE=text/html:<p>old</p>');
    const base = parseCalendarObject(baseText);
    const input = eventToActivity(base, readContext);
    const out = contentLines(activityToEvent({ ...input, bodyText: 'new', busyStatus: 'busy' }, base, writeContext));
    expect(out).toContain('DESCRIPTION:new');
    expect(out.some((line) => line.startsWith('X-ALT-DESC') || line.startsWith('X-MICROSOFT-CDO-BUSYSTATUS'))).toBe(false);
    expect(out).toContain('X-MOZ-GENERATION:3');
    // The custom VTIMEZONE of the base is reused for the CRM's zone.
    expect(out).toContain('DTSTART;TZID=Custom Tokyo:20240410T090000');
  });

  it('keeps RRULE, EXDATE and override components of a recurring base', () => {
    const base = parseCalendarObject(fixture('recurring-weekly.ics'));
    const input = eventToActivity(base, readContext);
    const out = contentLines(activityToEvent({ ...input, subject: 'Team sync (renamed)' }, base, writeContext));
    expect(out).toEqual(expect.arrayContaining([
      'RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10',
      'EXDATE;TZID=Europe/Berlin:20240319T100000',
      'RECURRENCE-ID;TZID=Europe/Berlin:20240402T100000',
      'RECURRENCE-ID;TZID=Europe/Berlin:20240416T100000',
      'SUMMARY:Team sync (moved)',
      'SUMMARY:Team sync (renamed)',
    ]));
    expect(out.filter((line) => line === 'BEGIN:VEVENT')).toHaveLength(3);
    expect(parseCalendarObject(out.join('\r\n')).overrides.size).toBe(2);
  });

  it('keeps floating and all-day bases what they are', () => {
    const floating = parseCalendarObject(fixture('floating.ics'));
    const floatingOut = contentLines(activityToEvent({ ...eventToActivity(floating, readContext), start: '2024-06-03T09:00:00.000Z', end: '2024-06-03T09:45:00.000Z' }, floating, writeContext));
    expect(floatingOut).toContain('DTSTART:20240603T090000');
    expect(floatingOut).toContain('DTEND:20240603T094500');
    expect(floatingOut.some((line) => line.startsWith('DURATION'))).toBe(false);
    const allDay = parseCalendarObject(fixture('all-day.ics'));
    const allDayOut = contentLines(activityToEvent(eventToActivity(allDay, readContext), allDay, writeContext));
    expect(allDayOut).toContain('DTSTART;VALUE=DATE:20240520');
    expect(allDayOut).toContain('DTEND;VALUE=DATE:20240522');
    expect(allDayOut).toContain('TRANSP:TRANSPARENT');
  });

  it('changes the reminder in place and removes it on null, leaving alarms that are not reminders', () => {
    const base = parseCalendarObject(activityToEvent(meeting, null, writeContext));
    const changed = contentLines(activityToEvent({ ...meeting, reminderMinutes: 30 }, base, writeContext));
    expect(changed).toContain('TRIGGER:-PT30M');
    expect(changed.filter((line) => line === 'BEGIN:VALARM')).toHaveLength(1);
    const removed = contentLines(activityToEvent({ ...meeting, reminderMinutes: null }, base, writeContext));
    expect(removed).not.toContain('BEGIN:VALARM');
    const apple = parseCalendarObject(fixture('apple-event.ics'));
    const moved = contentLines(activityToEvent({ ...asInput('apple-event.ics'), reminderMinutes: 5 }, apple, writeContext));
    expect(moved).toEqual(expect.arrayContaining(['X-WR-ALARMUID:A1B2', 'TRIGGER:-PT5M', 'TRIGGER;VALUE=DATE-TIME:20240502T060000Z']));
    expect(moved.filter((line) => line === 'BEGIN:VALARM')).toHaveLength(2);
    const kept = contentLines(activityToEvent({ ...asInput('apple-event.ics'), reminderMinutes: null }, apple, writeContext));
    expect(kept.filter((line) => line === 'BEGIN:VALARM')).toHaveLength(1);
    expect(kept).toContain('TRIGGER;VALUE=DATE-TIME:20240502T060000Z');
  });
});
