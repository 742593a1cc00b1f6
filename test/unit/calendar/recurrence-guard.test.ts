import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBridgeError } from '../../../src/domain/errors.js';
import { expandOccurrences, type Expansion } from '../../../src/calendar/expand.js';
import { parseCalendarObject } from '../../../src/calendar/ical-parse.js';
import { measureStall } from '../../support/event-loop-stall.js';

/**
 * Recurrence rules are data a stranger controls (an invitation the server files by itself): their
 * expansion must end, and keep the event loop turning, whatever the rule. Bounds here are generous
 * (seconds, on a loaded 2-core machine); bench/hostile-input-stall.ts measures the real stalls.
 */

function event(rule: string, dtstart = 'DTSTART:20250106T090000Z', extra = ''): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', extra, 'BEGIN:VEVENT', 'UID:hostile-1', 'DTSTAMP:20250101T000000Z', dtstart, 'DURATION:PT30M', `RRULE:${rule}`, 'SUMMARY:Hostile', 'END:VEVENT', 'END:VCALENDAR', '']
    .filter((line) => line !== '')
    .join('\r\n');
}

const from = new Date('2024-12-01T00:00:00Z');
const to = new Date('2027-12-01T00:00:00Z');

/** Expand while measureStall measures the longest gap between two turns of the event loop. */
async function expandMeasured(text: string): Promise<{ result: Expansion | Error; longestGapMs: number }> {
  const { result, stallMs } = await measureStall(() => expandOccurrences(parseCalendarObject(text), from, to, 2000));
  return { result: result.status === 'fulfilled' ? result.value : (result.reason as Error), longestGapMs: stallMs };
}

async function rejection(text: string): Promise<unknown> {
  return expandOccurrences(parseCalendarObject(text), from, to, 2000).then(
    () => null,
    (error: unknown) => error,
  );
}

describe('recurrence expansion is bounded', () => {
  it('refuses FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30 (one next() of ical.js never returns) as INVALID_INPUT naming UID and rule', async () => {
    const error = await rejection(event('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'));
    expect(isBridgeError(error) && error.code).toBe('INVALID_INPUT');
    expect((error as Error).message).toContain('VEVENT hostile-1');
    expect((error as Error).message).toContain('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30');
  });

  it.each([
    ['Apr 31, daily', 'FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31'],
    ['the 31st of 30-day months, hourly', 'FREQ=HOURLY;BYMONTH=4,6,9,11;BYMONTHDAY=31'],
    ['Feb 30, every minute', 'FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30'],
    ['a day the interval never reaches (every 7th day from a Monday, on Tuesdays)', 'FREQ=DAILY;INTERVAL=7;BYDAY=TU'],
    ['Dec 31 in June, daily', 'FREQ=DAILY;BYYEARDAY=-1;BYMONTH=6'],
    ['Feb 29 every second (matches once in four years)', 'FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29'],
    ['day 366 every minute', 'FREQ=MINUTELY;BYYEARDAY=366'],
  ])('refuses a rule that never or almost never matches: %s', async (_name, rule) => {
    const error = await rejection(event(rule));
    expect(isBridgeError(error) && error.code).toBe('INVALID_INPUT');
    expect((error as Error).message).toContain('hostile-1');
  });

  it('refuses a VTIMEZONE whose observance rule never matches (every time conversion in that zone expands it)', async () => {
    const zone = ['BEGIN:VTIMEZONE', 'TZID:Hostile/Zone', 'BEGIN:STANDARD', 'DTSTART:19700101T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'END:STANDARD', 'END:VTIMEZONE'].join('\r\n');
    const error = await rejection(event('FREQ=WEEKLY', 'DTSTART;TZID=Hostile/Zone:20250106T090000', zone));
    expect(isBridgeError(error) && error.code).toBe('INVALID_INPUT');
    expect((error as Error).message).toContain('VTIMEZONE Hostile/Zone');
  });

  it('still expands rules real calendars hold: leap day written as DAILY, 5th Friday, an Outlook zone from 1601', async () => {
    const leapDay = await expandOccurrences(parseCalendarObject(event('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29')), new Date('2024-01-01T00:00:00Z'), new Date('2033-01-01T00:00:00Z'));
    expect(leapDay.occurrences.map((occurrence) => occurrence.start.slice(0, 10))).toEqual(['2025-01-06', '2028-02-29', '2032-02-29']);
    const fifthFriday = await expandOccurrences(parseCalendarObject(event('FREQ=MONTHLY;BYDAY=5FR;COUNT=4')), from, to);
    expect(fifthFriday.occurrences).toHaveLength(4);
    const outlookZone = ['BEGIN:VTIMEZONE', 'TZID:W. Europe Standard Time', 'BEGIN:STANDARD', 'DTSTART:16010101T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10', 'END:STANDARD', 'BEGIN:DAYLIGHT', 'DTSTART:16010101T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3', 'END:DAYLIGHT', 'END:VTIMEZONE'].join('\r\n');
    const weekly = await expandOccurrences(parseCalendarObject(event('FREQ=WEEKLY;COUNT=30', 'DTSTART;TZID=W. Europe Standard Time:20250106T090000', outlookZone)), from, to);
    expect(weekly.occurrences).toHaveLength(30);
    // 09:00 in Berlin: UTC+1 in January, UTC+2 from 30 March 2025.
    expect(weekly.occurrences[0]?.start).toBe('2025-01-06T08:00:00.000Z');
    expect(weekly.occurrences[12]?.start).toBe('2025-03-31T07:00:00.000Z');
  });

  it('ends and keeps the event loop turning for any combination of BY* parts (property)', async () => {
    const freq = fc.constantFrom('SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY');
    const list = (arbitrary: fc.Arbitrary<number>) => fc.uniqueArray(arbitrary, { minLength: 1, maxLength: 3 }).map((values) => values.join(','));
    const part = <T>(name: string, arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary.map((value) => `;${name}=${String(value)}`), { nil: '' });
    const day = fc.constantFrom('MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU');
    const nonZero = (max: number) => fc.integer({ min: -max, max }).filter((value) => value !== 0);
    const rule = fc
      .tuple(
        freq,
        part('INTERVAL', fc.integer({ min: 1, max: 13 })),
        part('BYMONTH', list(fc.integer({ min: 1, max: 12 }))),
        part('BYMONTHDAY', list(nonZero(31))),
        part('BYYEARDAY', list(nonZero(366))),
        part('BYWEEKNO', list(nonZero(53))),
        part('BYDAY', fc.uniqueArray(fc.tuple(fc.option(nonZero(5), { nil: null }), day), { minLength: 1, maxLength: 2, selector: ([, name]) => name }).map((days) => days.map(([n, name]) => `${n ?? ''}${name}`).join(','))),
        part('BYHOUR', list(fc.integer({ min: 0, max: 23 }))),
        part('BYSETPOS', list(nonZero(5))),
      )
      .map(([frequency, ...parts]) => `FREQ=${frequency}${parts.join('')}`);
    const dtstart = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => `DTSTART:${date.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`);

    await fc.assert(
      fc.asyncProperty(rule, dtstart, async (rrule, start) => {
        const started = performance.now();
        const { result, longestGapMs } = await expandMeasured(event(rrule, start));
        // Either instances (possibly truncated) or a per-item error; never anything else.
        if (result instanceof Error) expect(isBridgeError(result) && result.code).toBe('INVALID_INPUT');
        expect(performance.now() - started).toBeLessThan(10_000);
        expect(longestGapMs).toBeLessThan(1_500);
      }),
      { numRuns: 60 },
    );
  }, 300_000);
});
