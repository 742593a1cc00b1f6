import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { ensureIanaTimezone, vtimezoneText } from '../../../src/calendar/timezones.js';
import { instantOf, isIanaTimeZone, offsetMinutes } from '../../../src/domain/wall-clock.js';

describe('IANA time zones from Intl', () => {
  it('knows IANA ids and rejects others', () => {
    expect(isIanaTimeZone('Europe/Berlin')).toBe(true);
    expect(isIanaTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isIanaTimeZone('+01:00')).toBe(false);
  });

  it('computes offsets and local instants, including the spring-forward gap', () => {
    expect(offsetMinutes('Europe/Berlin', Date.parse('2024-01-15T12:00:00Z'))).toBe(60);
    expect(offsetMinutes('Europe/Berlin', Date.parse('2024-07-15T12:00:00Z'))).toBe(120);
    expect(offsetMinutes('Asia/Kolkata', Date.parse('2024-07-15T12:00:00Z'))).toBe(330);
    expect(new Date(instantOf('America/New_York', { year: 2024, month: 7, day: 1, hour: 9, minute: 0, second: 0 })).toISOString()).toBe('2024-07-01T13:00:00.000Z');
    // 02:30 on 31 March 2024 does not exist in Berlin; read with the offset before the gap.
    expect(new Date(instantOf('Europe/Berlin', { year: 2024, month: 3, day: 31, hour: 2, minute: 30, second: 0 })).toISOString()).toBe('2024-03-31T01:30:00.000Z');
  });

  it('describes a zone as a VTIMEZONE with yearly rules', () => {
    expect(vtimezoneText('America/New_York', 2023, 2025)?.split('\r\n')).toEqual([
      'BEGIN:VTIMEZONE',
      'TZID:America/New_York',
      'X-LIC-LOCATION:America/New_York',
      'BEGIN:STANDARD',
      'DTSTART:20230101T000000',
      'TZOFFSETFROM:-0500',
      'TZOFFSETTO:-0500',
      'END:STANDARD',
      'BEGIN:DAYLIGHT',
      'DTSTART:20230312T020000',
      'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU',
      'TZOFFSETFROM:-0500',
      'TZOFFSETTO:-0400',
      'END:DAYLIGHT',
      'BEGIN:STANDARD',
      'DTSTART:20231105T020000',
      'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU',
      'TZOFFSETFROM:-0400',
      'TZOFFSETTO:-0500',
      'END:STANDARD',
      'END:VTIMEZONE',
    ]);
    expect(vtimezoneText('Asia/Tokyo', 2024, 2024)).toContain('TZOFFSETTO:+0900');
    expect(vtimezoneText('Mars/Olympus_Mons', 2024, 2024)).toBeNull();
  });

  it('registers a zone that ical.js then converts with, matching Intl away from transitions', () => {
    expect(ensureIanaTimezone('Australia/Sydney')).toBe(true);
    expect(ensureIanaTimezone('Mars/Olympus_Mons')).toBe(false);
    const zone = ICAL.TimezoneService.get('Australia/Sydney');
    for (const iso of ['2024-01-15T00:00:00Z', '2024-07-15T00:00:00Z', '2031-01-15T00:00:00Z', '1999-07-15T00:00:00Z']) {
      const local = ICAL.Time.fromJSDate(new Date(iso), true).convertToZone(zone);
      expect(local.utcOffset() / 60, iso).toBe(offsetMinutes('Australia/Sydney', Date.parse(iso)));
    }
  });
});
