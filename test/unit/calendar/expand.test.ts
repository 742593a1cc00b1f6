import { describe, expect, it } from 'vitest';
import { expandOccurrences } from '../../../src/calendar/expand.js';
import { parseCalendarObject } from '../../../src/calendar/ical-parse.js';
import { fixture } from './fixtures.js';

describe('expandOccurrences', () => {
  it('honours EXDATE, a moved override and a cancelled override across a DST change', async () => {
    const object = parseCalendarObject(fixture('recurring-weekly.ics'));
    const { occurrences, truncated } = await expandOccurrences(object, new Date('2024-01-01T00:00:00Z'), new Date('2025-01-01T00:00:00Z'));
    expect(truncated).toBe(false);
    expect(occurrences.map((occurrence) => [occurrence.start, occurrence.end])).toEqual([
      ['2024-03-05T09:00:00.000Z', '2024-03-05T10:00:00.000Z'],
      ['2024-03-12T09:00:00.000Z', '2024-03-12T10:00:00.000Z'],
      // 19 March: EXDATE.
      ['2024-03-26T09:00:00.000Z', '2024-03-26T10:00:00.000Z'],
      // 2 April moved to 3 April 15:00 CEST; Berlin is on summer time from 31 March.
      ['2024-04-03T13:00:00.000Z', '2024-04-03T14:00:00.000Z'],
      ['2024-04-09T08:00:00.000Z', '2024-04-09T09:00:00.000Z'],
      // 16 April: cancelled override.
      ['2024-04-23T08:00:00.000Z', '2024-04-23T09:00:00.000Z'],
      ['2024-04-30T08:00:00.000Z', '2024-04-30T09:00:00.000Z'],
      ['2024-05-07T08:00:00.000Z', '2024-05-07T09:00:00.000Z'],
    ]);
    expect(occurrences[3]?.recurrenceId).toBe('2024-04-02T08:00:00.000Z');
    const withCancelled = await expandOccurrences(object, new Date('2024-01-01T00:00:00Z'), new Date('2025-01-01T00:00:00Z'), 1000, { includeCancelled: true });
    expect(withCancelled.occurrences).toHaveLength(9);
    expect(withCancelled.occurrences.filter((occurrence) => occurrence.cancelled).map((occurrence) => occurrence.start)).toEqual(['2024-04-16T08:00:00.000Z']);
  });

  it('limits to the window, and finds an override moved into it from after the window', async () => {
    const object = parseCalendarObject(fixture('recurring-weekly.ics'));
    const window = await expandOccurrences(object, new Date('2024-03-20T00:00:00Z'), new Date('2024-04-03T00:00:00Z'));
    expect(window.occurrences.map((occurrence) => occurrence.start)).toEqual(['2024-03-26T09:00:00.000Z']);
    const moved = await expandOccurrences(object, new Date('2024-04-03T12:00:00Z'), new Date('2024-04-03T18:00:00Z'));
    expect(moved.occurrences.map((occurrence) => occurrence.start)).toEqual(['2024-04-03T13:00:00.000Z']);
  });

  it('caps an endless RRULE quickly and says so', async () => {
    const object = parseCalendarObject(fixture('endless-daily.ics'));
    const started = performance.now();
    const result = await expandOccurrences(object, new Date('2024-01-01T00:00:00Z'), new Date('2124-01-01T00:00:00Z'));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.truncated).toBe(true);
    expect(result.occurrences).toHaveLength(1000);
    expect(result.occurrences[0]?.start).toBe('2024-01-01T09:00:00.000Z');
    expect(result.occurrences[999]?.start).toBe('2026-09-26T09:00:00.000Z');
    const week = await expandOccurrences(object, new Date('2024-01-01T00:00:00Z'), new Date('2024-01-08T00:00:00Z'));
    expect(week).toMatchObject({ truncated: false });
    expect(week.occurrences).toHaveLength(7);
  });

  it('stops after the step limit when the window lies far after the start', async () => {
    const object = parseCalendarObject(fixture('endless-daily.ics'));
    const result = await expandOccurrences(object, new Date('2900-01-01T00:00:00Z'), new Date('2900-01-02T00:00:00Z'), 1000, { maxSteps: 10_000 });
    expect(result).toEqual({ occurrences: [], truncated: true });
  });

  it('expands a 5,000-instance series completely when the cap allows, and to the cap otherwise', async () => {
    const object = parseCalendarObject(fixture('count-5000.ics'));
    const all = await expandOccurrences(object, new Date('2000-01-01T00:00:00Z'), new Date('2100-01-01T00:00:00Z'), 10_000);
    expect(all.truncated).toBe(false);
    expect(all.occurrences).toHaveLength(5000);
    // 1 January 2010 + 4,999 days.
    expect(all.occurrences[4999]?.start).toBe('2023-09-09T12:00:00.000Z');
    const capped = await expandOccurrences(object, new Date('2000-01-01T00:00:00Z'), new Date('2100-01-01T00:00:00Z'));
    expect(capped.truncated).toBe(true);
    expect(capped.occurrences).toHaveLength(1000);
  });

  it('gives single, all-day and floating events as one occurrence each', async () => {
    const from = new Date('2024-01-01T00:00:00Z');
    const to = new Date('2025-01-01T00:00:00Z');
    expect((await expandOccurrences(parseCalendarObject(fixture('apple-event.ics')), from, to)).occurrences).toEqual([
      { start: '2024-05-02T08:00:00.000Z', end: '2024-05-02T09:30:00.000Z', allDay: false, floating: false, recurrenceId: '2024-05-02T08:00:00.000Z', busyStatus: 'busy', cancelled: false },
    ]);
    expect((await expandOccurrences(parseCalendarObject(fixture('all-day.ics')), from, to)).occurrences[0]).toMatchObject({ start: '2024-05-20T00:00:00.000Z', end: '2024-05-22T00:00:00.000Z', allDay: true, busyStatus: 'free' });
    expect((await expandOccurrences(parseCalendarObject(fixture('floating.ics')), from, to)).occurrences[0]).toMatchObject({ start: '2024-06-03T08:00:00.000Z', end: '2024-06-03T08:45:00.000Z', floating: true });
    expect(await expandOccurrences(parseCalendarObject(fixture('todo.ics')), from, to)).toEqual({ occurrences: [], truncated: false });
  });
});
