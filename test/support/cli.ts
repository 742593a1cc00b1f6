import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject, onTestFinished } from 'vitest';
import { adminQuery } from '../servers/postgres.js';
import { TEMPLATE_DATABASE } from '../servers/postgres-setup.js';
import { testDatabase } from './memory-store.js';

/** Runs the real command line (src/cli.ts through tsx) the way a user runs `npx crm-bridge`. */
const cliEntry = resolve('src/cli.ts');
// Resolved here, not by the child: the child runs in a temp dir without node_modules.
const tsxLoader = import.meta.resolve('tsx');

/** A fresh temp dir for one test's CLI runs, removed when that test has finished. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-cli-'));
  onTestFinished(() => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A child still writing there (e.g. a server being stopped) must not fail the test.
    }
  });
  return dir;
}

/**
 * The head of a configuration as CONTRACT.md writes it: database, server on `port`, secretKey and
 * one API token, both from the environment (TEST_SECRET_KEY, TEST_API_TOKEN).
 */
export function serverConfigYaml(port: number): string {
  return [
    'database: sqlite:./data/crm-bridge.db',
    'server:',
    `  listen: 127.0.0.1:${port}`,
    `  publicUrl: http://127.0.0.1:${port}`,
    'secretKey: ${TEST_SECRET_KEY}',
    'api:',
    '  tokens:',
    '    - { name: crm, token: ${TEST_API_TOKEN} }',
    '',
  ].join('\n');
}

/** Polls `probe` every 200 ms until it gives a value (or fails after `timeoutMs`). */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const cliDatabases = new Map<string, string>();

/**
 * The database of one test's CLI runs in `dir`: the SQLite file `<dir>/data/bridge.db` the
 * configurations name, or under TEST_DATABASE=postgres (project integration-postgres) a fresh
 * database on the run's PostgreSQL, made from the migrated template and dropped when the test ends.
 * (Synchronous, like writeConfig: `createdb` of the server's own binaries.)
 */
export function cliDatabaseUrl(dir: string): string {
  if (testDatabase !== 'postgres') return `sqlite:${join(dir, 'data', 'bridge.db')}`;
  const known = cliDatabases.get(dir);
  if (known) return known;
  const info = inject('postgres');
  const name = `cli_${process.pid}_${randomBytes(4).toString('hex')}`;
  execFileSync(join(info.bin, 'createdb'), ['-h', info.host, '-p', String(info.port), '-U', info.user, '-T', TEMPLATE_DATABASE, name], { stdio: 'pipe' });
  const url = `${info.baseUrl}${name}`;
  cliDatabases.set(dir, url);
  onTestFinished(async () => {
    cliDatabases.delete(dir);
    await adminQuery(info, `drop database if exists ${name} with (force)`);
  });
  return url;
}

/**
 * Write `<dir>/config.yaml`. Under TEST_DATABASE=postgres its `database: sqlite:...` line names the
 * test's PostgreSQL database instead (cliDatabaseUrl), so the same CLI tests run on both.
 */
export function writeConfig(dir: string, yaml: string): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, testDatabase === 'postgres' ? yaml.replace(/^database: sqlite:\S+$/m, `database: ${cliDatabaseUrl(dir)}`) : yaml);
  return file;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], options: { cwd: string; env?: Record<string, string> }): ChildProcess {
  return spawn(process.execPath, ['--import', tsxLoader, cliEntry, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function runCli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolveCode) => child.on('close', resolveCode));
  return { code, stdout, stderr };
}

/** Start `serve`, wait for its "listening on" line, and return a handle to stop it with a signal. */
export async function startServe(configFile: string, cwd: string, env: Record<string, string> = {}) {
  const child = spawnCli(['serve', '--config', configFile], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolveCode) => child.on('close', resolveCode));
  const deadline = Date.now() + 30_000;
  while (!/listening on (\S+)/.test(stdout)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start:\n${stdout}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /listening on (\S+)/.exec(stdout)![1]!;
  return {
    url,
    pid: child.pid!,
    output: () => ({ stdout, stderr }),
    /** Lines printed after "listening on" may arrive in a later chunk: wait for them rather than read too early. */
    async waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(stdout);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > until) throw new Error(`serve never printed ${String(pattern)}:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
      child.kill(signal);
      return exited;
    },
  };
}
