// Adding users to the running test servers from any process (vitest workers, bench
// scripts): everything works from the plain-JSON info objects, by appending to the files
// the servers read on every authentication (Dovecot's passwd-file, Radicale's htpasswd).
//
//   const servers = inject('servers');
//   const alice = await createMailUser(servers, 'alice');   // alice-1a2b3c4d@example.com
//   const dav = await createRadicaleUser(servers, 'alice'); // alice-5e6f7a8b

import { randomBytes } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Credentials, DovecotInfo, RadicaleInfo, TestServers } from './types.js';

export type { Credentials } from './types.js';

export const DEFAULT_PASSWORD = 'secret';
export const DEFAULT_MAIL_DOMAIN = 'example.com';

const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._+@-]*$/;

function validate(username: string, password: string): void {
  if (!USERNAME_RE.test(username) || username.length > 200) {
    throw new Error(`invalid test username ${JSON.stringify(username)} (allowed: letters, digits, . _ + @ -)`);
  }
  if (password.length === 0 || /[:\r\n\0]/.test(password)) {
    throw new Error('test passwords must be non-empty and must not contain ":" or line breaks');
  }
}

/** `prefix-<8 hex>` plus `@domain` when a domain is given. */
export function randomUsername(prefix = 'user', domain?: string): string {
  const local = `${prefix}-${randomBytes(4).toString('hex')}`;
  return domain === undefined ? local : `${local}@${domain}`;
}

// ------------------------------------------------------------------------------ Dovecot

/** The part of DovecotInfo needed to add users. */
export type DovecotUserTarget = Pick<DovecotInfo, 'passwdFile' | 'homeRoot' | 'uid' | 'gid'>;

/** One passwd-file line: user:{PLAIN}password:uid:gid::home:: */
export function dovecotPasswdLine(target: DovecotUserTarget, username: string, password: string): string {
  validate(username, password);
  const home = join(target.homeRoot, username);
  return `${username}:{PLAIN}${password}:${target.uid}:${target.gid}::${home}::\n`;
}

/** Parse Dovecot's passwd-file into username -> plain password (only {PLAIN} entries). */
export async function readDovecotUsers(passwdFile: string): Promise<Map<string, string>> {
  const users = new Map<string, string>();
  const text = await readFile(passwdFile, 'utf8');
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [name, pass] = line.split(':');
    if (name === undefined || pass === undefined) continue;
    const m = /^\{PLAIN\}(.*)$/.exec(pass);
    if (m?.[1] !== undefined && !users.has(name.toLowerCase())) users.set(name.toLowerCase(), m[1]);
  }
  return users;
}

/**
 * Dovecot (db-passwd-file.c) stats the passwd-file at most once per wall-clock second
 * (`if (pw->last_sync_time == ioloop_time) return cached`). A user appended in the same
 * second as an earlier lookup is therefore invisible until the next second starts. Waiting
 * for the second to roll over after the append makes the new user usable right away.
 */
async function waitForNextSecond(): Promise<void> {
  const ms = 1000 - (Date.now() % 1000) + 15;
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Add Dovecot users at run time by appending to the passwd-file; Dovecot re-reads the file
 * when its size or mtime changed. Resolves once Dovecot will see them (see above: up to
 * one second, once per call, so batch when adding many). Maildirs are created by Dovecot
 * on first use.
 */
export async function addDovecotUsers(
  target: DovecotUserTarget,
  users: readonly Credentials[],
): Promise<Credentials[]> {
  const lines = users.map((u) => dovecotPasswdLine(target, u.username, u.password)).join('');
  const existing = await readDovecotUsers(target.passwdFile);
  const seen = new Set<string>();
  for (const u of users) {
    const key = u.username.toLowerCase();
    if (existing.has(key) || seen.has(key)) throw new Error(`Dovecot user ${u.username} already exists`);
    seen.add(key);
  }
  // One small O_APPEND write: atomic with respect to other appenders and readers.
  await appendFile(target.passwdFile, lines, { encoding: 'utf8', flag: 'a' });
  await waitForNextSecond();
  return users.map((u) => ({ ...u }));
}

/** Add one Dovecot user at run time (see addDovecotUsers). */
export async function addDovecotUser(
  target: DovecotUserTarget,
  username: string,
  password: string = DEFAULT_PASSWORD,
): Promise<Credentials> {
  await addDovecotUsers(target, [{ username, password }]);
  return { username, password };
}

/** A fresh throwaway mail account, e.g. `alice-1a2b3c4d@example.com` / `secret`. */
export function createMailUser(
  servers: Pick<TestServers, 'dovecot'>,
  prefix = 'user',
  password: string = DEFAULT_PASSWORD,
): Promise<Credentials> {
  return addDovecotUser(servers.dovecot, randomUsername(prefix, DEFAULT_MAIL_DOMAIN), password);
}

/** Several throwaway mail accounts at once (one passwd-file append, one wait). */
export function createMailUsers(
  servers: Pick<TestServers, 'dovecot'>,
  prefixes: readonly string[],
  password: string = DEFAULT_PASSWORD,
): Promise<Credentials[]> {
  return addDovecotUsers(
    servers.dovecot,
    prefixes.map((prefix) => ({ username: randomUsername(prefix, DEFAULT_MAIL_DOMAIN), password })),
  );
}

// ----------------------------------------------------------------------------- Radicale

export type RadicaleUserTarget = Pick<RadicaleInfo, 'htpasswdFile'>;

export async function readHtpasswdUsers(htpasswdFile: string): Promise<Map<string, string>> {
  const users = new Map<string, string>();
  const text = await readFile(htpasswdFile, 'utf8');
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    users.set(line.slice(0, i), line.slice(i + 1));
  }
  return users;
}

/**
 * Add a Radicale user at run time (htpasswd with plain passwords). Radicale 3.1 reads the
 * htpasswd file on every login, so the user works immediately. Radicale creates the
 * user's principal collection (`/<username>/`) on the first authenticated request.
 */
export async function addRadicaleUser(
  target: RadicaleUserTarget,
  username: string,
  password: string = DEFAULT_PASSWORD,
): Promise<Credentials> {
  validate(username, password);
  if (username.includes('/')) throw new Error('Radicale usernames must not contain "/"');
  const existing = await readHtpasswdUsers(target.htpasswdFile);
  if (existing.has(username)) throw new Error(`Radicale user ${username} already exists`);
  await appendFile(target.htpasswdFile, `${username}:${password}\n`, { encoding: 'utf8', flag: 'a' });
  return { username, password };
}

/** A fresh throwaway Radicale account, e.g. `alice-5e6f7a8b` / `secret`. */
export function createRadicaleUser(
  servers: Pick<TestServers, 'radicale'>,
  prefix = 'user',
  password: string = DEFAULT_PASSWORD,
): Promise<Credentials> {
  return addRadicaleUser(servers.radicale, randomUsername(prefix), password);
}

/** `Authorization: Basic …` header value. */
export function basicAuth(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
}
