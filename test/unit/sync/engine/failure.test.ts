import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BridgeError, errorCodes, type ErrorCode } from '../../../../src/domain/errors.js';
import { failureScope, PassFailures, type FailurePhase, type FailureScope } from '../../../../src/sync/engine/failure.js';

const silent = pino({ level: 'silent' });

describe('failure scope', () => {
  // The whole table: every code in both phases, so a new code has to be placed on purpose.
  const expected: Record<ErrorCode, Record<FailurePhase, FailureScope>> = {
    INVALID_INPUT: { item: 'item', collection: 'collection' },
    CONFIG: { item: 'source', collection: 'source' },
    UNAUTHORIZED: { item: 'item', collection: 'collection' },
    FORBIDDEN: { item: 'item', collection: 'collection' },
    AUTH: { item: 'source', collection: 'source' },
    NOT_FOUND: { item: 'item', collection: 'collection' },
    CONFLICT: { item: 'item', collection: 'collection' },
    PRECONDITION_FAILED: { item: 'item', collection: 'collection' },
    PAYLOAD_TOO_LARGE: { item: 'item', collection: 'collection' },
    TEMPORARY: { item: 'source', collection: 'collection' },
    UNSUPPORTED: { item: 'item', collection: 'collection' },
    INTERNAL: { item: 'item', collection: 'collection' },
  };
  it.each(errorCodes)('%s, answered by the server', (code) => {
    for (const phase of ['item', 'collection'] as const) expect(failureScope(new BridgeError(code, 'x'), phase), phase).toBe(expected[code][phase]);
  });

  it('a lost connection ends the pass in every phase', () => {
    const lost = new BridgeError('TEMPORARY', 'could not reach the server (ECONNRESET)', { connectionLost: true });
    expect(failureScope(lost, 'item')).toBe('source');
    expect(failureScope(lost, 'collection')).toBe('source');
  });

  it('no answer ends the pass whatever the code (a response over the cap tears the connection down)', () => {
    expect(failureScope(new BridgeError('PAYLOAD_TOO_LARGE', 'LiteralTooLarge', { connectionLost: true }), 'item')).toBe('source');
  });

  it('an error that ended the pass on an item keeps that scope in the guard of its collection', () => {
    const databaseBusy = new BridgeError('TEMPORARY', 'database is locked');
    expect(failureScope(databaseBusy, 'item')).toBe('source');
    expect(failureScope(databaseBusy, 'collection')).toBe('source');
    // The same code answered by the server for a collection, judged there first, stays with it.
    expect(failureScope(new BridgeError('TEMPORARY', 'HTTP 500'), 'collection')).toBe('collection');
  });

  it('an error that is no BridgeError (a bug) stays where it happened', () => {
    expect(failureScope(new TypeError('x is undefined'), 'item')).toBe('item');
    expect(failureScope('thrown string', 'collection')).toBe('collection');
  });
});

describe('pass failures', () => {
  function failures() {
    const rows: Array<{ source: string; ref: string | null; code: ErrorCode; message: string }> = [];
    const errors = { record: (source: string, ref: string | null, code: ErrorCode, message: string) => Promise.resolve(void rows.push({ source, ref, code, message })) };
    return { rows, failures: new PassFailures(errors, 'caldav:alice', silent) };
  }

  it('records item and collection failures with their code and counts them', async () => {
    const { rows, failures: pass } = failures();
    await pass.handle(new BridgeError('INVALID_INPUT', 'broken VEVENT'), 'item', 'http://dav/a.ics');
    await pass.handle(new BridgeError('TEMPORARY', 'HTTP 500'), 'collection', 'http://dav/cal/');
    await pass.handle(new RangeError('bad date'), 'item', 'http://dav/b.ics');
    expect(pass.count).toBe(3);
    expect(rows).toEqual([
      { source: 'caldav:alice', ref: 'http://dav/a.ics', code: 'INVALID_INPUT', message: 'broken VEVENT' },
      { source: 'caldav:alice', ref: 'http://dav/cal/', code: 'TEMPORARY', message: 'HTTP 500' },
      { source: 'caldav:alice', ref: 'http://dav/b.ics', code: 'INTERNAL', message: 'bad date' },
    ]);
  });

  it('throws a source failure on without recording it (the runner records it once)', async () => {
    const { rows, failures: pass } = failures();
    const lost = new BridgeError('TEMPORARY', 'the connection to the server was lost', { connectionLost: true });
    await expect(pass.guard('collection', 'INBOX', () => Promise.reject(lost))).rejects.toBe(lost);
    await expect(pass.guard('item', 'x', () => Promise.reject(new BridgeError('AUTH', 'rejected')))).rejects.toThrow('rejected');
    expect(rows).toEqual([]);
    expect(pass.count).toBe(0);
  });

  it('guard returns the work result, or undefined after recording a failure', async () => {
    const { rows, failures: pass } = failures();
    expect(await pass.guard('item', 'a', () => Promise.resolve(42))).toBe(42);
    expect(await pass.guard('item', 'b', () => Promise.reject(new BridgeError('NOT_FOUND', 'gone')))).toBeUndefined();
    expect(rows.map((row) => row.ref)).toEqual(['b']);
  });
});
