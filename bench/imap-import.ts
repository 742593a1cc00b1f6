/**
 * IMAP import against a real Dovecot, with mbsync (Debian isync) as the peer in the same run:
 *
 *   (a) the bridge's first import of a shared mailbox: `crm-bridge sync --once` (a build of src/ in a
 *       temp dir, `node dist/src/cli.js`: the package's bin, as users run it; a child process),
 *       wall time and peak RSS (GNU time);
 *   (b) `mbsync` pulling the same mailbox into an empty Maildir, wall time and peak RSS;
 *   (c) a second `sync --once` with nothing changed (the whole command), and the sync pass alone
 *       (syncSource in this process, on a copy of the database as (a) left it, then on the live one);
 *   (d) APPEND-to-activity latency under IDLE: `crm-bridge serve` with a user whose tracked folder
 *       `CRM` gets 100 messages, one at a time; the sync interval is an hour, so only IDLE explains
 *       a fast arrival. A plain IDLE client on the same folder measures Dovecot's own delay.
 *   (c) and (d) run the same build. Last, (a) again under tsx (`node --import tsx src/cli.ts`, as in
 *   development and the tests). If the build fails, everything runs under tsx and says so.
 *
 * The mailbox holds `messages` generated messages (varied senders, replies with In-Reply-To and
 * References, HTML alternatives, 10% with a 20-200 KB attachment), appended before anything is
 * timed.
 *
 *   npm run bench -- imap-import [--records 10000]
 *
 * Needs Dovecot (test/servers), `mbsync` (apt-get install isync) and GNU time (/usr/bin/time,
 * apt-get install time). BENCH_CPU_PROF=DIR writes a V8 CPU profile of the first import to DIR;
 * BENCH_IMPORT_NODE_ARGS="--import /path/hook.mjs" passes more Node options to that child;
 * BENCH_LATENCY_GAP_MS (default 1000) is the pause between the messages of (d).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import type { ImapFlow } from 'imapflow';
import { stringify } from 'yaml';
import { configSchema } from '../src/config/schema.js';
import { messageKey } from '../src/domain/message-id.js';
import { BlobStore } from '../src/store/blob-store.js';
import { openDatabase } from '../src/store/database.js';
import { SecretBox } from '../src/store/secret-box.js';
import { Store } from '../src/store/store.js';
import { createMailUsers, startTestServers, type TestServers } from '../test/servers/index.js';
import { imapClient, syncSource } from '../test/support/mail.js';
import type { BenchRow } from './store-and-api.js';

const cliEntry = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');
const secretKey = 'bench-secret-key-0123456789';
const latencySamples = 100;
/** Pause between one message's arrival and the next APPEND in (d). */
const latencyGapMs = Number(process.env['BENCH_LATENCY_GAP_MS'] ?? 1000);

// ------------------------------------------------------------------------------ messages

/** mulberry32: a small seeded generator, so every run appends the same mailbox (but attachment bytes). */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

type Random = () => number;
const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const between = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

