/**
 * Wall-clock arithmetic in IANA time zones over the runtime's own tz database (Node ships full ICU),
 * through `Intl.DateTimeFormat`: no time-zone data package. Pure and shared by config validation,
 * the API and the calendar codec (src/calendar/timezones.ts builds VTIMEZONE text on top of it).
 */

const MINUTE = 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat | null {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  try {
    const formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    });
    formatters.set(timeZone, formatter);
    return formatter;
  } catch {
    // RangeError: the runtime's tz database does not know the id.
    return null;
  }
}

/** True when the runtime's tz database knows `timeZone` (an IANA id such as `Europe/Berlin`). */
export function isIanaTimeZone(timeZone: string): boolean {
  // Intl also accepts offsets such as `+01:00`, which are not TZIDs; require a name.
  return /^[A-Za-z]/.test(timeZone) && formatterFor(timeZone) !== null;
}

/** Wall-clock fields of an instant in a zone. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock time of `epochMs` in `timeZone`; throws RangeError for an unknown zone. */
export function wallClock(timeZone: string, epochMs: number): WallClock {
  const formatter = formatterFor(timeZone);
  if (!formatter) throw new RangeError(`unknown time zone ${timeZone}`);
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(new Date(epochMs))) parts[part.type] = part.value;
  const year = Number(parts.year);
  return {
    year: parts.era === 'BC' ? 1 - year : year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** UTC offset of `timeZone` at `epochMs`, in minutes east of Greenwich. */
export function offsetMinutes(timeZone: string, epochMs: number): number {
  const wall = wallClock(timeZone, epochMs);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / MINUTE);
}

/** The instant at which the wall-clock time `wall` occurs in `timeZone`. In a gap (spring forward)
 * the time is read with the offset before the gap, as RFC 5545 §3.3.5 asks; in an overlap (fall
 * back) the first occurrence is taken. */
export function instantOf(timeZone: string, wall: WallClock): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const before = offsetMinutes(timeZone, asUtc - 36 * 60 * MINUTE);
  const after = offsetMinutes(timeZone, asUtc + 36 * 60 * MINUTE);
  const candidates = [asUtc - before * MINUTE, asUtc - after * MINUTE].sort((a, b) => a - b);
  for (const candidate of candidates) {
    if (offsetMinutes(timeZone, candidate) * MINUTE === asUtc - candidate) return candidate;
  }
  return asUtc - before * MINUTE;
}
