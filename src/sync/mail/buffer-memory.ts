import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps the memory of message buffers that are no longer used from piling up during an import.
 *
 * An import allocates every fetched message as a Buffer (plus mailparser's decoded parts), and most
 * of them live through a few minor GCs (a batch is fetched, then parsed and stored), so they end up
 * in V8's old generation. Their bytes are outside the JS heap and are only released by a full GC,
 * which V8 schedules by its own heuristic: about 64 MB of external memory growth. Measured on the
 * 10,000-message bench (compiled CLI, young generation limited as in young-generation.ts): peak RSS
 * 222-229 MiB without this, 169-187 MiB with a full GC whenever more than `limitBytes` of buffers
 * exist (checked once per fetched batch). The price is about 2-3 CPU seconds per 10,000 messages
 * (a 48 MiB limit costs less but peaked at 203-206 MiB). The collector is the one `--expose-gc`
 * gives, obtained at run time because the CLI is started as plain `node dist/src/cli.js`.
 */
let collect: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (collect === undefined) {
    try {
      const exposed = (globalThis as { gc?: () => void }).gc;
      if (typeof exposed === 'function') {
        collect = exposed;
      } else {
        // The flag only affects contexts created after it is set; the new context's `gc` is the
        // isolate's collector.
        setFlagsFromString('--expose-gc');
        const found: unknown = runInNewContext('typeof gc === "function" ? gc : null');
        collect = typeof found === 'function' ? (found as () => void) : null;
      }
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** A full GC if buffers hold more than `limitBytes` (most of them dead after a batch); else nothing. */
export function releaseBufferMemory(limitBytes = 32 * 1024 * 1024): void {
  if (process.memoryUsage().arrayBuffers <= limitBytes) return;
  collector()?.();
}
