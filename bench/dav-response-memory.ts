/**
 * Peak memory of reading one oversized DAV response (issue 12, defect 6): a hostile CardDAV server
 * on loopback (test/servers/hostile-dav.ts) holds `cards` vCards of `cardBytes` each, so the first
 * addressbook-multiget answer (500 hrefs) is about 500 x cardBytes (500 x 1.2 MB = 600 MB). A child process
 * (so that its peak RSS is its own) discovers the address book and reads its changes through the
 * bridge's CardDAV adapter, then prints what came back and its peak resident set size
 * (`process.resourceUsage().maxRSS`).
 *
 *   npm run bench -- dav-response-memory [--records 500]
 *   node --import tsx bench/dav-response-memory.ts [cards] [maxResponseBytes|default] [cardBytes]   (default 500 cards of 1.2 MB)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CardDavConnector } from '../adapters/carddav/index.js';
import { startHostileDav } from '../test/servers/hostile-dav.js';
import type { BenchRow } from './store-and-api.js';

const run = promisify(execFile);

interface ChildReport {
  changed: number;
  failed: number;
  error: string | null;
  maxRssMiB: number;
  seconds: number;
}

async function child(url: string, maxResponseBytes: number | undefined): Promise<void> {
  const started = Date.now();
  const out: ChildReport = { changed: 0, failed: 0, error: null, maxRssMiB: 0, seconds: 0 };
  try {
    const session = await new CardDavConnector().connect({ url, username: 'bench', password: 'bench', timeoutMs: 600_000, ...(maxResponseBytes !== undefined ? { maxResponseBytes } : {}) });
    const [book] = await session.listAddressBooks();
    if (book === undefined) throw new Error('no address book');
    const changes = await session.changes(book, null);
    out.changed = changes.changed.length;
    out.failed = (changes as { failed?: unknown[] }).failed?.length ?? 0;
  } catch (error) {
    out.error = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : String(error);
  }
  out.seconds = (Date.now() - started) / 1000;
  out.maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(JSON.stringify(out));
}

async function measure(url: string, maxResponseBytes: number | undefined): Promise<ChildReport> {
  const args = ['--import', 'tsx', 'bench/dav-response-memory.ts', '--child', url, ...(maxResponseBytes !== undefined ? [String(maxResponseBytes)] : [])];
  const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 20, timeout: 900_000 });
  const line = stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(line) as ChildReport;
}

export async function benchDavResponseMemory(options: { cards: number; cardBytes?: number; maxResponseBytes?: number }): Promise<BenchRow[]> {
  const cardBytes = options.cardBytes ?? 1_200_000;
  const dav = await startHostileDav({ kind: 'addressbook' });
  try {
    for (let i = 0; i < options.cards; i++) dav.items.set(`card-${i}.vcf`, { hugeBytes: cardBytes });
    const report = await measure(dav.principalUrl, options.maxResponseBytes);
    const multigets = dav.requests.filter((r) => r.hrefs > 0);
    const largest = Math.max(0, ...multigets.map((r) => r.bytesWritten));
    return [
      { measure: 'address book', value: `${options.cards} vCards of ${(cardBytes / 1e6).toFixed(1)} MB: first multiget answer ${((options.cards > 500 ? 500 : options.cards) * cardBytes / 1e6).toFixed(0)} MB` },
      { measure: 'card data held in the result', value: `${((report.changed * cardBytes) / 2 ** 20).toFixed(0)} MiB` },
      { measure: 'limit (maxResponseBytes)', value: options.maxResponseBytes === undefined ? 'default' : String(options.maxResponseBytes) },
      { measure: 'outcome', value: report.error ?? `${report.changed} cards read, ${report.failed} per-item failures` },
      { measure: 'multiget requests (hrefs each)', value: multigets.map((r) => `${r.hrefs}${r.aborted ? ' (cut)' : ''}`).join(', ') },
      { measure: 'largest multiget bytes the server wrote', value: `${(largest / 2 ** 20).toFixed(0)} MiB` },
      { measure: 'wall time', value: `${report.seconds.toFixed(1)} s` },
      { measure: 'peak RSS of the reading process', value: `${report.maxRssMiB} MiB` },
    ];
  } finally {
    await dav.close();
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] ?? '', process.argv[4] === undefined ? undefined : Number(process.argv[4]));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const cards = Number(process.argv[2] ?? 500);
  const max = process.argv[3] === undefined || process.argv[3] === 'default' ? undefined : Number(process.argv[3]);
  const cardBytes = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
  for (const row of await benchDavResponseMemory({ cards, ...(max !== undefined ? { maxResponseBytes: max } : {}), ...(cardBytes !== undefined ? { cardBytes } : {}) })) console.log(`| ${row.measure} | ${row.value} |`);
}
