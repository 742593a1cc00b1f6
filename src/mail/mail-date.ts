import { stripComments } from '../domain/message-id.js';
import { unfold, type MailHeaders } from './classify.js';
import { quote, type WarningList } from './parse-warnings.js';

/**
 * The Date header as ISO 8601 UTC, or null. mailparser turns an unparseable Date into the current
 * time, which would file an old message as new, so the raw header is parsed here instead.
 */
export function readDate(headers: MailHeaders, warnings: WarningList): string | null {
  const raw = headers.get('date')?.[0];
  if (raw === undefined || raw.trim() === '') {
    // RFC 5322 §3.6: the origination date is the one field besides From every message must have.
    warnings.add('missing Date header');
    return null;
  }
  const date = parseMailDate(raw);
  if (date === null) warnings.add(`unparseable Date header ${quote(raw)}`);
  return date;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * RFC 5322 §4.3 obs-zone names. Military single letters, and any other alphabetic zone whose meaning
 * is not known, "SHOULD be considered equivalent to -0000" (same section), i.e. UTC.
 */
const ZONE_OFFSETS: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0,
  edt: -4 * 60, est: -5 * 60, cdt: -5 * 60, cst: -6 * 60,
  mdt: -6 * 60, mst: -7 * 60, pdt: -7 * 60, pst: -8 * 60,
};

const RFC5322_DATE =
  /^(?:[a-z]{3,9}\s*,?\s*)?(\d{1,2})\s*[-\s]\s*([a-z]{3,9})\.?\s*[-\s]\s*(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{1,2})(?:\s*:\s*(\d{1,2}))?(?:\.\d+)?\s*([+-]\d{2}:?\d{2}|[a-z]{1,5})?(?:\s+[a-z]{1,5})?$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Parses an RFC 5322 §3.3 date-time, accepting the obsolete forms of §4.3 (two- and three-digit
 * years, named zones, comments, missing seconds and missing day-of-week) and, as some generators
 * write them, ISO 8601 timestamps with an offset. Returns ISO 8601 UTC or null. Deliberately not
 * Date.parse() on anything else: it reads "1" as the year 2001 and guesses local time for a
 * missing zone.
 */
export function parseMailDate(value: string): string | null {
  const text = stripComments(unfold(value)).replace(/\s+/g, ' ').trim();
  if (ISO_DATE.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
  const match = RFC5322_DATE.exec(text);
  if (match === null) return null;
  const [, dayText, monthText, yearText, hourText, minuteText, secondText, zoneText] = match;
  const month = MONTHS.indexOf((monthText ?? '').slice(0, 3).toLowerCase());
  if (month === -1) return null;
  let year = Number(yearText);
  // RFC 5322 §4.3: a two-digit year is 2000+ below 50 and 1900+ from 50; a three-digit one is 1900+.
  if ((yearText ?? '').length === 2) year += year < 50 ? 2000 : 1900;
  else if ((yearText ?? '').length === 3) year += 1900;
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  // RFC 5322 §3.3 allows second 60 for a leap second; JS dates cannot hold it.
  const second = Math.min(Number(secondText ?? '0'), 59);
  if (day < 1 || hour > 23 || minute > 59 || Number(secondText ?? '0') > 60) return null;
  const offset = zoneOffsetMinutes(zoneText);
  if (offset === null) return null;
  const local = Date.UTC(year, month, day, hour, minute, second);
  // Reject 31 Feb and the like instead of letting Date roll them into March.
  if (new Date(local).getUTCDate() !== day) return null;
  return new Date(local - offset * 60_000).toISOString();
}

function zoneOffsetMinutes(zone: string | undefined): number | null {
  // No zone at all is not RFC 5322, but common in hand-written mail; UTC is as good a guess as any.
  if (zone === undefined) return 0;
  const numeric = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (numeric !== null) {
    const minutes = Number(numeric[2]) * 60 + Number(numeric[3]);
    if (Number(numeric[3]) > 59) return null;
    return numeric[1] === '-' ? -minutes : minutes;
  }
  return ZONE_OFFSETS[zone.toLowerCase()] ?? 0;
}
