/** What measureStall saw: how `work` ended, the longest event-loop stall, and the work's own time. */
export interface StallMeasurement<T> {
  result: PromiseSettledResult<T>;
  /** Longest gap between two ticks of a 1 ms interval timer, the stretch after the last tick included. */
  stallMs: number;
  totalMs: number;
}

/**
 * Runs `work` while a 1 ms interval timer measures the longest gap between two turns of the event
 * loop: the stall that input imposes on the API, /healthz and the other sources. A rejection is
 * returned, not thrown, so refused input is measured too. Used by tests (with generous bounds) and
 * by bench/hostile-input-stall.
 */
export async function measureStall<T>(work: () => Promise<T> | T): Promise<StallMeasurement<T>> {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    // Let the ticker start before the work does.
    await new Promise((resolve) => setTimeout(resolve, 5));
    last = performance.now();
    const started = performance.now();
    let result: PromiseSettledResult<T>;
    try {
      result = { status: 'fulfilled', value: await work() };
    } catch (error) {
      result = { status: 'rejected', reason: error };
    }
    const end = performance.now();
    // Without a single turn of the event loop the timer never fires: the whole work is the stall.
    return { result, stallMs: Math.max(longest, end - last), totalMs: end - started };
  } finally {
    clearInterval(ticker);
  }
}
