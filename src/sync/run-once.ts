import type { Logger } from 'pino';
import { isBridgeError } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import type { SourceKind, SourceResult, SourceRunner, SyncSource } from './ports.js';

export interface PassSummary {
  results: SourceResult[];
  /** True when every source was reached (per-item errors do not count). */
  ok: boolean;
}

/**
 * One source, once. A source that fails (unreachable, wrong password, dropped connection) is
 * recorded in sync_errors and reported; it never throws, so the caller goes on with the next.
 */
export async function runSource(source: SyncSource, runners: ReadonlyMap<SourceKind, SourceRunner>, store: Store, log: Logger, signal: AbortSignal): Promise<SourceResult> {
  const runner = runners.get(source.kind);
  if (!runner) return { source: source.id, reached: true, changed: 0, itemErrors: 0, skipped: `no ${source.kind} sync is implemented yet` };
  try {
    const outcome = await runner.runOnce(source, signal);
    return { source: source.id, reached: true, ...outcome };
  } catch (error) {
    const code = isBridgeError(error) ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    await store.syncErrors.record(source.id, null, code, message);
    log.error({ source: source.id, code, err: error }, 'source failed');
    return { source: source.id, reached: false, changed: 0, itemErrors: 0, error: { code, message } };
  }
}

/** One pass over every source, one after the other. */
export async function runSyncPass(sources: readonly SyncSource[], runners: ReadonlyMap<SourceKind, SourceRunner>, store: Store, log: Logger, signal: AbortSignal): Promise<PassSummary> {
  const results: SourceResult[] = [];
  for (const source of sources) {
    if (signal.aborted) break;
    results.push(await runSource(source, runners, store, log, signal));
  }
  return { results, ok: results.every((result) => result.reached) };
}

export function formatSummary(summary: PassSummary): string[] {
  if (summary.results.length === 0) return ['no sources configured: nothing to sync (add users[].imap/caldav/carddav or sharedMailboxes[])'];
  const lines = summary.results.map((result) => {
    if (result.error) return `${result.source}: FAILED ${result.error.code}: ${result.error.message}`;
    if (result.skipped) return `${result.source}: skipped (${result.skipped})`;
    return `${result.source}: ok, ${result.changed} changed, ${result.itemErrors} item error(s)`;
  });
  const failed = summary.results.filter((result) => !result.reached).length;
  const itemErrors = summary.results.reduce((sum, result) => sum + result.itemErrors, 0);
  lines.push(`sync pass: ${summary.results.length} source(s), ${failed} failed, ${itemErrors} item error(s)`);
  return lines;
}
