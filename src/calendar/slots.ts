/**
 * Meeting slot proposal: the first times, within working hours, at which every attendee is free
 * for a meeting of a given length. Pure: the busy periods come from the free/busy lookup.
 *
 * Working hours are wall-clock times in one IANA time zone, so a 09:00-17:00 day stays 09:00-17:00
 * across daylight-saving changes (the instants are computed per day with the zone's offset).
 */
import type { BusyPeriod } from './freebusy.js';
import type { FreeBusyType } from './busy-status.js';
import { instantOf, wallClock } from '../domain/wall-clock.js';

export interface WorkingHours {
  /** `HH:MM`, inclusive start of the working day. */
  start: string;
  /** `HH:MM`, end of the working day (after start). */
  end: string;
  /** ISO weekdays that are working days: 1 = Monday ... 7 = Sunday. */
  days: readonly number[];
  /** IANA zone the hours are read in. */
  timeZone: string;
}

export interface SlotRequest {
  from: Date;
  to: Date;
  durationMinutes: number;
  workingHours: WorkingHours;
  /** How many slots to return. */
  count: number;
  /** Slot starts are aligned to this many minutes of wall-clock time (e.g. 15: :00 :15 :30 :45). */
  stepMinutes: number;
  /** Which busy types block a slot; tentative time is free for proposals when left out. */
  blocking: readonly FreeBusyType[];
}

export interface Slot {
  start: Date;
  end: Date;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

function minutesOf(hhmm: string): number {
  const match = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!match) throw new RangeError(`expected HH:MM, got ${hhmm}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** ISO weekday (1 = Monday) of a civil date. */
function isoWeekday(year: number, month: number, day: number): number {
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return weekday === 0 ? 7 : weekday;
}

/** The working intervals (instants) of every working day that touches [from, to), clipped to it. */
export function workingIntervals(from: Date, to: Date, hours: WorkingHours): Slot[] {
  const startMinute = minutesOf(hours.start);
  const endMinute = minutesOf(hours.end);
  if (endMinute <= startMinute) throw new RangeError('working hours must end after they start');
  const intervals: Slot[] = [];
  // Walk civil days in the zone, from the day `from` falls on to the day `to` falls on.
  const first = wallClock(hours.timeZone, from.getTime());
  let civil = Date.UTC(first.year, first.month - 1, first.day);
  const last = wallClock(hours.timeZone, to.getTime());
  const lastCivil = Date.UTC(last.year, last.month - 1, last.day);
  for (; civil <= lastCivil; civil += DAY) {
    const date = new Date(civil);
    const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (!hours.days.includes(isoWeekday(year, month, day))) continue;
    const at = (minute: number) => instantOf(hours.timeZone, { year, month, day, hour: Math.floor(minute / 60), minute: minute % 60, second: 0 });
    const start = Math.max(at(startMinute), from.getTime());
    const end = Math.min(at(endMinute), to.getTime());
    if (end > start) intervals.push({ start: new Date(start), end: new Date(end) });
  }
  return intervals;
}

/** The next instant at or after `epochMs` whose wall-clock minute is a multiple of `step`. */
function alignUp(epochMs: number, step: number, timeZone: string): number {
  const wall = wallClock(timeZone, epochMs);
  const minuteOfDay = wall.hour * 60 + wall.minute;
  const exact = wall.second === 0 && epochMs % 1000 === 0;
  const remainder = minuteOfDay % step;
  if (remainder === 0 && exact) return epochMs;
  const floor = epochMs - (remainder * MINUTE + wall.second * 1000 + (epochMs % 1000));
  return floor + step * MINUTE;
}

/**
 * The first `count` non-overlapping slots of `durationMinutes` in [from, to) inside working hours
 * at which no attendee is busy with a blocking type. `busy` holds every attendee's periods (in any
 * order; overlaps allowed).
 */
export function proposeSlots(busy: readonly BusyPeriod[], request: SlotRequest): Slot[] {
  const duration = request.durationMinutes * MINUTE;
  const blocked = busy
    .filter((period) => request.blocking.includes(period.type))
    .map((period) => ({ start: period.start.getTime(), end: period.end.getTime() }))
    .filter((period) => period.end > period.start)
    .sort((a, b) => a.start - b.start);
  const slots: Slot[] = [];
  let cursor = 0;
  for (const interval of workingIntervals(request.from, request.to, request.workingHours)) {
    let candidate = alignUp(interval.start.getTime(), request.stepMinutes, request.workingHours.timeZone);
    const intervalEnd = interval.end.getTime();
    while (candidate + duration <= intervalEnd && slots.length < request.count) {
      // Busy periods are sorted by start: skip those that ended before the candidate.
      while (cursor < blocked.length && blocked[cursor]!.end <= candidate) cursor += 1;
      let clash: { start: number; end: number } | undefined;
      for (let index = cursor; index < blocked.length && blocked[index]!.start < candidate + duration; index += 1) {
        if (blocked[index]!.end > candidate) {
          clash = blocked[index];
          break;
        }
      }
      if (!clash) {
        slots.push({ start: new Date(candidate), end: new Date(candidate + duration) });
        candidate += duration;
      } else {
        candidate = alignUp(clash.end, request.stepMinutes, request.workingHours.timeZone);
      }
      candidate = alignUp(candidate, request.stepMinutes, request.workingHours.timeZone);
    }
    if (slots.length >= request.count) break;
  }
  return slots;
}
