/**
 * Memory of a mail import that meets one very large message (issue #12 defect 6), against a real
 * Dovecot. The mailbox holds one message of `megabytes` MB (a short text and a base64 attachment)
 * and five ordinary ones. `crm-bridge sync --once` (a child process under tsx, as in
 * development) imports it twice, each into a fresh database, under GNU time:
 *
 *   (a) with the default mail.maxMessageBytes (50 MiB): the large message becomes an activity from
 *       its headers and BODYSTRUCTURE and is never downloaded;
 *   (b) with mail.maxMessageBytes at 1 GiB: the large message is fetched and parsed whole, which is
 *       what every message met before the limit existed.
 *
 *   npm run bench -- imap-large-message [--records 300]   (the size in MB)
 *
 * Needs Dovecot (test/servers) and GNU time (apt-get install time).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { stringify } from 'yaml';
import { createMailUsers, startTestServers } from '../test/servers/index.js';
import { buildMessage, imapClient } from '../test/support/mail.js';
import { children, measure, requireExecutable, summaryLines } from './imap-import.js';
import type { BenchRow } from './store-and-api.js';

const cliEntry = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');

/** multipart/mixed with a text part and one base64 attachment, `bytes` octets in all (about). */
function largeMessage(bytes: number, to: string): Buffer {
  const head = [
    'From: Customer <customer@acme.example>',
    `To: ${to}`,
    'Subject: The very large offer',
    `Date: ${new Date().toUTCString()}`,
    'Message-ID: <large-offer@acme.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The offer is attached.',
    '--b1',
    'Content-Type: application/octet-stream; name="offer.bin"',
    'Content-Disposition: attachment; filename="offer.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    '',
  ].join('\r\n');
  // 76 base64 characters + CRLF per line (RFC 2045 §6.8); one line repeated keeps this cheap.
  const line = Buffer.from(`${Buffer.alloc(57, 0xa5).toString('base64')}\r\n`);
  const lines = Math.max(1, Math.floor((bytes - head.length) / line.length));
  return Buffer.concat([Buffer.from(head), Buffer.alloc(lines * line.length, line), Buffer.from('--b1--\r\n')]);
}

export async function benchImapLargeMessage(options: { megabytes: number }): Promise<BenchRow[]> {
  requireExecutable('/usr/bin/time', 'time');
  const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-bench-large-'));
  const rows: BenchRow[] = [];
  const log = (line: string) => process.stderr.write(`[imap-large-message] ${line}\n`);
  const running = await startTestServers();
  const servers = running.info;
  try {
    const [shared] = await createMailUsers(servers, ['bench-large']);
    if (!shared) throw new Error('no bench user');
    const client = await imapClient(servers, shared.username, shared.password);
    for (let i = 0; i < 3; i += 1) await client.append('INBOX', buildMessage({ subject: `Before ${i}`, to: shared.username }));
    let large: Buffer | null = largeMessage(options.megabytes * 1_000_000, shared.username);
    const size = large.length;
    log(`appending a ${(size / 1e6).toFixed(0)} MB message`);
    const appendStarted = Date.now();
    await client.append('INBOX', large);
    large = null;
    for (let i = 0; i < 2; i += 1) await client.append('INBOX', buildMessage({ subject: `After ${i}`, to: shared.username }));
    await client.logout();
    rows.push({ measure: 'mailbox: 3 small messages, one large (multipart, base64 attachment), 2 small', value: `${(size / 1e6).toFixed(1)} MB appended in ${((Date.now() - appendStarted) / 1000).toFixed(1)} s (not timed below)` });

    const baseline = await measure(process.execPath, ['--import', tsxLoader, cliEntry, '--version'], dir);
    rows.push({ measure: 'baseline: `crm-bridge --version` under tsx, peak RSS', value: `${baseline.peakMiB.toFixed(0)} MiB` });

    const run = async (name: string, maxMessageBytes: number) => {
      const dbPath = join(dir, `${name}.db`);
      const file = join(dir, `${name}.yaml`);
      writeFileSync(
        file,
        stringify({
          database: `sqlite:${dbPath}`,
          dataDir: join(dir, `${name}-data`),
          secretKey: 'bench-secret-key-0123456789',
          logging: { level: 'warn' },
          mail: { maxMessageBytes },
          sharedMailboxes: [{ id: 'bench', address: shared.username, imap: { host: servers.dovecot.host, port: servers.dovecot.imapPort, security: 'none', username: shared.username, password: shared.password }, folders: ['INBOX'] }],
        }),
      );
      log(`sync --once, mail.maxMessageBytes ${maxMessageBytes}`);
      const result = await measure(process.execPath, ['--import', tsxLoader, cliEntry, 'sync', '--once', '--config', file], dir);
      if (result.code !== 0) throw new Error(`sync --once failed (${result.code}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
      const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
      const activities = (db.prepare('select count(*) as n from activities').get() as { n: number }).n;
      db.close();
      return { ...result, activities };
    };

    const limited = await run('limited', 52_428_800);
    rows.push({ measure: '(a) `sync --once`, mail.maxMessageBytes 50 MiB (default): large message from headers + BODYSTRUCTURE', value: `peak RSS ${limited.peakMiB.toFixed(0)} MiB, ${(limited.ms / 1000).toFixed(1)} s (${limited.cpuSeconds.toFixed(1)} CPU s), ${limited.activities} activities; ${summaryLines(limited.stdout).join('; ')}` });
    const unlimited = await run('unlimited', 1024 * 1024 * 1024);
    rows.push({ measure: '(b) same with mail.maxMessageBytes 1 GiB: large message fetched and parsed whole (the behaviour before the limit)', value: `peak RSS ${unlimited.peakMiB.toFixed(0)} MiB, ${(unlimited.ms / 1000).toFixed(1)} s (${unlimited.cpuSeconds.toFixed(1)} CPU s), ${unlimited.activities} activities; ${summaryLines(unlimited.stdout).join('; ')}` });
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
