import { describe, expect, it } from 'vitest';
import { collectionOf, sameHref, within } from '../../../../src/sync/engine/href.js';

describe('sameHref', () => {
  it('ignores trailing slashes and percent-encoding, and compares a path with an absolute href', () => {
    expect(sameHref('https://dav.test/alice/crm/', 'https://dav.test/alice/crm')).toBe(true);
    expect(sameHref('https://dav.test/alice/my%20calendar/', 'https://dav.test/alice/my calendar/')).toBe(true);
    expect(sameHref('https://dav.test/alice/crm/', '/alice/crm/')).toBe(true);
    expect(sameHref('https://dav.test/alice/crm/a.vcf', 'https://dav.test/alice/crm/b.vcf')).toBe(false);
    expect(sameHref('https://dav.test/alice/100%/', 'https://dav.test/alice/100%/')).toBe(true);
  });

  it('names the collection of an object', () => {
    expect(collectionOf('https://dav.test/alice/crm/a.ics')).toBe('https://dav.test/alice/crm/');
  });

  it('tells whether a resource lies in a collection, however either is spelled, and not in a sibling with a longer name', () => {
    expect(within('https://dav.test/alice/my%20calendar/a.ics', 'https://dav.test/alice/my calendar/')).toBe(true);
    expect(within('/alice/crm/a.ics', 'https://dav.test/alice/crm')).toBe(true);
    expect(within('https://dav.test/alice/crm-old/a.ics', 'https://dav.test/alice/crm/')).toBe(false);
    expect(within('https://dav.test/alice/crm/', 'https://dav.test/alice/crm/')).toBe(false);
  });
});
