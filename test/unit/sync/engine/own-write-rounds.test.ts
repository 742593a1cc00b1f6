import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../../src/domain/errors.js';
import type { DavChanges } from '../../../../src/ports/dav.js';
import { OwnWrites, tokensAfterOwnWrites, withUnconfirmedGone, withVanishedPuts, type OwnWriteRoundsIo } from '../../../../src/sync/engine/own-write-rounds.js';
import type { RecordedRemote } from '../../../../src/sync/engine/own-writes.js';

const BOOK = 'https://dav.test/alice/book/';
const CAL = 'https://dav.test/alice/cal/';
const A = `${BOOK}a.vcf`;
const B = `${BOOK}b.vcf`;
/** A token as the round read it. */
const read = (syncToken: string | null) => ({ syncToken, readAt: '2000-01-01T00:00:00.000Z' });
const changes = (over: Partial<DavChanges>): DavChanges => ({ changed: [], deleted: [], failed: [], syncToken: 't2', fullResync: false, ...over });

/** A scripted server and pass: reads answer from `answers` in order, rounds run `onRound`. */
function io(recorded: RecordedRemote[], answers: Array<DavChanges | null>, onRound: (changes: ReadonlyMap<string, DavChanges>) => ReadonlySet<string> | null = (c) => new Set(c.keys())) {
  const reads: Array<[string, string]> = [];
  const rounds: Array<ReadonlyMap<string, DavChanges>> = [];
  const script: OwnWriteRoundsIo = {
    read: async (href, token) => {
      reads.push([href, token]);
      return answers.shift() ?? null;
    },
    recorded: () => recorded,
    round: async (again) => {
      rounds.push(again);
      return onRound(again);
    },
  };
  return { script, reads, rounds };
}

describe('withVanishedPuts', () => {
  it('counts a resource we PUT that the later read reports neither changed nor deleted as deleted, and not the ones we deleted', () => {
    const after = withVanishedPuts(changes({ changed: [{ href: A, etag: '"1"', data: '' }] }), [A, B, `${BOOK}c.vcf`], new Set(['/alice/book/c.vcf']));
    expect(after.deleted).toEqual([B]);
  });
});

describe('tokensAfterOwnWrites', () => {
  it('confirms later than anything settled before it returned, so a quiet next pass looks nothing up', async () => {
    for (let i = 0; i < 5; i++) {
      const settled = new Date().toISOString();
      const tokens = await tokensAfterOwnWrites(new Map([[BOOK, read('t1')]]), new OwnWrites(), io([], []).script);
      expect(tokens.get(BOOK)!.confirmedUntil > settled).toBe(true);
    }
  });

  it('keeps the later token without a second round when the later read holds only our own writes', async () => {
    const writes = new OwnWrites();
    writes.put(A);
    const { script, reads, rounds } = io([{ ref: A, version: '"1"' }], [changes({ changed: [{ href: A, etag: '"1"', data: '' }] })]);
    const tokens = await tokensAfterOwnWrites(new Map([[BOOK, read('t1')], [CAL, read('c1')]]), writes, script);
    expect(tokens.get(BOOK)?.syncToken).toBe('t2');
    // The later token was read after every write of the pass: nothing is looked up next time for it.
    expect(tokens.get(BOOK)!.confirmedUntil > read('t1').readAt).toBe(true);
    expect(tokens.get(CAL)?.syncToken).toBe('c1');
    expect(reads).toEqual([[BOOK, 't1']]); // the calendar was not written to: not read again
    expect(rounds).toHaveLength(0);
  });

  it('syncs a client edit made during the pass in a second round from the same read, then keeps the token past that round when it wrote nothing', async () => {
    const writes = new OwnWrites();
    writes.put(A);
    const edit = changes({ changed: [{ href: A, etag: '"1"', data: '' }, { href: B, etag: '"9"', data: 'client edit' }] });
    const { script, rounds } = io([{ ref: A, version: '"1"' }], [edit]);
    const tokens = await tokensAfterOwnWrites(new Map([[BOOK, read('t1')]]), writes, script);
    expect(rounds).toEqual([new Map([[BOOK, edit]])]);
    expect(tokens.get(BOOK)?.syncToken).toBe('t2');
  });

  it('checks what the second round wrote: only our writes -> the token after them; news again -> the second round’s token stays', async () => {
    for (const [third, expected] of [[changes({ syncToken: 't3', changed: [{ href: B, etag: '"10"', data: '' }] }), 't3'], [changes({ syncToken: 't3', changed: [{ href: B, etag: '"11"', data: '' }] }), 't2']] as const) {
      const writes = new OwnWrites();
      writes.put(A);
      const recorded = [{ ref: A, version: '"1"' }, { ref: B, version: '"10"' }];
      const { script } = io(recorded, [changes({ changed: [{ href: B, etag: '"9"', data: '' }] }), third], (again) => {
        writes.put(B); // the second round merged the client edit and wrote it back
        return new Set(again.keys());
      });
      const started = new Date().toISOString();
      const stored = (await tokensAfterOwnWrites(new Map([[BOOK, read('t1')]]), writes, script)).get(BOOK)!;
      expect(stored.syncToken).toBe(expected);
      // Unconfirmed: what the second round settled after its token was read is looked up next time.
      if (expected === 't2') expect(stored.confirmedUntil >= started && stored.confirmedUntil <= new Date().toISOString()).toBe(true);
    }
  });

  it('hands a PUT the server forgot (created, then deleted by the client) to the second round as deleted', async () => {
    const writes = new OwnWrites();
    writes.put(A);
    writes.put(B);
    const { script, rounds } = io([{ ref: A, version: '"1"' }, { ref: B, version: '"1"' }], [changes({ changed: [{ href: A, etag: '"1"', data: '' }] })]);
    await tokensAfterOwnWrites(new Map([[BOOK, read('t1')]]), writes, script);
    expect(rounds[0]?.get(BOOK)?.deleted).toEqual([B]);
  });

  it('keeps the earlier token when the later read is unusable, the second round held the collection, or the pass was aborted', async () => {
    const unusable = [changes({ fullResync: true }), changes({ syncToken: null }), changes({ failed: [{ href: B, error: new BridgeError('PAYLOAD_TOO_LARGE', 'x') }] }), null];
    for (const answer of unusable) {
      const writes = new OwnWrites();
      writes.put(A);
      const { script, rounds } = io([], [answer]);
      // Our writes stay unconfirmed: the next pass looks up what was settled after the token was read.
      expect((await tokensAfterOwnWrites(new Map([[BOOK, read('t1')]]), writes, script)).get(BOOK)).toEqual({ syncToken: 't1', confirmedUntil: read('t1').readAt });
      expect(rounds).toHaveLength(0);
    }
    for (const outcome of [new Set<string>(), null]) {
      const writes = new OwnWrites();
      writes.put(A);
      const { script } = io([], [changes({ deleted: [B] })], () => outcome);
      expect((await tokensAfterOwnWrites(new Map([[BOOK, read('t1')]]), writes, script)).get(BOOK)).toEqual({ syncToken: 't1', confirmedUntil: read('t1').readAt });
    }
  });

  it('reads nothing again when the round wrote nothing or had no token', async () => {
    const writes = new OwnWrites();
    const { script, reads } = io([], []);
    const quiet = (await tokensAfterOwnWrites(new Map([[BOOK, read('t1')]]), writes, script)).get(BOOK)!;
    // Everything settled was read with the token: confirmed until now.
    expect(quiet.syncToken).toBe('t1');
    expect(quiet.confirmedUntil > read('t1').readAt).toBe(true);
    writes.put(A);
    expect((await tokensAfterOwnWrites(new Map([[BOOK, read(null)]]), writes, script)).get(BOOK)?.syncToken).toBeNull();
    expect(reads).toHaveLength(0);
  });
});

