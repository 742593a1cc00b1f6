import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startWorkerLoop } from '../../../src/runtime/worker-loop.js';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('background worker loop', () => {
  it('lets the iteration in flight finish before stop() resolves, and starts no new one', async () => {
    const events: string[] = [];
    let release!: () => void;
    const loop = startWorkerLoop('test', 10, async () => {
      events.push('start');
      await new Promise<void>((resolve) => (release = resolve));
      events.push('end');
    }, log);
    await sleep(20);
    const stopped = loop.stop().then(() => events.push('stopped'));
    await sleep(20);
    expect(events).toEqual(['start']);
    release();
    await stopped;
    await sleep(30);
    expect(events).toEqual(['start', 'end', 'stopped']);
  });

  it('never runs two iterations at once, runs again soon when woken, and survives a failing iteration', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const loop = startWorkerLoop('test', 60_000, async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      runs += 1;
      await sleep(5);
      running -= 1;
      if (runs === 1) throw new Error('boom');
    }, log);
    await sleep(20);
    loop.wake();
    loop.wake();
    await sleep(40);
    await loop.stop();
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(maxRunning).toBe(1);
  });
});
