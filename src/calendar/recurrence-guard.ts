/**
 * A time and step budget on every recurrence iteration ical.js does.
 *
 * ical.js's RecurIterator has loops whose length the data controls, not the caller:
 *  - `next()` repeats "step one FREQ unit, test the BY* rules" until a candidate passes
 *    (RFC 5545 §3.3.10: BYxxx parts limit or expand the set). For DAILY and finer frequencies there
 *    is no exit when nothing ever passes, so `FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30` (Feb 30 never
 *    exists) loops forever inside ONE `next()` call; so does `FREQ=MONTHLY;INTERVAL=12;BYMONTH=3`
 *    started in January. A rule that matches rarely (`FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29`, one
 *    day in four years) spends minutes in one call. A caller counting `next()` calls sees none of it.
 *  - the iterator's start-up (`init`) for YEARLY rules expands year after year up to year 20000
 *    looking for a first match;
 *  - a VTIMEZONE observance is expanded with the same iterator (RFC 5545 §3.6.5) whenever a time in
 *    that zone is converted, so a hostile zone rule stalls every DTSTART conversion, not only
 *    recurrence expansion.
 *
 * So the bound has to sit inside the library's loops. This module wraps the iterator's stepping
 * methods (one call = one candidate tried) and its entry points: each outermost library call
 * (`RecurIterator` start-up, one `next()`, one time-zone coverage) may do at most
 * `MAX_UNITS_PER_CALL` units of work and run at most `MAX_MS_PER_CALL` milliseconds; past either it
 * throws a BridgeError INVALID_INPUT, which propagates out of ical.js to the caller handling the
 * item. The wrapper is installed once, globally, on import: every caller of ical.js in the process
 * is bounded, including the ones that do not know they iterate.
 */
import ICAL from 'ical.js';
import { BridgeError } from '../domain/errors.js';

/**
 * Work one library call may do, in units of one candidate step (10-25 µs each on the 2-core test
 * machine): one SECONDLY..WEEKLY candidate costs 1 unit, a MONTHLY candidate 20, a YEARLY one 2
 * (`next_year` + `expand_year_days`), so the budget is about equal time whatever the FREQ. 3,000
 * units are 8 years of days, 4 months of hours, 150 months or 1,500 years per call (30-80 ms):
 * enough for the rules real calendars hold (Feb 29 written as DAILY needs at most 2,922 days; an
 * Outlook VTIMEZONE expanded from 1601 to now takes ~1,700), far too little for a rule that never
 * matches.
 * Counted, not timed, so a rule is accepted or refused the same way on a busy and an idle machine.
 */
export const MAX_UNITS_PER_CALL = 3_000;
/** Wall-clock backstop of one library call, for a machine far slower than the units assume. */
export const MAX_MS_PER_CALL = 250;
/** How often the clock is read, in steps (reading it costs less than a step, but not nothing). */
const CLOCK_EVERY = 16;

/** The iterator's methods that each try one candidate (or expand one year), with their cost in units. */
const STEP_COSTS: Readonly<Record<string, number>> = {
  next_second: 1,
  next_minute: 1,
  next_hour: 1,
  next_day: 1,
  next_week: 1,
  next_month: 20,
  next_year: 1,
  expand_year_days: 1,
  increment_month: 1,
};

type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

interface CallBudget {
  /** Nesting of entry points (a time-zone expansion calls next(), which is an entry point too). */
  depth: number;
  /** Nesting of step methods (next_day calls next_hour ...): only the outermost one is counted. */
  stepDepth: number;
  units: number;
  steps: number;
  startedAt: number;
  /** What the innermost running call is, for the error message (computed only when it is needed). */
  what: () => string;
}

const budget: CallBudget = { depth: 0, stepDepth: 0, units: 0, steps: 0, startedAt: 0, what: () => 'a recurrence rule' };
/** Units spent since the process started, for callers that bound a sequence of calls. */
let totalUnits = 0;