describe('withUnconfirmedGone', () => {
  const row = (ref: string, updatedAt: string, over: Partial<{ tombstone: boolean; pending: string | null }> = {}) => ({ tombstone: false, pending: null, remote: { ref }, updatedAt, ...over });

  it('looks up only the items of this collection settled after the token was confirmed and not reported, and counts the missing ones as deleted', async () => {
    const asked: string[][] = [];
    const statuses = [
      row(A, '2026-12-03T10:00:00.000Z'), // settled later, not reported, gone
      row(B, '2026-12-03T10:00:00.000Z'), // settled later, not reported, still there
      row(`${BOOK}c.vcf`, '2026-12-03T08:00:00.000Z'), // confirmed by the token
      row(`${BOOK}d.vcf`, '2026-12-03T10:00:00.000Z'), // reported
      row(`${BOOK}e.vcf`, '2026-12-03T10:00:00.000Z', { tombstone: true }),
      row(`${BOOK}f.vcf`, '2026-12-03T10:00:00.000Z', { pending: 'create' }),
      row(`${CAL}x.ics`, '2026-12-03T10:00:00.000Z'), // another collection
    ];
    const after = await withUnconfirmedGone(changes({ changed: [{ href: `${BOOK}d.vcf`, etag: '"1"', data: '' }] }), BOOK, '2026-12-03T09:00:00.000Z', statuses, async (hrefs) => {
      asked.push(hrefs);
      return [{ href: B, etag: '"1"', data: '' }];
    });
    expect(asked).toEqual([[A, B]]);
    expect(after.deleted).toEqual([A]);
  });

  it('looks up an item settled in the same millisecond as the token was confirmed (timestamps tie; a fast next pass)', async () => {
    const asked: string[][] = [];
    const after = await withUnconfirmedGone(changes({}), BOOK, '2026-12-03T09:00:00.000Z', [row(A, '2026-12-03T09:00:00.000Z')], async (hrefs) => {
      asked.push(hrefs);
      return [];
    });
    expect(asked).toEqual([[A]]);
    expect(after.deleted).toEqual([A]);
  });

  it('asks nothing when every settled item is confirmed', async () => {
    const fetch = async () => {
      throw new Error('no lookup expected');
    };
    const same = changes({});
    expect(await withUnconfirmedGone(same, BOOK, '2026-12-03T11:00:00.000Z', [row(A, '2026-12-03T10:00:00.000Z')], fetch)).toBe(same);
  });
});
