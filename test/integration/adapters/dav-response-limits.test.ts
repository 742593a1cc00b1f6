// DAV responses a real server cannot be made to send (issue 12, defects 6 and 8), from the
// hostile server of test/servers/hostile-dav.ts, through the real contact runner: a multiget
// answer larger than sync.maxDavResponseBytes, a card larger than it on its own, an
// out-of-range character reference in one card's address-data, an oversized listing.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../../src/config/schema.js';
import { isBridgeError } from '../../../src/domain/errors.js';
import { startHostileDav, type HostileDav } from '../../servers/hostile-dav.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { syncContacts, vcard } from '../contacts/support.js';

const LIMIT = 1024 * 1024;
let t: TestStore;
let dav: HostileDav;

function config(): Config {
  return configSchema.parse({
    sync: { maxDavResponseBytes: LIMIT },
    users: [{ id: 'alice', name: 'Alice Example', email: 'alice@example.com', carddav: { url: dav.principalUrl, username: 'alice', password: 'secret' }, contacts: { addressBook: 'Hostile' } }],
  });
}

const errors = async () => (await t.store.syncErrors.recent(50, 'carddav:alice')).map((e) => ({ item: e.itemRef, code: e.code, message: e.message }));
const names = async () => (await t.store.contacts.list({}, { limit: 100 })).items.map((c) => c.displayName).sort();

beforeEach(async () => {
  t = await createTestStore();
  dav = await startHostileDav({ kind: 'addressbook' });
});
afterEach(async () => {
  await dav.close();
  await t.close();
});

describe('DAV responses over sync.maxDavResponseBytes', () => {
  it('asks again for fewer cards, reports the one too large alone with its href, syncs the rest, and stops reading at the limit', async () => {
    // 8 cards of ~300 KB: one multiget of all of them is ~2.4 MB, over the 1 MiB limit.
    for (let i = 0; i < 8; i++) dav.items.set(`card-${i}.vcf`, { data: vcard(`uid-${i}`, `Person ${i}`, [`NOTE:${'n'.repeat(300_000)}`]) });
    dav.items.set('huge.vcf', { hugeBytes: 20 * 1024 * 1024 });

    const result = await syncContacts(t.store, config());

    expect(await names()).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `Person ${i}`));
    const huge = `${dav.collectionUrl}huge.vcf`;
    expect(await errors()).toEqual([{ item: huge, code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/huge\.vcf.*larger than 1048576 bytes \(sync\.maxDavResponseBytes\)/) }]);
    expect(result.itemErrors).toBe(1);
    // Every answer with the 20 MiB card was cut off by the client after about the limit (socket
    // buffers let the server write a few MiB more before it notices): never read whole.
    const withHuge = dav.requests.filter((r) => r.names.includes('huge.vcf'));
    expect(withHuge.length).toBeGreaterThan(1);
    for (const r of withHuge) expect(r.bytesWritten).toBeLessThan(8 * LIMIT);
  });

  it('fails the source with a clear error when the listing itself is over the limit', async () => {
    await dav.close();
    dav = await startHostileDav({ kind: 'addressbook', syncListingPaddingBytes: 3 * LIMIT });
    dav.items.set('a.vcf', { data: vcard('uid-a', 'Anna A') });
    const error = await syncContacts(t.store, config()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBridgeError(error) && error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((error as Error).message).toMatch(/REPORT .*\/home\/book\/.* larger than 1048576 bytes \(sync\.maxDavResponseBytes\)/);
  });
});

describe('bad character references in a multistatus (XML 1.0 §4.1)', () => {
  it('fails only the card whose response holds &#x110000;, with its href; the others sync', async () => {
    dav.items.set('a.vcf', { data: vcard('uid-a', 'Anna A') });
    dav.items.set('bad.vcf', { rawXml: 'BEGIN:VCARD&#13;\nVERSION:3.0&#13;\nUID:uid-bad&#13;\nFN:Bad &#x110000; Name&#13;\nEND:VCARD&#13;\n' });
    dav.items.set('b.vcf', { data: vcard('uid-b', 'Bert B') });

    const result = await syncContacts(t.store, config());

    expect(await names()).toEqual(['Anna A', 'Bert B']);
    expect(result.itemErrors).toBe(1);
    expect(await errors()).toEqual([{ item: `${dav.collectionUrl}bad.vcf`, code: 'INVALID_INPUT', message: expect.stringContaining('&#x110000;') }]);
  });
});
