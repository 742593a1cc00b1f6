import { describe, expect, it } from 'vitest';
import type { BusyPeriod } from '../../../src/calendar/freebusy.js';
import { proposeSlots, workingIntervals, type SlotRequest } from '../../../src/calendar/slots.js';

const berlin = { start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5], timeZone: 'Europe/Berlin' };
const at = (iso: string) => new Date(iso);
const busy = (start: string, end: string, type: BusyPeriod['type'] = 'BUSY'): BusyPeriod => ({ start: at(start), end: at(end), type });
const iso = (slots: Array<{ start: Date; end: Date }>) => slots.map((slot) => `${slot.start.toISOString()}/${slot.end.toISOString()}`);

function request(overrides: Partial<SlotRequest> = {}): SlotRequest {
  return {
    from: at('2026-03-27T00:00:00Z'), // a Friday; Europe/Berlin springs forward on Sunday 29 March
    to: at('2026-04-01T00:00:00Z'),
    durationMinutes: 60,
    workingHours: berlin,
    count: 3,
    stepMinutes: 15,
    blocking: ['BUSY', 'BUSY-TENTATIVE', 'BUSY-UNAVAILABLE'],
    ...overrides,
  };
}

describe('working hours', () => {
  it('keep their wall-clock times across a daylight-saving change and skip weekends', () => {
    const days = workingIntervals(at('2026-03-27T00:00:00Z'), at('2026-03-31T00:00:00Z'), berlin);
    expect(iso(days)).toEqual([
      '2026-03-27T08:00:00.000Z/2026-03-27T16:00:00.000Z', // Friday, UTC+1
      '2026-03-30T07:00:00.000Z/2026-03-30T15:00:00.000Z', // Monday, UTC+2
    ]);
  });

  it('are clipped to the window', () => {
    expect(iso(workingIntervals(at('2026-03-27T12:30:00Z'), at('2026-03-27T14:00:00Z'), berlin))).toEqual(['2026-03-27T12:30:00.000Z/2026-03-27T14:00:00.000Z']);
  });
});

describe('slot proposal', () => {
  it('proposes the first free hours, back to back, when nobody is busy', () => {
    expect(iso(proposeSlots([], request()))).toEqual([
      '2026-03-27T08:00:00.000Z/2026-03-27T09:00:00.000Z',
      '2026-03-27T09:00:00.000Z/2026-03-27T10:00:00.000Z',
      '2026-03-27T10:00:00.000Z/2026-03-27T11:00:00.000Z',
    ]);
  });

  it('goes around every attendee\'s busy time, aligned to the step, and on to the next working day', () => {
    const periods = [
      busy('2026-03-27T08:00:00Z', '2026-03-27T09:10:00Z'), // attendee A
      busy('2026-03-27T09:30:00Z', '2026-03-27T15:30:00Z'), // attendee B
      busy('2026-03-30T07:00:00Z', '2026-03-30T08:00:00Z', 'BUSY-UNAVAILABLE'),
    ];
    expect(iso(proposeSlots(periods, request({ count: 2 })))).toEqual([
      // 09:15 is the first aligned start after 09:10, but only 15 minutes remain before B: the
      // next free hour is Monday 10:00 Berlin (08:00Z), after the unavailable hour.
      '2026-03-30T08:00:00.000Z/2026-03-30T09:00:00.000Z',
      '2026-03-30T09:00:00.000Z/2026-03-30T10:00:00.000Z',
    ]);
  });

  it('treats tentative time as free only when asked to', () => {
    const periods = [busy('2026-03-27T08:00:00Z', '2026-03-27T16:00:00Z', 'BUSY-TENTATIVE')];
    expect(iso(proposeSlots(periods, request({ count: 1 })))).toEqual(['2026-03-30T07:00:00.000Z/2026-03-30T08:00:00.000Z']);
    expect(iso(proposeSlots(periods, request({ count: 1, blocking: ['BUSY', 'BUSY-UNAVAILABLE'] })))).toEqual(['2026-03-27T08:00:00.000Z/2026-03-27T09:00:00.000Z']);
  });

  it('returns fewer slots, or none, when the window has no room', () => {
    expect(proposeSlots([busy('2026-03-27T00:00:00Z', '2026-04-01T00:00:00Z')], request())).toEqual([]);
    expect(proposeSlots([], request({ durationMinutes: 9 * 60 }))).toEqual([]);
  });

  it('starts mid-day at the next aligned time', () => {
    expect(iso(proposeSlots([], request({ from: at('2026-03-27T10:07:00Z'), count: 1, durationMinutes: 30 })))).toEqual(['2026-03-27T10:15:00.000Z/2026-03-27T10:45:00.000Z']);
  });
});
