import { describe, expect, it } from 'vitest';
import { parseFreeBusyPeriods } from '../../../src/calendar/freebusy-parse.js';

const reply = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Example//EN',
  'METHOD:REPLY',
  'BEGIN:VFREEBUSY',
  'UID:fb-1',
  'DTSTAMP:20260301T000000Z',
  'DTSTART:20260302T000000Z',
  'DTEND:20260303T000000Z',
  'ATTENDEE:mailto:bob@example.org',
  'FREEBUSY:20260302T090000Z/20260302T100000Z,20260302T120000Z/PT30M',
  'FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260302T140000Z/20260302T150000Z',
  'FREEBUSY;FBTYPE=FREE:20260302T160000Z/20260302T170000Z',
  'FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260302T180000Z/20260302T190000Z',
  'END:VFREEBUSY',
  'END:VCALENDAR',
  '',
].join('\r\n');

describe('parseFreeBusyPeriods', () => {
  it('reads every busy period with its FBTYPE (BUSY by default), start/end and start/duration, and leaves FREE out', () => {
    expect(parseFreeBusyPeriods(reply).map((period) => `${period.type} ${period.start.toISOString()} ${period.end.toISOString()}`)).toEqual([
      'BUSY 2026-03-02T09:00:00.000Z 2026-03-02T10:00:00.000Z',
      'BUSY 2026-03-02T12:00:00.000Z 2026-03-02T12:30:00.000Z',
      'BUSY-TENTATIVE 2026-03-02T14:00:00.000Z 2026-03-02T15:00:00.000Z',
      'BUSY-UNAVAILABLE 2026-03-02T18:00:00.000Z 2026-03-02T19:00:00.000Z',
    ]);
  });

  it('throws on text that is not iCalendar', () => {
    expect(() => parseFreeBusyPeriods('not a calendar')).toThrow();
  });
});
