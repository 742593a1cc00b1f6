import { describe, expect, it } from 'vitest';
import { planClaims } from '../../../src/domain/claim-plan.js';

const sources = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

describe('planClaims', () => {
  it('alone, a process takes every source, starting at its offset', () => {
    expect(planClaims({ sources, held: new Set(), live: 1, offset: 3 })).toEqual({ share: 7, release: [], candidates: ['d', 'e', 'f', 'g', 'a', 'b', 'c'] });
  });

  it('gives back what it holds above ceil(sources / live) when others join, keeping the first of its own order', () => {
    const plan = planClaims({ sources, held: new Set(sources), live: 3, offset: 2 });
    expect(plan.share).toBe(3);
    expect(plan.release).toEqual(['f', 'g', 'a', 'b']);
    expect(plan.candidates).toEqual([]);
  });

  it('at its share it neither takes nor gives; below it, it tries the sources it does not hold', () => {
    expect(planClaims({ sources, held: new Set(['a', 'b', 'c']), live: 3, offset: 0 })).toEqual({ share: 3, release: [], candidates: [] });
    expect(planClaims({ sources, held: new Set(['a']), live: 3, offset: 5 }).candidates).toEqual(['f', 'g', 'b', 'c', 'd', 'e']);
  });

  it('the shares of the live processes cover every source', () => {
    for (let count = 0; count <= 20; count += 1) {
      for (let live = 1; live <= 6; live += 1) {
        const { share } = planClaims({ sources: Array.from({ length: count }, (_, i) => `s${i}`), held: new Set(), live, offset: 0 });
        expect(share * live).toBeGreaterThanOrEqual(count);
        // No process takes more than needed: one share less would leave a source unsynced.
        if (count > 0) expect((share - 1) * live).toBeLessThan(count);
      }
    }
  });

  it('at the full share, the first by rank gives one back for a peer below the even split', () => {
    const held = new Set(['a', 'b', 'c']);
    const peers = [{ rank: 20, held: 3 }, { rank: 30, held: 1 }];
    expect(planClaims({ sources, held, live: 3, offset: 0, peers, rank: 10 }).release).toEqual(['c']);
    expect(planClaims({ sources, held, live: 3, offset: 0, peers: [{ rank: 5, held: 3 }, { rank: 30, held: 1 }], rank: 10 }).release).toEqual([]);
    // Every peer at the even split or above: 3, 2, 2 stands.
    expect(planClaims({ sources, held, live: 3, offset: 0, peers: [{ rank: 20, held: 2 }, { rank: 30, held: 2 }], rank: 10 }).release).toEqual([]);
  });

  it('no sources: nothing to do; an offset beyond the list wraps', () => {
    expect(planClaims({ sources: [], held: new Set(), live: 2, offset: 9 })).toEqual({ share: 0, release: [], candidates: [] });
    expect(planClaims({ sources: ['a', 'b'], held: new Set(), live: 1, offset: 5 }).candidates).toEqual(['b', 'a']);
  });
});
