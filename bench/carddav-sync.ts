/**
 * Contact sync against a real Radicale, with vdirsyncer (Debian package) as the peer in the same run
 * (issue 6):
 *
 *   - the user's address book holds `contacts` vCards 3.0 (with groups, addresses, notes), written
 *     into Radicale's storage before anything is timed, and Radicale's caches warmed (reported);
 *   - the bridge's first sync (address book -> CRM contacts), a no-change sync and a sync after one
 *     card changed on the server: wall time and the HTTP requests each made (a no-change pass must be
 *     one request where the server has sync-collection);
 *   - `vdirsyncer sync` of the same address book into an empty local folder, and again with nothing
 *     changed;
 *   - the other direction: `push` CRM contacts delivered into a new address book.
 *
 *   npm run bench -- carddav-sync [--records 10000]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../src/config/schema.js';
import { applyConfig } from '../src/store/apply-config.js';
import { createRunners } from '../src/runtime/runners.js';
import { runSource } from '../src/sync/run-once.js';
import { sourcesOf } from '../src/sync/sources.js';
import { startRadicale } from '../test/servers/index.js';
import { bridgePasses, openBenchBridge, countRequests, measureVdirsyncer, seconds, timed } from './dav-bench-support.js';
import type { BenchRow } from './store-and-api.js';


function cardText(index: number, title = `Buyer ${index % 17}`): string {
  return [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `UID:bench-contact-${index}@example.com`,
    `FN:Contact ${index} Person`,
    `N:Person;Contact ${index};;;`,
    `ORG:Customer ${index % 400} GmbH;Purchasing`,
    `TITLE:${title}`,
    `item1.EMAIL;TYPE=INTERNET:contact${index}@customer${index % 400}.example`,
    'item1.X-ABLabel:work',
    `TEL;TYPE=CELL:+49 151 ${String(10_000_000 + index)}`,
    `item2.ADR;TYPE=WORK:;;Street ${index};Berlin;;10115;Germany`,
    `NOTE:Met at fair ${index % 12}\\, follow up`,
    'END:VCARD',
  ].join('\r\n');
}

export async function benchCarddavSync(options: { contacts: number; push: number }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-bench-carddav-'));
  const radicale = await startRadicale();
  try {
    const owner = await radicale.addUser(`bench-${Date.now().toString(36)}`);
    const home = `${radicale.info.url}${owner.username}/`;
    const auth = `Basic ${Buffer.from(`${owner.username}:${owner.password}`).toString('base64')}`;
    // The cards are written into Radicale's storage directly (multifilesystem: one file per item and
    // the collection's properties), which takes a second instead of minutes of PUTs.
    const bookDir = join(radicale.info.dataDir, 'collections', 'collection-root', owner.username, 'crm');
    mkdirSync(bookDir, { recursive: true });
    writeFileSync(join(bookDir, '.Radicale.props'), JSON.stringify({ tag: 'VADDRESSBOOK', 'D:displayname': 'CRM' }));
    for (let i = 0; i < options.contacts; i++) writeFileSync(join(bookDir, `bench-contact-${i}.vcf`), `${cardText(i)}\r\n`);
    rows.push({ measure: 'data on Radicale', value: `${options.contacts} vCards 3.0 in one address book` });
    // Radicale builds its item cache and sync-token state on the first listing and the first
    // sync-collection of a collection; the users' own clients have long done that on a real server.
    // Both warm-ups run untimed for the tools below (no timeout here), and are reported.
    const report = async (method: string, depth: string, body: string) => {
      const res = await fetch(`${home}crm/`, { method, headers: { Authorization: auth, Depth: depth, 'Content-Type': 'application/xml; charset=utf-8' }, body });
      await res.text();
      if (res.status !== 207) throw new Error(`${method} on the address book: HTTP ${res.status}`);
    };
    const warmList = await timed(() => report('PROPFIND', '1', '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'));
    const warmSync = await timed(() => report('REPORT', '0', '<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>'));
    rows.push({ measure: "Radicale's own warm-up (untimed for the tools): first PROPFIND Depth 1, first sync-collection", value: `${seconds(warmList.ms)}, ${seconds(warmSync.ms)}` });

    // ---------------------------------------------------------------- the bridge
    const config = configSchema.parse({
      users: [
        { id: 'owner', name: 'Book Owner', email: 'owner@example.com', carddav: { url: radicale.info.url, username: owner.username, password: owner.password }, contacts: { addressBook: `${home}crm/`, filter: { owned: true, accounts: false }, phoneRegion: 'DE' } },
      ],
    });
    const { database, store, log, runners, source } = await openBenchBridge(dir, config, 'carddav');
    const counter = countRequests();
    const pass = bridgePasses(rows, source, runners, store, log, counter);
    let bridgeFirst = 0;
    try {
      bridgeFirst = await pass('first sync (address book -> CRM)');
      const contacts = await store.contacts.list({ owner: 'owner' }, { limit: 1 });
      if (contacts.items.length === 0) throw new Error('the first sync imported no contact');
      await pass('no-change sync');
      const res = await fetch(`${home}crm/bench-contact-7.vcf`, { method: 'PUT', headers: { Authorization: auth, 'Content-Type': 'text/vcard; charset=utf-8' }, body: `${cardText(7, 'Head of Purchasing')}\r\n` });
      if (res.status >= 300) throw new Error(`changing one card: HTTP ${res.status}`);
      await pass('sync after one change');
    } finally {
      counter.restore();
    }

    // ---------------------------------------------------------------- vdirsyncer, same address book
    const vdirFirst = await measureVdirsyncer(rows, dir, { type: 'carddav', home, username: owner.username, password: owner.password, collections: ['crm'], fileext: '.vcf' }, 'same address book -> local folder');
    rows.push({ measure: 'first sync, bridge vs vdirsyncer', value: `${(vdirFirst / bridgeFirst).toFixed(1)}x ${bridgeFirst < vdirFirst ? 'faster' : 'slower'}` });

    // ---------------------------------------------------------------- CRM -> a new address book
    if (options.push > 0) {
      const pushConfig = configSchema.parse({
        users: [{ id: 'pusher', name: 'Pusher', email: 'pusher@example.com', carddav: { url: radicale.info.url, username: owner.username, password: owner.password }, contacts: { addressBook: 'CRM push', filter: { owned: true, accounts: false } } }],
      });
      await applyConfig(store, pushConfig);
      await store.atomically(async (tx) => {
        for (let i = 0; i < options.push; i++) await tx.contacts.create({ firstName: `Pushed ${i}`, lastName: 'Contact', emails: [`pushed${i}@crm.example`], phones: [`+49 30 ${String(1_000_000 + i)}`], company: `Account ${i % 300}`, owner: 'pusher' });
      });
      const pushRunners = createRunners(pushConfig, store, log);
      const pushSource = sourcesOf(pushConfig).find((candidate) => candidate.kind === 'carddav')!;
      const pushCounter = countRequests();
      let timing: { ms: number; result: Awaited<ReturnType<typeof runSource>> };
      try {
        timing = await timed(() => runSource(pushSource, pushRunners, store, log, new AbortController().signal));
      } finally {
        pushCounter.restore();
      }
      const { ms, result } = timing;
      rows.push({ measure: `bridge delivers ${options.push} CRM contacts to a new address book`, value: `${seconds(ms)}, HTTP requests: ${pushCounter.byMethod()}, ${result.changed} changed, ${result.itemErrors} item errors` });
    }
    await database.close();
  } finally {
    await radicale.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
