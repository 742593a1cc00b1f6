import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../../src/domain/errors.js';
import type { DavChanges } from '../../../../src/ports/dav.js';
import { isOwnWrite, onlyOwnWrites } from '../../../../src/sync/engine/own-writes.js';

const A = 'https://dav.test/alice/crm/a.vcf';
const changes = (over: Partial<DavChanges>): DavChanges => ({ changed: [], deleted: [], failed: [], syncToken: '7', fullResync: false, ...over });
const recorded = [{ ref: A, version: '"2"' }];

describe('isOwnWrite', () => {
  it('is the recorded href (however spelled) with the recorded ETag', () => {
    expect(isOwnWrite({ href: A, etag: '"2"' }, { ref: 'https://dav.test/alice/crm/a.vcf', version: '"2"' })).toBe(true);
    expect(isOwnWrite({ href: 'https://dav.test/alice/crm/%61.vcf', etag: '"2"' }, { ref: A, version: '"2"' })).toBe(true);
    expect(isOwnWrite({ href: A, etag: '"3"' }, { ref: A, version: '"2"' })).toBe(false);
    expect(isOwnWrite({ href: A, etag: '"2"' }, { ref: null, version: '"2"' })).toBe(false);
  });
});

describe('onlyOwnWrites', () => {
  it('accepts our PUTs with their recorded ETags and our DELETEs', () => {
    expect(onlyOwnWrites(changes({ changed: [{ href: A, etag: '"2"', data: '' }], deleted: ['https://dav.test/alice/crm/b.vcf'] }), recorded, new Set(['/alice/crm/b.vcf']))).toBe(true);
  });

  it('refuses anything else: a client edit, a deletion not ours, a failure, a refused or missing token', () => {
    expect(onlyOwnWrites(changes({ changed: [{ href: A, etag: '"3"', data: '' }] }), recorded, new Set())).toBe(false);
    expect(onlyOwnWrites(changes({ deleted: ['https://dav.test/alice/crm/b.vcf'] }), recorded, new Set())).toBe(false);
    expect(onlyOwnWrites(changes({ failed: [{ href: A, error: new BridgeError('PAYLOAD_TOO_LARGE', 'x') }] }), recorded, new Set())).toBe(false);
    expect(onlyOwnWrites(changes({ fullResync: true }), recorded, new Set())).toBe(false);
    expect(onlyOwnWrites(changes({ syncToken: null }), recorded, new Set())).toBe(false);
  });
});
