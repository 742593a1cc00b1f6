/**
 * Worst-case event-loop stall per hostile input: `npm run bench -- hostile-input-stall`.
 *
 * Each input goes through the bridge's own code path (the calendar sync's parse + free/busy mirror
 * expansion, mail parsing with the bounded sanitizer, the size caps); a 1 ms interval timer runs
 * meanwhile and the longest gap between two of its turns is the stall. "total" is the time until
 * the input was handled (refused, truncated or done). Rows marked "inline, unbounded" run the
 * library directly, as the code did before the bounds, for comparison (with inputs small enough to
 * finish).
 */
import { calendarObjectText, MAX_OBJECT_ROWS } from './hostile-inputs.js';
import { parseCalendarObject } from '../src/calendar/ical-parse.js';
import { parseCard } from '../src/contacts/vcard.js';
import { parseMessage } from '../src/mail/parse-message.js';
import { sanitizeMailHtml } from '../src/mail/sanitize-html.js';
import { mirrorBusy } from '../src/sync/calendar/mirror.js';
import { measureStall } from '../test/support/event-loop-stall.js';
import type { BenchRow } from './store-and-api.js';

async function stallOf(work: () => Promise<unknown> | unknown): Promise<{ stallMs: number; totalMs: number; outcome: string }> {
  const { result, stallMs, totalMs } = await measureStall(work);
  if (result.status === 'fulfilled') return { stallMs, totalMs, outcome: typeof result.value === 'string' ? result.value : 'handled' };
  const error = result.reason;
  return { stallMs, totalMs, outcome: `refused: ${error instanceof Error ? (error as { code?: string }).code ?? error.name : 'error'}` };
}

function mail(contentType: string, body: string): Buffer {
  return Buffer.from(`From: a@example.com\r\nTo: b@example.org\r\nSubject: x\r\nMessage-ID: <x@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: ${contentType}\r\n\r\n${body}\r\n`);
}

function vcard(lines: string[]): string {
  return ['BEGIN:VCARD', 'VERSION:4.0', 'UID:urn:uuid:1', 'FN:Big', ...lines, 'END:VCARD', ''].join('\r\n');
}

export async function benchHostileInputStall(): Promise<BenchRow[]> {
  const now = new Date();
  const calendar = async (text: string): Promise<string> => {
    const object = parseCalendarObject(text);
    const busy = await mirrorBusy(object, now);
    return `${busy.busy.length} periods${busy.truncated ? ', truncated' : ''}`;
  };
  // Each case builds its input first (outside the measurement), then returns the work to measure.
  const cal = (text: string) => () => calendar(text);
  const mailOf = (contentType: string, body: string) => {
    const source = mail(contentType, body);
    return () => parseMessage(source).then((parsed) => (parsed.html === null ? 'HTML left out at the deadline' : `sanitized, ${parsed.html.length} chars kept`));
  };
  const card = (text: string) => () => parseCard(text);
  const cases: Array<[string, () => () => Promise<unknown> | unknown]> = [
    ['RRULE FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30 (parse + mirror expansion)', () => cal(calendarObjectText.neverMatching('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'))],
    ['RRULE FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29', () => cal(calendarObjectText.neverMatching('FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29'))],
    ['RRULE FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30', () => cal(calendarObjectText.neverMatching('FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30'))],
    ['RRULE FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30 (iterator start-up)', () => cal(calendarObjectText.neverMatching('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30'))],
    ['VTIMEZONE with a never-matching observance rule', () => cal(calendarObjectText.hostileZone())],
    ['RRULE FREQ=HOURLY (legitimate, long series)', () => cal(calendarObjectText.neverMatching('FREQ=HOURLY'))],
    ['Outlook VTIMEZONE from 1601, weekly event (legitimate)', () => cal(calendarObjectText.outlookWeekly())],
    ['iCalendar 10 MB (over users[].calendar.maxObjectBytes)', () => cal(calendarObjectText.attendees(120_000))],
    ['iCalendar 2 MB of ATTENDEE lines (just under the limit)', () => cal(calendarObjectText.attendees(MAX_OBJECT_ROWS))],
    ['vCard 1 MB of short properties (contacts.maxCardBytes; larger ones are refused before parsing)', () => card(vcard(Array.from({ length: 24_000 }, (_, index) => `NOTE:n${index}`)))],
    ['vCard 1 MB PHOTO', () => card(vcard([`PHOTO:data:image/jpeg;base64,${'A'.repeat(1_000_000)}`]))],
    ['HTML 1 MB of nested tags (mail parse, bounded sanitizer)', () => mailOf('text/html; charset=utf-8', '<div><span><b>'.repeat(75_000))],
    ['HTML 1 MB of tag-dense markup (mail parse, bounded sanitizer)', () => mailOf('text/html; charset=utf-8', '<div style="color:red"><a href="https://x.example/">x</a></div>'.repeat(16_000))],
    ['HTML 10 MB of text (cut to mail.maxBodyBytes, then sanitized)', () => mailOf('text/html; charset=utf-8', `<p>${'word '.repeat(2_000_000)}</p>`)],
    ['inline, unbounded: sanitize-html on 128 KB of nested tags', () => {
      const html = '<div><span><b>'.repeat(9_000);
      return () => void sanitizeMailHtml(html);
    }],
  ];
  const rows: BenchRow[] = [];
  for (const [name, prepare] of cases) {
    const { stallMs, totalMs, outcome } = await stallOf(prepare());
    rows.push({ measure: name, value: `stall ${stallMs.toFixed(0)} ms, total ${totalMs.toFixed(0)} ms (${outcome})` });
  }
  return rows;
}