export class RecurrenceBudgetError extends BridgeError {
  constructor(message: string) {
    super('INVALID_INPUT', message);
    this.name = 'RecurrenceBudgetError';
  }
}

/** Units of recurrence work done so far in this process (monotonic). */
export function recurrenceUnitsSpent(): number {
  return totalUnits;
}

function ruleText(self: unknown): string {
  const rule = (self as { rule?: { toString(): string } | null }).rule;
  try {
    return rule ? `RRULE:${rule.toString()}` : 'a recurrence rule';
  } catch {
    return 'a recurrence rule';
  }
}

function tzidOf(self: unknown): string {
  const tzid = (self as { tzid?: unknown }).tzid;
  return typeof tzid === 'string' ? tzid : '?';
}

function charge(units: number): void {
  budget.units += units;
  budget.steps += 1;
  totalUnits += units;
  if (budget.units > MAX_UNITS_PER_CALL) {
    throw new RecurrenceBudgetError(`${budget.what()} finds no instance within its work budget (${MAX_UNITS_PER_CALL} steps): a rule that never or almost never matches`);
  }
  if (budget.steps % CLOCK_EVERY === 0 && performance.now() - budget.startedAt > MAX_MS_PER_CALL) {
    throw new RecurrenceBudgetError(`${budget.what()} finds no instance within ${MAX_MS_PER_CALL} ms: a rule that never or almost never matches`);
  }
}

/** Run one library entry point as a budgeted call; nested entry points share the outer budget. */
function entry<T>(what: () => string, run: () => T): T {
  if (budget.depth === 0) {
    budget.units = 0;
    budget.steps = 0;
    budget.startedAt = performance.now();
  }
  const outer = budget.what;
  budget.what = budget.depth === 0 ? what : () => `${what()} inside ${outer()}`;
  budget.depth += 1;
  try {
    return run();
  } finally {
    budget.depth -= 1;
    budget.what = outer;
  }
}

function wrap(prototype: Record<string, unknown>, name: string, around: (original: AnyMethod) => AnyMethod): void {
  const original = prototype[name];
  if (typeof original !== 'function') throw new Error(`ical.js has no ${name}: the recurrence guard does not fit this ical.js version`);
  prototype[name] = around(original as AnyMethod);
}

const INSTALLED = Symbol.for('crm-bridge.recurrence-guard');

function install(): void {
  const iterator = ICAL.RecurIterator.prototype as unknown as Record<string | symbol, unknown>;
  if (iterator[INSTALLED]) return;
  iterator[INSTALLED] = true;
  for (const [name, units] of Object.entries(STEP_COSTS)) {
    wrap(iterator, name, (original) =>
      function (this: unknown, ...args: unknown[]) {
        if (budget.stepDepth === 0) charge(units);
        budget.stepDepth += 1;
        try {
          return original.apply(this, args);
        } finally {
          budget.stepDepth -= 1;
        }
      },
    );
  }
  wrap(iterator, 'init', (original) =>
    function (this: unknown, ...args: unknown[]) {
      return entry(() => `${ruleText(this)} (starting the iteration)`, () => original.apply(this, args));
    },
  );
  wrap(iterator, 'next', (original) =>
    function (this: unknown, ...args: unknown[]) {
      return entry(() => `${ruleText(this)} (one next())`, () => original.apply(this, args));
    },
  );
  const timezone = ICAL.Timezone.prototype as unknown as Record<string, unknown>;
  // _ensureCoverage expands every observance up to a year (all next() calls of it share one budget).
  wrap(timezone, '_ensureCoverage', (original) =>
    function (this: unknown, ...args: unknown[]) {
      return entry(() => `VTIMEZONE ${tzidOf(this)} (expanding its STANDARD/DAYLIGHT rules)`, () => original.apply(this, args));
    },
  );
}

install();

/** Imported for its effect; this export makes the dependency explicit at the import site. */
export const recurrenceGuardInstalled = true;
