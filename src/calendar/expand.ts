/**
 * Occurrences of a calendar object within a window, for free/busy.
 *
 * The set of instances is RRULE + RDATE - EXDATE (RFC 5545 §3.8.5), with overrides replacing the
 * instance named by their RECURRENCE-ID (§3.8.4.4). ical.js's Event/RecurExpansion does that work;
 * this module bounds it. A calendar is untrusted input: an endless RRULE, a 5,000-instance series
 * or a rule that needs many steps to find few instances must neither hang the sync nor flood the
 * free/busy output, so both the instances returned and the iteration steps are capped, and the
 * result says when it was cut.
 *
 * Counting next() calls is not enough: one next() of ical.js can loop for ever on a rule that never
 * matches (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30). recurrence-guard.ts bounds every single library call
 * (it throws INVALID_INPUT, rethrown here naming the UID); this module bounds the sequence of calls
 * by steps and hands the event loop back every few milliseconds, so that a long legitimate series
 * delays other work by a slice, not by its whole expansion.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import ICAL from 'ical.js';
import { BridgeError, isBridgeError } from '../domain/errors.js';
import { type BusyStatus, busyFromIcal } from './busy-status.js';
import { textOf } from './component-edit.js';
import type { CalendarObject } from './ical-parse.js';
import { fromIcalTime } from './ical-time.js';
import { RecurrenceBudgetError, recurrenceUnitsSpent } from './recurrence-guard.js';

/** Longest stretch of expansion work between two turns of the event loop, in ms. */
const SLICE_MS = 10;

export interface Occurrence {
  /** UTC ISO (all-day: midnight UTC of the date; floating: the wall clock read as UTC). */
  start: string;
  end: string;
  allDay: boolean;
  floating: boolean;
  /** The instance's original start (its RECURRENCE-ID), same form as `start`. */
  recurrenceId: string;
  busyStatus: BusyStatus;
  cancelled: boolean;
}

export interface Expansion {
  occurrences: Occurrence[];
  /** True when `cap` instances or the step or work limit were reached before the window was covered. */
  truncated: boolean;
}

export interface ExpandOptions {
  /** Keep cancelled instances (STATUS:CANCELLED on the master or an override); default false. */
  includeCancelled?: boolean;
  /** Iteration steps allowed in total, counting instances before the window; default 50,000. */
  maxSteps?: number;
  /**
   * Recurrence work allowed in total (recurrence-guard.ts units; default 200,000, about a second of
   * CPU): a rule whose every instance costs thousands of candidates stops here, truncated, instead of
   * spending minutes on its 50,000 steps.
   */
  maxUnits?: number;
}

function isCancelled(component: ICAL.Component): boolean {
  return textOf(component, 'status')?.toUpperCase() === 'CANCELLED';
}

function busyOf(component: ICAL.Component): BusyStatus {
  return busyFromIcal({ transp: textOf(component, 'transp'), status: textOf(component, 'status'), cdoBusyStatus: textOf(component, 'x-microsoft-cdo-busystatus') });
}

function ms(time: ICAL.Time): number {
  return Date.parse(fromIcalTime(time).iso);
}

function overlaps(start: number, end: number, from: number, to: number): boolean {
  // A zero-length event occupies its start instant (RFC 5545 §3.6.1).
  return end > start ? start < to && end > from : start >= from && start < to;
}

function occurrence(component: ICAL.Component, start: ICAL.Time, end: ICAL.Time, recurrenceId: ICAL.Time): Occurrence {
  const startTime = fromIcalTime(start);
  return {
    start: startTime.iso,
    end: fromIcalTime(end).iso,
    allDay: startTime.date !== null,
    floating: startTime.floating,
    recurrenceId: fromIcalTime(recurrenceId).iso,
    busyStatus: busyOf(component),
    cancelled: isCancelled(component),
  };
}

/**
 * Instances of a VEVENT object that overlap [from, to), sorted by recurrence, at most `cap` of them.
 * VTODOs have no span to expand and give no instances.
 */
export async function expandOccurrences(object: CalendarObject, from: Date, to: Date, cap = 1000, options: ExpandOptions = {}): Promise<Expansion> {
  try {
    return await expandWithin(object, from, to, cap, options);
  } catch (error) {
    // The budget's refusal, or ical.js refusing a rule while iterating ("For WEEKLY recurrences
    // neither BYMONTHDAY nor BYYEARDAY may appear", RFC 5545 §3.3.10): both are this item's data.
    if (error instanceof RecurrenceBudgetError || !isBridgeError(error)) {
      const message = error instanceof Error ? error.message : String(error);
      throw new BridgeError('INVALID_INPUT', `iCalendar: ${object.kind === 'todo' ? 'VTODO' : 'VEVENT'} ${object.uid}: ${message}`, { cause: error });
    }
    throw error;
  }
}

async function expandWithin(object: CalendarObject, from: Date, to: Date, cap: number, options: ExpandOptions): Promise<Expansion> {
  const includeCancelled = options.includeCancelled ?? false;
  const maxSteps = options.maxSteps ?? 50_000;
  const maxUnits = options.maxUnits ?? 200_000;
  const fromMs = from.getTime();
  const toMs = to.getTime();
  const occurrences: Occurrence[] = [];
  if (object.kind !== 'event' || cap <= 0) return { occurrences, truncated: false };
  const keep = (found: Occurrence): boolean => {
    if (found.cancelled && !includeCancelled) return true;
    if (!overlaps(Date.parse(found.start), Date.parse(found.end), fromMs, toMs)) return true;
    occurrences.push(found);
    return occurrences.length < cap;
  };

  const master = object.master;
  if (!master) {
    // Only overrides (an invitation to some instances): each is an event of its own.
    for (const component of object.overrides.values()) {
      const event = new ICAL.Event(component);
      if (!keep(occurrence(component, event.startDate, event.endDate, event.recurrenceId))) return { occurrences, truncated: true };
    }
    return { occurrences, truncated: false };
  }
  const event = new ICAL.Event(master, { exceptions: [...object.overrides.values()], strictExceptions: false });
  if (!event.isRecurring()) {
    keep(occurrence(master, event.startDate, event.endDate, event.startDate));
    return { occurrences, truncated: false };
  }

  // Units are summed per synchronous call, not read as "total now minus total at start": other
  // expansions run while this one yields, and their work must not count against this one.
  let units = recurrenceUnitsSpent();
  const iterator = event.iterator();
  units = recurrenceUnitsSpent() - units;
  const visited = new Set<string>();
  let truncated = false;
  let sliceStart = performance.now();
  for (let steps = 0; ; steps += 1) {
    if (steps >= maxSteps || units > maxUnits) {
      truncated = true;
      break;
    }
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
    const before = recurrenceUnitsSpent();
    const next = iterator.next();
    units += recurrenceUnitsSpent() - before;
    if (!next) break;
    // Instances come in order of their original start; past the window only a moved override can
    // still fall into it, and those are looked at below.
    if (ms(next) >= toMs) break;
    const details = event.getOccurrenceDetails(next);
    visited.add(fromIcalTime(next).iso);
    if (!keep(occurrence(details.item.component, details.startDate, details.endDate, next))) {
      truncated = true;
      break;
    }
  }
  if (!truncated) {
    // Overrides whose original instance lies after the window but that were moved into it.
    for (const [key, component] of object.overrides) {
      if (visited.has(key) || Date.parse(key) < toMs) continue;
      const override = new ICAL.Event(component);
      if (!keep(occurrence(component, override.startDate, override.endDate, override.recurrenceId))) {
        truncated = true;
        break;
      }
    }
  }
  occurrences.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  return { occurrences, truncated };
}
