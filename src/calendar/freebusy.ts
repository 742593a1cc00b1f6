/**
 * Free/busy publication: one VFREEBUSY (RFC 5545 §3.6.4) in a VCALENDAR with METHOD:PUBLISH
 * (RFC 5546 §3.3.1), built from the busy periods of CRM appointments and synced calendars.
 *
 * The text is written by hand rather than through ical.js so that every byte is under our control:
 * one FREEBUSY property per period (§3.8.2.6 allows lists, but one period per line is what every
 * consumer reads, Python's icalendar included), UTC times in basic format, CRLF line ends and lines
 * folded at 75 octets (§3.1).
 */
import { type BusyStatus, type FreeBusyType, busyToFbType } from './busy-status.js';
import { PRODID } from './component-edit.js';
import { utcBasic } from './ical-time.js';
import { toSingleLine, withoutControlCharacters } from '../domain/control-characters.js';

export interface BusyPeriod {
  start: Date;
  end: Date;
  type: FreeBusyType;
}

/** Precedence when periods overlap, strongest first: unavailable beats busy beats tentative. */
const byRank: readonly FreeBusyType[] = ['BUSY-UNAVAILABLE', 'BUSY', 'BUSY-TENTATIVE'];

/** The busy period of an occurrence, or null for free or cancelled time. */
export function busyPeriod(occurrence: { start: string; end: string; busyStatus: BusyStatus | null; cancelled?: boolean }): BusyPeriod | null {
  const type = busyToFbType(occurrence.busyStatus);
  if (!type || occurrence.cancelled) return null;
  const start = new Date(occurrence.start);
  const end = new Date(occurrence.end);
  return end.getTime() > start.getTime() ? { start, end, type } : null;
}

/** The busy periods of many occurrences, free and cancelled ones left out. */
export function busyPeriodsOf(occurrences: ReadonlyArray<Parameters<typeof busyPeriod>[0]>): BusyPeriod[] {
  return occurrences.flatMap((occurrence) => {
    const period = busyPeriod(occurrence);
    return period ? [period] : [];
  });
}

/**
 * Merge periods: overlapping or touching periods of one type become one, and where types overlap
 * the stronger one takes the time. The result is sorted and free of overlaps (§3.8.2.6 asks for
 * periods in order). A sweep over the boundaries keeps this O(n log n) for large calendars.
 */
export function mergeBusy(periods: readonly BusyPeriod[]): BusyPeriod[] {
  const edges: Array<{ at: number; type: FreeBusyType; delta: 1 | -1 }> = [];
  for (const period of periods) {
    const start = period.start.getTime();
    const end = period.end.getTime();
    if (!(end > start)) continue;
    edges.push({ at: start, type: period.type, delta: 1 }, { at: end, type: period.type, delta: -1 });
  }
  edges.sort((a, b) => a.at - b.at);
  const active: Record<FreeBusyType, number> = { 'BUSY-TENTATIVE': 0, BUSY: 0, 'BUSY-UNAVAILABLE': 0 };
  const merged: BusyPeriod[] = [];
  let index = 0;
  let current: { start: number; type: FreeBusyType } | null = null;
  while (index < edges.length) {
    const at = edges[index]!.at;
    // Apply every edge at this instant before deciding, so that touching periods join.
    while (index < edges.length && edges[index]!.at === at) {
      const edge = edges[index]!;
      active[edge.type] += edge.delta;
      index += 1;
    }
    const top = byRank.find((type) => active[type] > 0) ?? null;
    if (current && current.type === top) continue;
    if (current) merged.push({ start: new Date(current.start), end: new Date(at), type: current.type });
    current = top ? { start: at, type: top } : null;
  }
  return merged;
}

/** Fold a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 sequence. */
export function foldLine(line: string): string {
  const encoder = new TextEncoder();
  const pieces: string[] = [];
  let piece = '';
  let octets = 0;
  let limit = 75;
  for (const character of line) {
    const size = encoder.encode(character).length;
    if (octets + size > limit) {
      pieces.push(piece);
      piece = '';
      octets = 0;
      // Continuation lines start with a space, which counts towards their 75 octets.
      limit = 74;
    }
    piece += character;
    octets += size;
  }
  pieces.push(piece);
  return pieces.join('\r\n ');
}

/** Escape a parameter value: quote it when it holds `:`, `;` or `,` (§3.2); DQUOTE cannot appear
 * in a quoted value, so it is dropped (RFC 6868 escaping is not widely read). */
function parameterValue(value: string): string {
  // One line (RFC 5545 §3.1: SAFE-CHAR and QSAFE-CHAR exclude CONTROL and DQUOTE).
  const clean = toSingleLine(value).replace(/"/g, '');
  return /[:;,]/.test(clean) ? `"${clean}"` : clean;
}

export interface FreeBusyParty {
  email: string;
  name?: string | null;
}

export interface FreeBusyInput {
  /** Whose time this is. A published VFREEBUSY names its owner in ORGANIZER (RFC 5546 §3.3.1);
   * give `attendee` instead for a free/busy reply (§3.3.3). */
  organizer?: FreeBusyParty;
  attendee?: FreeBusyParty;
  /** UID of the VFREEBUSY; defaults to one derived from the owner and the window. */
  uid?: string;
  start: Date;
  end: Date;
  periods: readonly BusyPeriod[];
  now: Date;
}

/** VCALENDAR text with METHOD:PUBLISH and one VFREEBUSY listing the merged busy periods that
 * overlap [start, end), clipped to it. */
export function renderVFreeBusy(input: FreeBusyInput): string {
  const party = input.organizer ?? input.attendee;
  if (!party) throw new TypeError('renderVFreeBusy needs an organizer or an attendee');
  const startMs = input.start.getTime();
  const endMs = input.end.getTime();
  const clipped = mergeBusy(input.periods)
    .filter((period) => period.end.getTime() > startMs && period.start.getTime() < endMs)
    .map((period) => ({
      start: new Date(Math.max(period.start.getTime(), startMs)),
      end: new Date(Math.min(period.end.getTime(), endMs)),
      type: period.type,
    }));
  const who = input.organizer ? 'ORGANIZER' : 'ATTENDEE';
  const cn = party.name ? `;CN=${parameterValue(party.name)}` : '';
  const uid = input.uid ?? `freebusy-${party.email.toLowerCase()}-${utcBasic(input.start)}-${utcBasic(input.end)}`;
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${PRODID}`,
    'METHOD:PUBLISH',
    'BEGIN:VFREEBUSY',
    `UID:${withoutControlCharacters(uid)}`,
    `DTSTAMP:${utcBasic(input.now)}`,
    `DTSTART:${utcBasic(input.start)}`,
    `DTEND:${utcBasic(input.end)}`,
    `${who}${cn}:mailto:${withoutControlCharacters(party.email)}`,
    ...clipped.map((period) => `FREEBUSY;FBTYPE=${period.type}:${utcBasic(period.start)}/${utcBasic(period.end)}`),
    'END:VFREEBUSY',
    'END:VCALENDAR',
  ];
  return `${lines.map(foldLine).join('\r\n')}\r\n`;
}
