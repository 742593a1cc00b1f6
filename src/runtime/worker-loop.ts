import type { Logger } from 'pino';

export interface WorkerLoop {
  /** Run the next iteration now instead of waiting for the interval. */
  wake(): void;
  /** Stop scheduling; resolves when the iteration in flight (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * A background loop that runs `work` every `intervalMs` (or sooner when woken), never two
 * iterations at once. A failing iteration is logged and the loop goes on.
 */
export function startWorkerLoop(name: string, intervalMs: number, work: () => Promise<void>, log: Logger): WorkerLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let wakeRequested = false;

  const schedule = (delay: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, delay);
    timer.unref();
  };

  const tick = () => {
    if (stopped) return;
    if (running) {
      wakeRequested = true;
      return;
    }
    wakeRequested = false;
    running = work()
      .catch((error: unknown) => log.error({ err: error, worker: name }, 'background worker iteration failed'))
      .finally(() => {
        running = undefined;
        schedule(wakeRequested ? 0 : intervalMs);
      });
  };

  schedule(0);
  return {
    wake: () => schedule(0),
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

export interface DutyLoop {
  /** Start the loop (no-op while it runs). */
  start(): Promise<void>;
  wake(): void;
  /** Stop it; resolves when its iteration in flight finished. It may be started again. */
  stop(): Promise<void>;
}

/**
 * A worker loop this process runs only while it holds the duty (serve.ts: webhook delivery and the
 * outbox go to one of several processes on one PostgreSQL); `begin` sets it up and starts it.
 */
export function dutyLoop(begin: () => WorkerLoop | Promise<WorkerLoop>): DutyLoop {
  let current: Promise<WorkerLoop> | undefined;
  return {
    start: async () => {
      current ??= Promise.resolve(begin());
      await current;
    },
    wake: () => void current?.then((loop) => loop.wake()),
    stop: async () => {
      const loop = current;
      current = undefined;
      await (await loop)?.stop();
    },
  };
}
