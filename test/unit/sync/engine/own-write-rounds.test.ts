import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../../src/domain/errors.js';
import type { DavChanges } from '../../../../src/ports/dav.js';
import { OwnWrites, tokensAfterOwnWrites, withVanishedPuts, type OwnWriteRoundsIo } from '../../../../src/sync/engine/own-write-rounds.js';
import type { RecordedRemote } from '../../../../src/sync/engine/own-writes.js';

const BOOK = 'https://dav.test/alice/book/';
const CAL = 'https://dav.test/alice/cal/';
const A = `${BOOK}a.vcf`;
const B = `${BOOK}b.vcf`;
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
  it('keeps the later token without a second round when the later read holds only our own writes', async () => {
    const writes = new OwnWrites();
    writes.put(A);
    const { script, reads, rounds } = io([{ ref: A, version: '"1"' }], [changes({ changed: [{ href: A, etag: '"1"', data: '' }] })]);
    const tokens = await tokensAfterOwnWrites(new Map([[BOOK, 't1'], [CAL, 'c1']]), writes, script);
    expect(tokens).toEqual(new Map([[BOOK, 't2'], [CAL, 'c1']]));
    expect(reads).toEqual([[BOOK, 't1']]); // the calendar was not written to: not read again
    expect(rounds).toHaveLength(0);
  });

  it('syncs a client edit made during the pass in a second round from the same read, then keeps the token past that round when it wrote nothing', async () => {
    const writes = new OwnWrites();
    writes.put(A);
    const edit = changes({ changed: [{ href: A, etag: '"1"', data: '' }, { href: B, etag: '"9"', data: 'client edit' }] });
    const { script, rounds } = io([{ ref: A, version: '"1"' }], [edit]);
    const tokens = await tokensAfterOwnWrites(new Map([[BOOK, 't1']]), writes, script);
    expect(rounds).toEqual([new Map([[BOOK, edit]])]);
    expect(tokens.get(BOOK)).toBe('t2');
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
      expect((await tokensAfterOwnWrites(new Map([[BOOK, 't1']]), writes, script)).get(BOOK)).toBe(expected);
    }
  });

  it('hands a PUT the server forgot (created, then deleted by the client) to the second round as deleted', async () => {
    const writes = new OwnWrites();
    writes.put(A);
    writes.put(B);
    const { script, rounds } = io([{ ref: A, version: '"1"' }, { ref: B, version: '"1"' }], [changes({ changed: [{ href: A, etag: '"1"', data: '' }] })]);
    await tokensAfterOwnWrites(new Map([[BOOK, 't1']]), writes, script);
    expect(rounds[0]?.get(BOOK)?.deleted).toEqual([B]);
  });

  it('keeps the earlier token when the later read is unusable, the second round held the collection, or the pass was aborted', async () => {
    const unusable = [changes({ fullResync: true }), changes({ syncToken: null }), changes({ failed: [{ href: B, error: new BridgeError('PAYLOAD_TOO_LARGE', 'x') }] }), null];
    for (const answer of unusable) {
      const writes = new OwnWrites();
      writes.put(A);
      const { script, rounds } = io([], [answer]);
      expect((await tokensAfterOwnWrites(new Map([[BOOK, 't1']]), writes, script)).get(BOOK)).toBe('t1');
      expect(rounds).toHaveLength(0);
    }
    for (const outcome of [new Set<string>(), null]) {
      const writes = new OwnWrites();
      writes.put(A);
      const { script } = io([], [changes({ deleted: [B] })], () => outcome);
      expect((await tokensAfterOwnWrites(new Map([[BOOK, 't1']]), writes, script)).get(BOOK)).toBe('t1');
    }
  });

  it('reads nothing again when the round wrote nothing or had no token', async () => {
    const writes = new OwnWrites();
    const { script, reads } = io([], []);
    expect(await tokensAfterOwnWrites(new Map([[BOOK, 't1']]), writes, script)).toEqual(new Map([[BOOK, 't1']]));
    writes.put(A);
    expect(await tokensAfterOwnWrites(new Map([[BOOK, null]]), writes, script)).toEqual(new Map([[BOOK, null]]));
    expect(reads).toHaveLength(0);
  });
});