const firstNames = ['Anna', 'Ben', 'Chloé', 'David', 'Emma', 'Felix', 'Grace', 'Hiroshi', 'Ingrid', 'Jürgen', 'Karin', 'Liam', 'María', 'Noah', 'Olga', 'Pierre', 'Quinn', 'Rosa', 'Søren', 'Tomás', 'Uma', 'Victor', 'Wei', 'Xenia', 'Yusuf', 'Zoë', 'Aisha', 'Bruno', 'Carla', 'Dmitri'];
const lastNames = ['Andersen', 'Baker', 'Costa', 'Dubois', 'Evans', 'Fischer', 'García', 'Hansen', 'Ito', 'Jensen', 'Kowalski', 'Lefèvre', 'Müller', 'Nakamura', 'O’Brien', 'Petrov', 'Quinn', 'Rossi', 'Schmidt', 'Tanaka', 'Underwood', 'Vogel', 'Wang', 'Yilmaz', 'Zimmermann', 'Novak', 'Silva', 'Moreau', 'Larsen', 'Keller'];
const companies = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark Industries', 'Wayne Enterprises', 'Tyrell', 'Cyberdyne', 'Soylent', 'Wonka', 'Gringotts', 'Oscorp', 'Massive Dynamic', 'Nakatomi', 'Monarch', 'Pied Piper', 'Dunder Mifflin', 'Aperture', 'Black Mesa', 'Virtucon', 'Prestige Worldwide', 'Sirius Cybernetics', 'Bluth Company', 'Krusty Krab', 'Los Pollos', 'Gekko & Co', 'Sterling Cooper', 'Blue Sun', 'Weyland', 'InGen', 'Rekall', 'Duff', 'Buy n Large', 'Omni Consumer', 'Spacely', 'Cogswell', 'Planet Express', 'Kramerica'];
const products = ['the annual licence', 'support plan Gold', 'the API add-on', 'the onboarding workshop', 'hardware bundle B', 'the data migration', 'the pilot project', 'seat expansion', 'the SLA review', 'training for 12 people', 'the Q3 roll-out', 'premium hosting'];
const subjects = [
  (r: Random) => `Quote for ${pick(r, products).trim()}`,
  (r: Random) => `Invoice ${between(r, 10000, 99999)} – payment terms`,
  (r: Random) => `Meeting next ${pick(r, ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'])}?`,
  (r: Random) => `Question about ${pick(r, products).trim()}`,
  (r: Random) => `Order ${between(r, 100000, 999999)} status`,
  (r: Random) => `Follow-up: ${pick(r, ['our call', 'the demo', 'pricing', 'contract draft', 'next steps'])}`,
  (r: Random) => `Contract renewal ${between(r, 2025, 2027)}`,
  (r: Random) => `Urgent: ${pick(r, ['outage', 'login problem', 'wrong invoice', 'delivery delay'])} at ${pick(r, companies)}`,
  (r: Random) => `Angebot für ${pick(r, ['Wartung', 'Schulung', 'Lizenzen'])} – Rückfrage`,
  (r: Random) => `Introduction: ${pick(r, firstNames)} from ${pick(r, companies)}`,
];
const words = (
  'we would like to confirm the proposal for next quarter and discuss pricing terms delivery schedule contract renewal support ticket invoice ' +
  'payment meeting agenda customer account team budget approval timeline project milestone migration integration licence seats training workshop ' +
  'feedback questions attached document review please let me know if you have any concerns regarding the update our management expects a decision ' +
  'by end of month thank you for your patience as mentioned earlier the numbers look good but legal still needs to sign off on several clauses ' +
  'could you send over the revised figures and the list of open issues from the last call also the shipment arrived damaged and we need a replacement'
).split(' ');

export interface Person {
  name: string;
  address: string;
  company: string;
}

function people(random: Random, count: number): Person[] {
  const out: Person[] = [];
  for (let i = 0; i < count; i += 1) {
    const first = pick(random, firstNames);
    const last = pick(random, lastNames);
    const company = pick(random, companies);
    const domain = `${company.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example`;
    const local = `${first}.${last}`.normalize('NFD').replace(/[^A-Za-z.]/g, '').toLowerCase();
    out.push({ name: `${first} ${last}`, address: `${local}${i % 7 === 0 ? i : ''}@${domain}`, company });
  }
  return out;
}

function sentence(random: Random): string {
  const list = Array.from({ length: between(random, 6, 18) }, () => pick(random, words));
  const text = list.join(' ');
  return `${text[0]!.toUpperCase()}${text.slice(1)}${pick(random, ['.', '.', '.', '?', '!'])}`;
}

function paragraph(random: Random): string {
  return Array.from({ length: between(random, 2, 5) }, () => sentence(random)).join(' ');
}

/** Plain-text paragraphs wrapped at 72 columns, as mail clients send them. */
function wrap(text: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line.length > 0 && line.length + word.length + 1 > 72) {
      lines.push(line);
      line = word;
    } else line = line.length > 0 ? `${line} ${word}` : word;
  }
  if (line.length > 0) lines.push(line);
  return lines.join('\r\n');
}

/** RFC 2045 §6.7 quoted-printable (UTF-8), soft breaks before 76 columns. */
function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\r\n')) {
    let encoded = '';
    let width = 0;
    for (const byte of Buffer.from(line, 'utf8')) {
      const literal = (byte >= 33 && byte <= 126 && byte !== 61) || byte === 32;
      const piece = literal ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      if (width + piece.length > 75) {
        encoded += '=\r\n';
        width = 0;
      }
      encoded += piece;
      width += piece.length;
    }
    if (encoded.endsWith(' ')) encoded = `${encoded.slice(0, -1)}=20`;
    out.push(encoded);
  }
  return out.join('\r\n');
}

function encodeWord(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

function mailbox(person: Person): string {
  return `${/^[A-Za-z ]+$/.test(person.name) ? person.name : encodeWord(person.name)} <${person.address}>`;
}

function rfc5322Date(date: Date, offsetMinutes: number): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${days[local.getUTCDay()]}, ${two(local.getUTCDate())} ${months[local.getUTCMonth()]} ${local.getUTCFullYear()} ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())} ${sign}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Earlier {
  messageId: string;
  subject: string;
  references: string[];
  quote: string;
}

export interface Generated {
  source: Buffer;
  messageId: string;
  date: Date;
  attachment: boolean;
}

