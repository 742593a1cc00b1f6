// Shared plumbing for the real-server test harness: free ports, temp dirs, spawning a
// server in its own process group with its output captured to a log file, waiting for a
// protocol greeting, and making sure nothing is left behind when the process exits.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const LOOPBACK = '127.0.0.1';

/** Ask the kernel for a free loopback TCP port by binding port 0, then release it. */
export function findFreePort(host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const { port } = addr;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Fresh private temp dir (mode 0700), under `baseDir` (default: os.tmpdir()). */
export function makeTempDir(prefix: string, baseDir: string = tmpdir()): Promise<string> {
  return mkdtemp(join(baseDir, `crmbridge-${prefix}-`));
}

/** Whether every directory from `dir` up to `/` lets "others" traverse it (o+x). */
export function traversableByOthers(dir: string): boolean {
  let current = resolve(dir);
  for (;;) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const parent = dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
}

/** Last `maxBytes` of a log file, or a note that it is missing. */
export function readLogTail(file: string, maxBytes = 8000): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.length > maxBytes ? `…${text.slice(-maxBytes)}` : text;
  } catch {
    return `(no log at ${file})`;
  }
}

/** Give `path` and everything below it to the service user (the harness writes them as root). */
export function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (!statSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------
// Emergency cleanup: if the process exits (or is interrupted) without calling stop(),
// kill the spawned process groups and delete the temp dirs synchronously.

interface Leftover {
  pgid: number | undefined;
  dir: string | undefined;
}

const leftovers = new Set<Leftover>();
let hooksInstalled = false;

function cleanupLeftoversSync(): void {
  for (const item of leftovers) {
    if (item.pgid !== undefined) {
      try {
        process.kill(-item.pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (item.dir !== undefined) {
      try {
        rmSync(item.dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  }
  leftovers.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', cleanupLeftoversSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      cleanupLeftoversSync();
      // If nobody else handles this signal, behave like the default action.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.once(sig, handler);
  }
}

/** Track a temp dir and/or a process group for emergency cleanup; returns an untrack function. */
export function trackLeftover(item: Leftover): () => void {
  installExitHooks();
  leftovers.add(item);
  return () => {
    leftovers.delete(item);
  };
}

// ---------------------------------------------------------------------------------------
// Spawning

export interface SpawnOptions {
  cwd: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** Resolves with a description once the process has exited. */
  exited: Promise<string>;
  hasExited(): boolean;
}

/**
 * Spawn `cmd` as the leader of a new process group (detached), stdout+stderr appended to
 * `logFile`, stdin closed.
 */
export function spawnServer(cmd: string, args: readonly string[], opts: SpawnOptions): Spawned {
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: true,
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    });
  } finally {
    closeSync(fd);
  }
  let done = false;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => {
      done = true;
      resolve(`failed to spawn ${cmd}: ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      done = true;
      resolve(signal !== null ? `${cmd} killed by ${signal}` : `${cmd} exited with code ${String(code)}`);
    });
  });
  // Do not keep the Node event loop alive just because the server runs.
  child.unref();
  if (child.pid === undefined) {
    return { child, pid: -1, exited, hasExited: () => true };
  }
  return { child, pid: child.pid, exited, hasExited: () => done };
}

/** SIGTERM the whole process group, then SIGKILL it if it has not exited in time. */
export async function killGroup(proc: Spawned, graceMs = 3000): Promise<void> {
  if (proc.pid <= 0) return;
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-proc.pid, sig);
    } catch {
      // group already gone
    }
  };
  if (!proc.hasExited()) {
    signalGroup('SIGTERM');
    const timedOut = await Promise.race([
      proc.exited.then(() => false),
      sleep(graceMs).then(() => true),
    ]);
    if (timedOut) signalGroup('SIGKILL');
    await Promise.race([proc.exited, sleep(2000)]);
  }
  // Children that outlived the leader (e.g. Dovecot workers) are in the same group.
  await waitGroupGone(proc.pid, graceMs);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGroupGone(pgid: number, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        return;
      }
      await sleep(100);
      if (!groupAlive(pgid)) return;
    }
    await sleep(25);
  }
}

// ---------------------------------------------------------------------------------------
// Readiness

/** Connect to host:port and resolve with the first chunk the server sends (its greeting). */
export function readGreeting(host: string, port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no greeting from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    });
    sock.once('data', (buf) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(buf.toString('latin1'));
    });
  });
}

export interface WaitOptions {
  name: string;
  proc: Spawned;
  logFile: string;
  timeoutMs?: number;
  /** Throws (or rejects) while the server is not ready yet; resolves once it is. */
  probe: () => Promise<void>;
}

/**
 * Poll `probe` until it succeeds. Fails early, with the captured log, if the process
 * exits; fails with the log after `timeoutMs`.
 */
export async function waitUntilReady(opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let lastError = 'not tried';
  for (;;) {
    if (opts.proc.hasExited()) {
      const how = await opts.proc.exited;
      throw new Error(`${opts.name} did not start (${how}).\n--- log ${opts.logFile} ---\n${readLogTail(opts.logFile)}`);
    }
    try {
      await opts.probe();
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${opts.name} was not ready after ${opts.timeoutMs ?? 20_000} ms (last probe error: ${lastError}).\n` +
          `--- log ${opts.logFile} ---\n${readLogTail(opts.logFile)}`,
      );
    }
    await sleep(50);
  }
}

/** Numeric uid/gid and primary group name of a user (default: the current one), or undefined. */
export function lookupUser(name?: string): { uid: number; gid: number; group: string } | undefined {
  const id = (flag: string): string =>
    execFileSync('id', name === undefined ? [flag] : [flag, name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const uid = Number(id('-u'));
    const gid = Number(id('-g'));
    const group = id('-gn');
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid, group };
  } catch {
    // no such user
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// One server's life: its temp dir and its (re)spawned process, cleaned up together

export interface ServerLifetime {
  dataDir: string;
  /** Remember the process just spawned (a retry replaces the previous one). */
  adopt(proc: Spawned): void;
  current(): Spawned | undefined;
  /** Kill the process group, remove the temp dir, forget both. */
  stop(): Promise<void>;
}

export async function serverLifetime(prefix: string, baseDir?: string): Promise<ServerLifetime> {
  const dataDir = await makeTempDir(prefix, baseDir);
  const untrackDir = trackLeftover({ pgid: undefined, dir: dataDir });
  let proc: Spawned | undefined;
  let untrackProc: (() => void) | undefined;
  return {
    dataDir,
    adopt(spawned) {
      proc = spawned;
      untrackProc?.();
      untrackProc = trackLeftover({ pgid: spawned.pid, dir: undefined });
    },
    current: () => proc,
    async stop() {
      if (proc !== undefined) await killGroup(proc);
      untrackProc?.();
      await removeDir(dataDir);
      untrackDir();
    },
  };
}

/**
 * Start a server on freshly chosen ports. Between choosing a free port and the server binding it,
 * another process can take it; then (and only then) the start is tried again, up to three times.
 * On any failure the server is stopped, its directory removed, and the error carries its log tail.
 */
export async function startOnFreePorts<T>(
  life: ServerLifetime,
  logFile: string,
  steps: { prepare: () => Promise<void>; attempt: () => Promise<{ proc: Spawned; ready: () => Promise<T> }> },
): Promise<T> {
  try {
    await steps.prepare();
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const { proc, ready } = await steps.attempt();
      life.adopt(proc);
      try {
        return await ready();
      } catch (err) {
        lastError = err;
        await killGroup(proc);
        if (!/address (already )?in use/i.test(readLogTail(logFile))) break;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const log = readLogTail(logFile);
    await life.stop();
    throw new Error(msg.includes('--- log') ? msg : `${msg}\n--- log ${logFile} ---\n${log}`);
  }
}
