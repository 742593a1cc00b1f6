import { describe, expect, it } from 'vitest';
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
