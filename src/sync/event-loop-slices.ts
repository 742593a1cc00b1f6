import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/**
 * Longest stretch of synchronous work (parsing vCards or iCalendar objects, expanding recurrences)
 * a sync pass does before it hands the event loop back: the API, /healthz and the other sources
 * then wait a slice, not a whole collection (DESIGN.md, "Bounded work": ~100 ms at most).
 */
export const SLICE_MS = 20;

/**
 * Paces a loop of synchronous steps: `await slices.pace()` after each step yields to the event loop
 * once the current slice has lasted SLICE_MS.
 */
export class EventLoopSlices {
  private sliceStart = performance.now();

  async pace(): Promise<void> {
    if (performance.now() - this.sliceStart <= SLICE_MS) return;
    await yieldToEventLoop();
    this.sliceStart = performance.now();
  }
}
