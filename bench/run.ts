/**
 * Benchmark runner: `npm run bench [-- NAME] [--records N]`. Prints a Markdown table with the date,
 * the machine and Node version, ready to paste into bench/RESULTS.md.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { benchStoreAndApi, type BenchRow } from './store-and-api.js';

const benches: Record<string, (options: { records: number }) => Promise<BenchRow[]>> = {
  'store-and-api': ({ records }) => benchStoreAndApi(records),
  'caldav-sync': async ({ records }) => (await import('./caldav-sync.js')).benchCaldavSync({ events: records, recurring: Math.round(records / 25), tasks: Math.round(records / 5), users: 20 }),
  'carddav-sync': async ({ records }) => (await import('./carddav-sync.js')).benchCarddavSync({ contacts: process.argv.some((arg) => arg.startsWith('--records')) ? records : 10_000, push: 1000 }),
  'source-isolation': async () => (await import('./source-isolation.js')).benchSourceIsolation(),
  'hostile-input-stall': async () => (await import('./hostile-input-stall.js')).benchHostileInputStall(),
  'dav-response-memory': async ({ records }) => (await import('./dav-response-memory.js')).benchDavResponseMemory({ cards: process.argv.some((arg) => arg.startsWith('--records')) ? records : 500 }),
  'imap-large-message': async ({ records }) => (await import('./imap-large-message.js')).benchImapLargeMessage({ megabytes: process.argv.some((arg) => arg.startsWith('--records')) ? records : 300 }),
  'scale-out': async ({ records }) => (await import('./scale-out.js')).benchScaleOut({ perMailbox: process.argv.some((arg) => arg.startsWith('--records')) ? records : 1000, mailboxes: Number(process.env['BENCH_MAILBOXES'] ?? 50) }),
  'dav-without-sync': async ({ records }) => (await import('./dav-without-sync.js')).benchDavWithoutSync({ events: process.argv.some((arg) => arg.startsWith('--records')) ? records : 2000 }),
  'client-edit-latency': async ({ records }) => (await import('./client-edit-latency.js')).benchClientEditLatency({ edits: process.argv.some((arg) => arg.startsWith('--records')) ? records : 12 }),
  'imap-import': async ({ records }) => (await import('./imap-import.js')).benchImapImport({ messages: process.argv.some((arg) => arg.startsWith('--records')) ? records : 10_000 }),
};

const { values, positionals } = parseArgs({ allowPositionals: true, options: { records: { type: 'string', default: '5000' } } });
const names = positionals.length > 0 ? positionals : Object.keys(benches);
const records = Number(values.records);

console.log(`date: ${new Date().toISOString()}  machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB  node: ${process.version}`);
for (const name of names) {
  const bench = benches[name];
  if (!bench) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(benches).join(', ')}`);
    process.exitCode = 2;
    continue;
  }
  console.log(`\n### ${name}\n\n| measure | value |\n|---|---|`);
  for (const row of await bench({ records })) console.log(`| ${row.measure} | ${row.value} |`);
}
