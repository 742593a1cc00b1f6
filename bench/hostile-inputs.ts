/** Hostile (and a few legitimate but heavy) calendar objects for bench/hostile-input-stall.ts. */

/** ATTENDEE lines that make an object of about 2 MB, just under users[].calendar.maxObjectBytes. */
export const MAX_OBJECT_ROWS = 24_000;

function vcalendar(lines: string[], zone: string[] = []): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//bench//EN', ...zone, 'BEGIN:VEVENT', 'UID:bench-1', 'DTSTAMP:20250101T000000Z', ...lines, 'SUMMARY:Bench', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
}

const outlookZone = ['BEGIN:VTIMEZONE', 'TZID:W. Europe Standard Time', 'BEGIN:STANDARD', 'DTSTART:16010101T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10', 'END:STANDARD', 'BEGIN:DAYLIGHT', 'DTSTART:16010101T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3', 'END:DAYLIGHT', 'END:VTIMEZONE'];

export const calendarObjectText = {
  neverMatching: (rule: string) => vcalendar(['DTSTART:20250106T090000Z', 'DURATION:PT30M', `RRULE:${rule}`]),
  hostileZone: () =>
    vcalendar(['DTSTART;TZID=Hostile/Zone:20250106T090000', 'DURATION:PT30M', 'RRULE:FREQ=WEEKLY'], ['BEGIN:VTIMEZONE', 'TZID:Hostile/Zone', 'BEGIN:STANDARD', 'DTSTART:19700101T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'END:STANDARD', 'END:VTIMEZONE']),
  outlookWeekly: () => vcalendar(['DTSTART;TZID=W. Europe Standard Time:20250106T090000', 'DURATION:PT1H', 'RRULE:FREQ=WEEKLY'], outlookZone),
  attendees: (count: number) => vcalendar(['DTSTART:20250106T090000Z', 'DURATION:PT30M', ...Array.from({ length: count }, (_, index) => `ATTENDEE;CN=Guest ${index}:mailto:guest-${index}@example.com`)]),
};
