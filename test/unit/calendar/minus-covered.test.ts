import { describe, expect, it } from 'vitest';
import type { BusyPeriod } from '../../../src/calendar/freebusy.js';
import { minusCovered } from '../../../src/calendar/user-busy.js';

const at = (hour: number) => new Date(Date.UTC(2026, 11, 1, hour));
const busy = (from: number, to: number, type: 'BUSY' | 'BUSY-TENTATIVE' = 'BUSY') => ({ start: at(from), end: at(to), type });

describe('minusCovered (synced-calendar time the CRM already reports)', () => {
  it('drops an exact copy, keeps what sticks out on either side, and leaves other busy types alone', () => {
    expect(minusCovered([busy(9, 10)], [busy(9, 10)])).toEqual([]);
    expect(minusCovered([busy(8, 12)], [busy(9, 10)])).toEqual([busy(8, 9), busy(10, 12)]);
    expect(minusCovered([busy(8, 12)], [busy(7, 9), busy(11, 13)])).toEqual([busy(9, 11)]);
    expect(minusCovered([busy(9, 10, 'BUSY-TENTATIVE')], [busy(9, 10)])).toEqual([busy(9, 10, 'BUSY-TENTATIVE')]);
    expect(minusCovered([busy(9, 10)], [busy(10, 11)])).toEqual([busy(9, 10)]);
  });
});

describe('minusCovered on merged (sorted, non-overlapping) lists', () => {
  /** Minute by minute: which minutes of `periods` no `covered` period of the same type holds. */
  function naive(periods: readonly BusyPeriod[], covered: readonly BusyPeriod[]): string[] {
    const minutes: string[] = [];
    for (const period of periods) {
      for (let t = period.start.getTime(); t < period.end.getTime(); t += 3_600_000) {
        if (!covered.some((c) => c.type === period.type && c.start.getTime() <= t && t < c.end.getTime())) minutes.push(`${t}/${period.type}`);
      }
    }
    return minutes;
  }
  const expand = (periods: readonly BusyPeriod[]) => naive(periods, []);

  it('equals a minute-by-minute subtraction', async () => {
    const { default: fc } = await import('fast-check');
    // A merged list: sorted, non-overlapping hour blocks with a type each.
    const merged = fc
      .array(fc.record({ gap: fc.nat(3), length: fc.integer({ min: 1, max: 4 }), tentative: fc.boolean() }), { maxLength: 12 })
      .map((blocks) => {
        let hour = 0;
        return blocks.map((block) => {
          const start = hour + block.gap;
          hour = start + block.length;
          return busy(start, hour, block.tentative ? 'BUSY-TENTATIVE' : 'BUSY');
        });
      });
    fc.assert(
      fc.property(merged, merged, (periods, covered) => {
        expect(expand(minusCovered(periods, covered))).toEqual(naive(periods, covered));
      }),
      { numRuns: 300 },
    );
  });
});
