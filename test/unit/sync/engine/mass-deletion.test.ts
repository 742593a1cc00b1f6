import { describe, expect, it } from 'vitest';
import { holdMassDeletion, looksEmptied, MASS_DELETION_MINIMUM } from '../../../../src/sync/engine/mass-deletion.js';

describe('holdMassDeletion', () => {
  it('holds when every known item of a collection vanishes at once', () => {
    expect(holdMassDeletion(3, 3)).toBe(true);
    expect(holdMassDeletion(40, 40)).toBe(true);
    expect(holdMassDeletion(3, 2)).toBe(false);
    expect(holdMassDeletion(2, 2)).toBe(false);
  });
});

describe('looksEmptied', () => {
  it('holds only when the side shows nothing and at least the minimum of synced items would go', () => {
    expect(MASS_DELETION_MINIMUM).toBe(3);
    expect(looksEmptied(0, 3)).toBe(true);
    expect(looksEmptied(0, 2)).toBe(false);
    expect(looksEmptied(1, 30)).toBe(false);
  });
});