const attachmentKinds = [
  { name: 'offer.pdf', type: 'application/pdf' },
  { name: 'scan-0042.jpg', type: 'image/jpeg' },
  { name: 'Vertrag Entwurf.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' },
  { name: 'figures-q3.xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
  { name: 'logs.zip', type: 'application/zip' },
];

/**
 * A mailbox's worth of realistic mail: `next(i)` returns message i (deterministic but for the
 * attachment bytes). About a quarter are replies to recent messages, 30% carry an HTML alternative
 * (quoted-printable), 10% an attachment of 20-200 KB.
 */
export function messageGenerator(seed: number, recipient: Person, total: number) {
  const random = seeded(seed);
  const senders = people(random, 300);
  const colleagues = people(random, 12).map((person) => ({ ...person, address: person.address.replace(/@.*/, '@example.com') }));
  const recent: Earlier[] = [];
  const start = Date.now() - 365 * 86_400_000;
  const step = (365 * 86_400_000) / Math.max(total, 1);
  return (i: number): Generated => {
    const from = pick(random, senders);
    const reply = recent.length > 10 && random() < 0.25 ? pick(random, recent) : undefined;
    const subject = reply ? (reply.subject.startsWith('Re: ') ? reply.subject : `Re: ${reply.subject}`) : pick(random, subjects)(random);
    const domain = from.address.slice(from.address.indexOf('@') + 1);
    const messageId = `<${i.toString(36)}.${Math.floor(random() * 2 ** 32).toString(16)}@${domain}>`;
    const date = new Date(start + i * step + Math.floor(random() * step));
    const paragraphs = Array.from({ length: between(random, 2, 6) }, () => paragraph(random));
    const greeting = `${pick(random, ['Hello', 'Hi', 'Dear', 'Guten Tag', 'Bonjour'])} ${recipient.name.split(' ')[0]},`;
    const signature = `${from.name}\r\n${pick(random, ['Account Manager', 'Head of Purchasing', 'CTO', 'Office Manager', 'Sales'])}, ${from.company}\r\n+49 30 ${between(random, 1000000, 9999999)}`;
    const quote = reply ? `\r\n\r\nOn an earlier day someone wrote:\r\n${wrap(reply.quote).split('\r\n').map((line) => `> ${line}`).join('\r\n')}` : '';
    const text = `${greeting}\r\n\r\n${paragraphs.map(wrap).join('\r\n\r\n')}\r\n\r\n-- \r\n${signature}${quote}\r\n`;
    const references = reply ? [...reply.references, reply.messageId].slice(-10) : [];

    const headers = [
      `Return-Path: <${from.address}>`,
      `Received: from mail.${domain} (mail.${domain} [192.0.2.${between(random, 1, 254)}])\r\n\tby mx.example.com with ESMTPS id ${randomBytes(6).toString('hex')}\r\n\tfor <${recipient.address}>; ${rfc5322Date(date, 0)}`,
      `From: ${mailbox(from)}`,
      `To: ${mailbox(recipient)}`,
      ...(random() < 0.2 ? [`Cc: ${mailbox(pick(random, random() < 0.5 ? senders : colleagues))}`] : []),
      `Subject: ${encodeWord(subject)}`,
      `Date: ${rfc5322Date(date, pick(random, [0, 60, 120, -300, 330, 540]))}`,
      `Message-ID: ${messageId}`,
      ...(reply ? [`In-Reply-To: ${reply.messageId}`, `References: ${references.join('\r\n ')}`] : []),
      `MIME-Version: 1.0`,
      ...(random() < 0.5 ? [`X-Mailer: ${pick(random, ['Microsoft Outlook 16.0', 'Apple Mail (2.3774)', 'Thunderbird 128.3.1'])}`] : []),
    ];
    const html = random() < 0.3;
    const attachment = random() < 0.1;
    const plainPart = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', text];
    let body: string[] = plainPart;
    if (html) {
      const boundary = `alt-${i}-${randomBytes(4).toString('hex')}`;
      const markup = `<html><head><meta charset="utf-8"></head><body><p>${escapeHtml(greeting)}</p>\r\n${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\r\n')}\r\n<p>--<br>${escapeHtml(signature).replace(/\r\n/g, '<br>')}</p></body></html>`;
      body = [`Content-Type: multipart/alternative; boundary="${boundary}"`, '', `--${boundary}`, ...plainPart, `--${boundary}`, 'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', quotedPrintable(markup), `--${boundary}--`, ''];
    }
    if (attachment) {
      const boundary = `mix-${i}-${randomBytes(4).toString('hex')}`;
      const kind = pick(random, attachmentKinds);
      const data = randomBytes(between(random, 20 * 1024, 200 * 1024)).toString('base64').replace(/.{76}/g, '$&\r\n');
      body = [`Content-Type: multipart/mixed; boundary="${boundary}"`, '', 'This is a multi-part message in MIME format.', `--${boundary}`, ...body, `--${boundary}`, `Content-Type: ${kind.type}; name="${kind.name}"`, `Content-Disposition: attachment; filename="${kind.name}"`, 'Content-Transfer-Encoding: base64', '', data, `--${boundary}--`, ''];
    }
    recent.push({ messageId, subject, references, quote: paragraphs[0]! });
    if (recent.length > 500) recent.shift();
    return { source: Buffer.from([...headers, ...body].join('\r\n'), 'utf8'), messageId, date, attachment };
  };
}

// ------------------------------------------------------------------------------ processes

export interface Measured {
  ms: number;
  /** Peak resident set size of the command (GNU time's "Maximum resident set size"), MiB. */
  peakMiB: number;
  /** User + system CPU seconds of the command. */
  cpuSeconds: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

export function requireExecutable(path: string, install: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is missing: apt-get install -y ${install}`);
  }
}

export function which(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // next
    }
  }
  return undefined;
}

/** Spawned children still alive; killed when the bench ends, whatever happens. */
export const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Run a command under GNU time: wall time from spawn to exit, and its peak RSS. */
export async function measure(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Measured> {
  const timeFile = join(cwd, `time-${randomBytes(4).toString('hex')}.txt`);
  const started = process.hrtime.bigint();
  const child = track(spawn('/usr/bin/time', ['-v', '-o', timeFile, command, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const report = readFileSync(timeFile, 'utf8');
  const kib = /Maximum resident set size \(kbytes\): (\d+)/.exec(report)?.[1];
  if (kib === undefined) throw new Error(`no peak RSS from GNU time for ${command}:\n${report}`);
  const cpu = ['User', 'System'].map((kind) => Number(new RegExp(`${kind} time \\(seconds\\): ([\\d.]+)`).exec(report)?.[1] ?? NaN));
  return { ms, peakMiB: Number(kib) / 1024, cpuSeconds: cpu[0]! + cpu[1]!, code, stdout, stderr };
}

function cliArgs(args: string[], nodeOptions: string[] = []): string[] {
  return [...nodeOptions, '--import', tsxLoader, cliEntry, ...args];
}

/** Warnings and errors the bridge logged (JSON lines, pino levels 40+), by message, counted. */
export function problemsIn(output: string): string[] {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((entry.level ?? 0) < 40) continue;
      const key = `${entry.level! >= 50 ? 'error' : 'warn'}: ${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message.slice(0, 120)})` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // not a log line
    }
  }
  return [...counts].map(([key, count]) => `${count}x ${key}`);
}

export function summaryLines(output: string): string[] {
  return output.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
}

function countMaildir(root: string): number {
  let count = 0;
  for (const sub of ['cur', 'new']) {
    try {
      count += readdirSync(join(root, sub)).length;
    } catch {
      // not created
    }
  }
  return count;
}

export async function runMbsync(servers: TestServers, user: { username: string; password: string }, dir: string, name: string): Promise<Measured & { pulled: number }> {
  const maildir = join(dir, `${name}-maildir`);
  mkdirSync(maildir);
  const rc = join(dir, `${name}.mbsyncrc`);
  writeFileSync(
    rc,
    [
      'IMAPAccount bench',
      `Host ${servers.dovecot.host}`,
      `Port ${servers.dovecot.imapPort}`,
      `User ${user.username}`,
      `Pass ${user.password}`,
      'SSLType None',
      'AuthMechs LOGIN',
      '',
      'IMAPStore bench-far',
      'Account bench',
      '',
      'MaildirStore bench-near',
      `Path ${maildir}/`,
      `Inbox ${maildir}/INBOX`,
      '',
      'Channel bench',
      'Far :bench-far:',
      'Near :bench-near:',
      'Patterns INBOX',
      'Create Near',
      'Sync Pull',
      'SyncState *',
      '',
    ].join('\n'),
  );
  const result = await measure('mbsync', ['-c', rc, '-a'], dir);
  if (result.code !== 0) throw new Error(`mbsync failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return { ...result, pulled: countMaildir(join(maildir, 'INBOX')) };
}

/**
 * Build src/ and adapters/ with tsconfig.build.json into `<dir>/build` (package.json copied, the
 * project's node_modules linked): the path to its cli.js, or why it could not be built.
 */
export async function compiledCli(dir: string): Promise<{ cli: string } | { error: string }> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const build = join(dir, 'build');
  mkdirSync(build);
  writeFileSync(join(build, 'package.json'), readFileSync(join(root, 'package.json')));
  symlinkSync(join(root, 'node_modules'), join(build, 'node_modules'), 'dir');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const child = track(spawn(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(build, 'dist'), '--tsBuildInfoFile', join(build, 'tsbuildinfo'), '--sourceMap', 'false'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const cli = join(build, 'dist', 'src', 'cli.js');
  if (code !== 0) return { error: `tsc -p tsconfig.build.json failed: ${output.split('\n')[0] ?? ''}` };
  return { cli };
}

// ------------------------------------------------------------------------------ the bench

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

/** Wait until `check` is true, polling every `everyMs`; false on timeout. */
async function until(check: () => boolean, timeoutMs: number, everyMs = 2): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(everyMs);
  }
  return check();
}

