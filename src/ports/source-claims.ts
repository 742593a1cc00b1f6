/**
 * Which sources this process syncs, when several `serve` processes share one database (issue 14).
 * Each source is synced by exactly one process at a time; the implementation decides which
 * (src/store/postgres-source-claims.ts: PostgreSQL session advisory locks). Without claims (SQLite,
 * one machine) the scheduler syncs every source.
 */
export interface ClaimHooks {
  /** The source is this process's now: run it. */
  acquired(sourceId: string): void;
  /** Give the source back: resolve once its run in flight ended and its watchers stopped. */
  release(sourceId: string): Promise<void>;
  /** The claims were lost at once (the connection holding them broke): stop these sources now. */
  lost(sourceIds: readonly string[]): void;
}

export interface SourceClaims {
  start(sourceIds: readonly string[], hooks: ClaimHooks): void;
  /** Releases every claim (the scheduler has stopped its runs first). */
  stop(): Promise<void>;
}
