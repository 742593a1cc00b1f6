import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/domain/errors.js';
import { parseCalendarObject } from '../../../src/calendar/ical-parse.js';
import { fixture } from './fixtures.js';

function parseError(text: string): BridgeError {
  try {
    parseCalendarObject(text);
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    return error as BridgeError;
  }
  throw new Error('expected a parse error');
}

describe('parseCalendarObject', () => {
  it('splits master and overrides, keyed by RECURRENCE-ID in UTC', () => {
    const object = parseCalendarObject(fixture('recurring-weekly.ics'));
    expect(object.uid).toBe('weekly-1');
    expect(object.kind).toBe('event');
    expect(object.master?.getFirstPropertyValue('summary')).toBe('Team sync');
    // 2 April 10:00 CEST (+02:00) and 16 April 10:00 CEST.
    expect([...object.overrides.keys()]).toEqual(['2024-04-02T08:00:00.000Z', '2024-04-16T08:00:00.000Z']);
    expect(object.warnings).toEqual([]);
  });

  it('reads a VTODO', () => {
    const object = parseCalendarObject(fixture('todo.ics'));
    expect(object.kind).toBe('todo');
    expect(object.uid).toBe('todo-1');
  });

  it('rejects an unterminated component with INVALID_INPUT', () => {
    const error = parseError(fixture('broken-unterminated.ics'));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('component began but did not end');
  });

  it('rejects an out-of-range DTSTART that ical.js would silently normalise', () => {
    const error = parseError(fixture('broken-dtstart.ics'));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe('iCalendar: VEVENT broken-2: DTSTART has an invalid date-time value "2024-13-45T99:00:00Z"');
  });

  it('rejects garbage, a missing UID, a missing DTSTART, two UIDs and an unparseable RRULE', () => {
    expect(parseError('hello').message).toContain('invalid line');
    expect(parseError('BEGIN:VCARD\r\nEND:VCARD\r\n').message).toBe('iCalendar: expected VCALENDAR, found VCARD');
    const event = (lines: string[]) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', ...lines, 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
    expect(parseError(event(['DTSTART:20240101T100000Z'])).message).toBe('iCalendar: VEVENT without UID');
    expect(parseError(event(['UID:a'])).message).toBe('iCalendar: VEVENT a has no DTSTART');
    expect(parseError(event(['UID:a', 'DTSTART:tomorrow'])).message).toContain('DTSTART has an invalid date-time value');
    expect(parseError(event(['UID:a', 'DTSTART:20240101T100000Z', 'RRULE:BYDAY=MO'])).message).toContain('RRULE');
    const two = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a', 'DTSTART:20240101T100000Z', 'END:VEVENT', 'BEGIN:VEVENT', 'UID:b', 'DTSTART:20240101T100000Z', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
    expect(parseError(two).message).toContain('more than one UID');
    expect(parseError('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n').message).toBe('iCalendar: no VEVENT or VTODO');
  });

  it('reads an unknown TZID as floating with a warning instead of failing', () => {
    const object = parseCalendarObject(fixture('unknown-tzid.ics'));
    expect(object.warnings).toEqual(['unknown time zone "Mars/Olympus_Mons": its times are read as floating']);
  });

  it('parses a 1 MB DESCRIPTION', () => {
    const object = parseCalendarObject(fixture('huge-description.ics'));
    expect((object.master?.getFirstPropertyValue('description') as string).length).toBe(1_048_576);
  });
});
