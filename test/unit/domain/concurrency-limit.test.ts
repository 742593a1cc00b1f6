import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../../../src/domain/concurrency-limit.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ConcurrencyLimit', () => {
  it('runs at most `limit` tasks at once, the others in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((n) =>
        limit.run(async () => {
          started.push(n);
          running += 1;
          most = Math.max(most, running);
          await sleep(10);
          running -= 1;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(limit.running).toBe(0);
  });

  it('frees the slot of a task that throws', async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit.run(async () => 'next')).toBe('next');
  });

  it('lets a newcomer wait behind the queue instead of taking a freed slot first', async () => {
    const limit = new ConcurrencyLimit(1);
    const order: string[] = [];
    const first = limit.run(async () => {
      await sleep(5);
      order.push('first');
    });
    const queued = limit.run(async () => {
      order.push('queued');
    });
    await first;
    await limit.run(async () => {
      order.push('late');
    });
    await queued;
    expect(order).toEqual(['first', 'queued', 'late']);
  });

  it('rejects a limit below one', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
  });
});