export async function appendAll(client: ImapFlow, folder: string, count: number, next: (i: number) => Generated): Promise<{ bytes: number; attachments: number; ms: number }> {
  let bytes = 0;
  let attachments = 0;
  const started = Date.now();
  // imapflow runs one command at a time on a connection, so APPENDs go one after the other.
  for (let i = 0; i < count; i += 1) {
    const message = next(i);
    bytes += message.source.length;
    if (message.attachment) attachments += 1;
    await client.append(folder, message.source, [], message.date);
  }
  return { bytes, attachments, ms: Date.now() - started };
}

export async function benchImapImport(options: { messages: number }): Promise<BenchRow[]> {
  const total = options.messages;
  requireExecutable('/usr/bin/time', 'time');
  const mbsync = which('mbsync');
  if (!mbsync) throw new Error('mbsync is missing: apt-get install -y isync');
  const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-bench-imap-'));
  const rows: BenchRow[] = [];
  const log = (line: string) => process.stderr.write(`[imap-import] ${line}\n`);
  const running = await startTestServers();
  const servers = running.info;
  const stops: Array<() => Promise<void>> = [];
  try {
    const [shared, owner] = await createMailUsers(servers, ['bench-shared', 'bench-owner']);
    if (!shared || !owner) throw new Error('no bench users');

    // --------------------------------------------------------------------- the mailbox
    log(`appending ${total} messages to ${shared.username}`);
    const sharedPerson: Person = { name: 'Support Team', address: shared.username, company: 'Example' };
    const client = await imapClient(servers, shared.username, shared.password);
    const appended = await appendAll(client, 'INBOX', total, messageGenerator(20261123, sharedPerson, total));
    await client.logout();
    rows.push({ measure: `mailbox: ${total} messages, ${appended.attachments} with an attachment (20-200 KB), appended (not timed below)`, value: `${mib(appended.bytes)} in ${(appended.ms / 1000).toFixed(1)} s` });

    // --------------------------------------------------------------------- configuration
    const dbPath = join(dir, 'bridge.db');
    const dataDir = join(dir, 'data');
    const imap = (user: { username: string; password: string }) => ({ host: servers.dovecot.host, port: servers.dovecot.imapPort, security: 'none', username: user.username, password: user.password });
    const sharedBox = { id: 'bench', address: shared.username, imap: imap(shared), folders: ['INBOX'] };
    const base = {
      database: `sqlite:${dbPath}`,
      dataDir,
      secretKey,
      logging: { level: 'info' },
      api: { tokens: [{ name: 'bench', token: 'bench-token-0123456789abcdef' }] },
      admin: { password: 'bench-admin-password' },
      sync: { intervalSeconds: 3600 },
    };
    const syncConfig = { ...base, sharedMailboxes: [sharedBox] };
    const syncFile = join(dir, 'sync.yaml');
    writeFileSync(syncFile, stringify(syncConfig));

    // Users run the package's `crm-bridge` bin, the compiled dist/src/cli.js (also the Docker
    // image's entry point): (a), (c) and (d) run a build of src/ made here. Under tsx (development)
    // the first import is measured again at the end. If the build fails, everything runs under tsx.
    const compiled = await compiledCli(dir);
    const built = 'error' in compiled ? null : compiled.cli;
    const bridge = (args: string[], nodeOptions: string[] = []): string[] => (built ? [...nodeOptions, built, ...args] : cliArgs(args, nodeOptions));
    const how = built ? 'compiled `node dist/src/cli.js`, the package bin' : `under tsx: the build failed (${'error' in compiled ? compiled.error : ''})`;
    const baseline = await measure(process.execPath, bridge(['--version']), dir);
    rows.push({ measure: `baseline: \`crm-bridge --version\` (${how}; every module loaded), peak RSS`, value: `${baseline.peakMiB.toFixed(0)} MiB, ${baseline.ms.toFixed(0)} ms` });

    // mbsync once before the bridge, so Dovecot's caches are equally warm for (a) and (b).
    log('mbsync (cold)');
    const mbsyncCold = await runMbsync(servers, shared, dir, 'mbsync-cold');

    // --------------------------------------------------------------------- (a) first import
    log('(a) bridge first import');
    const profileDir = process.env['BENCH_CPU_PROF'];
    const extraNodeArgs = (process.env['BENCH_IMPORT_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
    const first = await measure(process.execPath, bridge(['sync', '--once', '--config', syncFile], [...extraNodeArgs, ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(profileDir)] : [])]), dir);
    const firstSummary = summaryLines(first.stdout);
    if (first.code !== 0) throw new Error(`sync --once failed (${first.code}):\n${first.stdout.slice(-4000)}\n${first.stderr.slice(-4000)}`);
    // A copy of the database as (a) left it, for timing the second pass alone below.
    const copyPath = join(dir, 'bridge-after-first-import.db');
    for (const suffix of ['', '-wal']) if (existsSync(`${dbPath}${suffix}`)) copyFileSync(`${dbPath}${suffix}`, `${copyPath}${suffix}`);
    const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
    stops.push(async () => {
      db.close();
    });
    const activityCount = (db.prepare("select count(*) as n from activities where kind = 'email_in'").get() as { n: number }).n;
    const syncErrors = (db.prepare('select count(*) as n from sync_errors').get() as { n: number }).n;
    const stored = (db.prepare('select count(*) as n, coalesce(sum(stored), 0) as kept from attachments').get() as { n: number; kept: number });

    log('(b) mbsync (warm)');
    const mb = await runMbsync(servers, shared, dir, 'mbsync');
    if (mb.pulled !== total || mbsyncCold.pulled !== total) throw new Error(`mbsync pulled ${mbsyncCold.pulled} / ${mb.pulled} of ${total} messages`);

    const rate = (ms: number) => `${(total / (ms / 1000)).toFixed(0)} msg/s`;
    rows.push({ measure: `(a) bridge first import: \`sync --once\` (CLI child, ${built ? 'compiled' : 'tsx'}), ${activityCount} activities, ${stored.n} attachments (${stored.kept} stored)`, value: `${rate(first.ms)}, ${(first.ms / 1000).toFixed(1)} s (${first.cpuSeconds.toFixed(1)} CPU s), peak RSS ${first.peakMiB.toFixed(0)} MiB (target < 200 MiB: ${verdict(first.peakMiB < 200)})` });
    rows.push({ measure: `(a) summary printed by \`sync --once\``, value: firstSummary.join('; ').replace(/\|/g, '/') });
    rows.push({ measure: '(a) sync_errors rows after the import / warnings logged', value: `${syncErrors} / ${problemsIn(first.stdout).join('; ') || 'none'}` });
    rows.push({ measure: '(b) `mbsync -a` (isync, defaults incl. FSync yes) into an empty Maildir, warm', value: `${rate(mb.ms)}, ${(mb.ms / 1000).toFixed(1)} s (${mb.cpuSeconds.toFixed(1)} CPU s), peak RSS ${mb.peakMiB.toFixed(1)} MiB` });
    rows.push({ measure: '(b) same, first run (cold Dovecot caches, before the bridge)', value: `${rate(mbsyncCold.ms)}, ${(mbsyncCold.ms / 1000).toFixed(1)} s, peak RSS ${mbsyncCold.peakMiB.toFixed(1)} MiB` });
    const ratio = first.ms / mb.ms;
    rows.push({ measure: '(a)/(b) time ratio', value: `${ratio.toFixed(2)}x (target <= 1.5x: ${verdict(ratio <= 1.5)})` });

    // --------------------------------------------------------------------- (c) nothing changed
    log('(c) second sync --once');
    const second = await measure(process.execPath, bridge(['sync', '--once', '--config', syncFile]), dir);
    if (second.code !== 0) throw new Error(`second sync --once failed (${second.code}):\n${second.stdout.slice(-4000)}\n${second.stderr.slice(-4000)}`);
    const third = await measure(process.execPath, bridge(['sync', '--once', '--config', syncFile]), dir);
    rows.push({ measure: '(c) second `sync --once`, nothing changed: whole command (process start to exit)', value: `${second.ms.toFixed(0)} ms, peak RSS ${second.peakMiB.toFixed(0)} MiB; summary: ${summaryLines(second.stdout).join('; ')}` });
    rows.push({ measure: '(c) third `sync --once`: whole command', value: `${third.ms.toFixed(0)} ms; summary: ${summaryLines(third.stdout).join('; ')}` });

    // The pass alone: syncSource (connect, login, SELECT, compare cursors, logout) in this process,
    // first on the copy of the database as (a) left it (so: the second pass), then on the live one.
    const config = configSchema.parse(syncConfig);
    const passTimes = async (path: string, times: number): Promise<number[]> => {
      const database = openDatabase(`sqlite:${path}`);
      const store = new Store(database.db, new SecretBox(secretKey), new BlobStore(join(dataDir, 'attachments'), config.attachments.maxBytes));
      const out: number[] = [];
      try {
        for (let i = 0; i < times; i += 1) {
          const started = process.hrtime.bigint();
          const result = await syncSource(store, config, 'shared-mailbox:bench');
          out.push(Number(process.hrtime.bigint() - started) / 1e6);
          if (result.changed !== 0 || result.itemErrors !== 0) log(`in-process pass ${i}: ${result.changed} changed, ${result.itemErrors} item errors`);
        }
      } finally {
        await database.close();
      }
      return out;
    };
    const [secondPass, thirdPass] = await passTimes(copyPath, 2);
    const passes = (await passTimes(dbPath, 7)).sort((a, b) => a - b);
    const passMedian = percentile(passes, 50);
    rows.push({ measure: '(c) the second pass alone (syncSource in-process on a copy of the DB as (a) left it: connect + login + SELECT + cursor check + logout)', value: `${secondPass!.toFixed(1)} ms (target < 100 ms: ${verdict(secondPass! < 100)}); the pass after it: ${thirdPass!.toFixed(1)} ms` });
    rows.push({ measure: '(c) later passes alone, nothing changed (same, on the live DB), median of 7', value: `${passMedian.toFixed(1)} ms (min ${passes[0]!.toFixed(1)}, max ${passes.at(-1)!.toFixed(1)})` });

    // --------------------------------------------------------------------- (d) IDLE latency
    log('(d) serve + IDLE latency');
    const ownerUser = { id: 'owner', name: 'Bench Owner', email: owner.username, imap: imap(owner), mail: { autoTrack: 'none' } };
    const serveFile = join(dir, 'serve.yaml');
    writeFileSync(serveFile, stringify({ ...base, server: { listen: '127.0.0.1:0' }, users: [ownerUser], sharedMailboxes: [sharedBox] }));
    const serve = track(spawn(process.execPath, bridge(['serve', '--config', serveFile]), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
    let serveOut = '';
    let serveErr = '';
    serve.stdout!.on('data', (chunk: Buffer) => (serveOut += chunk.toString()));
    serve.stderr!.on('data', (chunk: Buffer) => (serveErr += chunk.toString()));
    const serveExited = new Promise<number | null>((done) => serve.on('close', done));
    stops.push(async () => {
      if (serve.exitCode === null && serve.signalCode === null) {
        serve.kill('SIGTERM');
        await Promise.race([serveExited, sleep(15_000)]);
      }
    });
    const cursorOf = db.prepare('select count(*) as n from sync_cursors where pair = ? and collection = ?');
    const started = await until(() => (cursorOf.get('imap:owner', 'CRM') as { n: number }).n > 0 && (cursorOf.get('shared-mailbox:bench', 'INBOX') as { n: number }).n > 0, 60_000, 50);
    if (!started) throw new Error(`serve did not finish its first pass:\n${serveOut.slice(-4000)}\n${serveErr.slice(-4000)}`);
    const activityOf = db.prepare('select 1 from activities where message_key = ?');
    const ownerClient = await imapClient(servers, owner.username, owner.password);
    stops.push(async () => {
      await ownerClient.logout().catch(() => undefined);
    });
    const next = messageGenerator(4242, { name: 'Bench Owner', address: owner.username, company: 'Example' }, latencySamples + 10);
    // Warm-up: the IDLE connections come up after the first pass; wait until one message makes it.
    let warm = false;
    for (let attempt = 0; attempt < 5 && !warm; attempt += 1) {
      await sleep(1000);
      const message = next(attempt);
      await ownerClient.append('CRM', message.source, [], message.date);
      warm = await until(() => activityOf.get(messageKey(message.messageId)) !== undefined, 10_000);
    }
    if (!warm) throw new Error(`no tracked message arrived under IDLE:\n${serveOut.slice(-4000)}\n${serveErr.slice(-4000)}`);
    // The floor: when Dovecot itself tells an IDLE client (a plain imapflow one, EXAMINE on CRM)
    // about the new message. The bridge cannot be faster than this.
    const probe = await imapClient(servers, owner.username, owner.password);
    await probe.mailboxOpen('CRM', { readOnly: true });
    let existsAt: bigint | undefined;
    probe.on('exists', () => (existsAt ??= process.hrtime.bigint()));
    void probe.idle().catch(() => undefined);
    stops.push(async () => {
      await probe.logout().catch(() => undefined);
    });
    const metricsUrl = `${/listening on (\S+)/.exec(serveOut)?.[1] ?? ''}/metrics`;
    const imapRuns = async (): Promise<number> => {
      const text = await (await fetch(metricsUrl)).text();
      return Number(/crm_bridge_sync_runs_total\{source="imap",outcome="ok"\} (\d+)/.exec(text)?.[1] ?? NaN);
    };
    const runsBefore = await imapRuns();
    const latencies: number[] = [];
    const notified: number[] = [];
    let missed = 0;
    for (let i = 0; i < latencySamples; i += 1) {
      const message = next(10 + i);
      const key = messageKey(message.messageId);
      await sleep(latencyGapMs);
      existsAt = undefined;
      const t0 = process.hrtime.bigint();
      await ownerClient.append('CRM', message.source, [], message.date);
      if (await until(() => activityOf.get(key) !== undefined, 30_000)) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      else missed += 1;
      if (await until(() => existsAt !== undefined, 5_000)) notified.push(Number(existsAt! - t0) / 1e6);
    }
    const runsDuring = (await imapRuns()) - runsBefore;
    const servePeak = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${serve.pid}/status`, 'utf8'))?.[1];
    const sorted = [...latencies].sort((a, b) => a - b);
    const p95 = percentile(sorted, 95);
    rows.push({ measure: `(d) APPEND to \`CRM\` -> activity in the DB under IDLE (\`serve\`, interval 3600 s), ${latencySamples} messages one at a time, ${latencyGapMs} ms apart`, value: `p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms${missed > 0 ? `, ${missed} not arrived in 30 s` : ''} (target p95 < 1 s: ${verdict(missed === 0 && p95 < 1000)})` });
    const floor = [...notified].sort((a, b) => a - b);
    rows.push({ measure: `(d) floor: APPEND -> untagged EXISTS at a plain IDLE client on the same folder (Dovecot's own notification delay), ${floor.length} samples`, value: `p50 ${percentile(floor, 50).toFixed(0)} ms, p95 ${percentile(floor, 95).toFixed(0)} ms` });
    rows.push({ measure: `(d) sync passes of the user's mailbox during the ${latencySamples} messages (crm_bridge_sync_runs_total)`, value: `${runsDuring}` });
    rows.push({ measure: '(d) `serve` peak RSS (VmHWM) / warnings and errors logged', value: `${servePeak ? (Number(servePeak) / 1024).toFixed(0) : '?'} MiB / ${problemsIn(serveOut).join('; ') || 'none'}` });
    for (const stop of stops.splice(1).reverse()) await stop();

    // --------------------------------------------------------------------- (a) under tsx
    // The same first import as developers and the tests run it (src/cli.ts through tsx, which loads
    // its own compiler too), into a fresh database, after removing the keyword (a) set.
    if (built) {
      log('(a) again under tsx');
      const keywordClient = await imapClient(servers, shared.username, shared.password);
      const lock = await keywordClient.getMailboxLock('INBOX');
      try {
        await keywordClient.messageFlagsRemove('1:*', ['$CRMImported']);
      } finally {
        lock.release();
      }
      await keywordClient.logout();
      const freshFile = join(dir, 'sync-tsx.yaml');
      writeFileSync(freshFile, stringify({ ...syncConfig, database: `sqlite:${join(dir, 'tsx.db')}`, dataDir: join(dir, 'tsx-data') }));
      const baselineTsx = await measure(process.execPath, cliArgs(['--version']), dir);
      const underTsx = await measure(process.execPath, cliArgs(['sync', '--once', '--config', freshFile]), dir);
      if (underTsx.code !== 0) throw new Error(`sync --once under tsx failed (${underTsx.code}):\n${underTsx.stdout.slice(-4000)}\n${underTsx.stderr.slice(-4000)}`);
      rows.push({ measure: `(a) same first import under tsx (\`node --import tsx src/cli.ts sync --once\`, development; \`--version\` alone: ${baselineTsx.peakMiB.toFixed(0)} MiB, ${baselineTsx.ms.toFixed(0)} ms)`, value: `${rate(underTsx.ms)}, ${(underTsx.ms / 1000).toFixed(1)} s (${underTsx.cpuSeconds.toFixed(1)} CPU s), peak RSS ${underTsx.peakMiB.toFixed(0)} MiB (ratio to (b) ${(underTsx.ms / mb.ms).toFixed(2)}x); ${summaryLines(underTsx.stdout).join('; ')}` });
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    for (const child of children) child.kill('SIGKILL');
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
