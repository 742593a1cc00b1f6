import type { ErrorCode } from '../domain/errors.js';
import type { SourceResult } from '../ports/source.js';

export type SourceStateName = 'idle' | 'syncing' | 'error' | 'auth-failed';

export interface SourceState {
  state: SourceStateName;
  /** When the run in flight started. */
  startedAt: string | null;
  /** When the last run ended, and what it did. */
  finishedAt: string | null;
  lastReachedAt: string | null;
  changed: number;
  itemErrors: number;
  error: { code: ErrorCode; message: string } | null;
  /** Items done / known total of the run in flight, when the runner reports them (first imports). */
  progress: { done: number; total: number | null } | null;
  runs: number;
}

/**
 * What the scheduler knows about each source right now, for the admin UI's status page. Read-only
 * for everyone but the scheduler (and runners that report progress); kept in memory: after a
 * restart the page falls back to what the store holds (sync_errors, cursors).
 */
export class SourceStates {
  private readonly states = new Map<string, SourceState>();

  get(sourceId: string): SourceState | undefined {
    return this.states.get(sourceId);
  }

  started(sourceId: string, now = new Date()): void {
    const current = this.current(sourceId);
    this.states.set(sourceId, { ...current, state: 'syncing', startedAt: now.toISOString(), progress: null });
  }

  progress(sourceId: string, done: number, total: number | null): void {
    const current = this.current(sourceId);
    this.states.set(sourceId, { ...current, progress: { done, total } });
  }

  finished(result: SourceResult, now = new Date()): void {
    const current = this.current(result.source);
    const at = now.toISOString();
    this.states.set(result.source, {
      ...current,
      state: result.reached ? 'idle' : result.error?.code === 'AUTH' ? 'auth-failed' : 'error',
      startedAt: null,
      finishedAt: at,
      lastReachedAt: result.reached ? at : current.lastReachedAt,
      changed: result.changed,
      itemErrors: result.itemErrors,
      error: result.error ?? null,
      progress: null,
      runs: current.runs + 1,
    });
  }

  private current(sourceId: string): SourceState {
    return this.states.get(sourceId) ?? { state: 'idle', startedAt: null, finishedAt: null, lastReachedAt: null, changed: 0, itemErrors: 0, error: null, progress: null, runs: 0 };
  }
}
