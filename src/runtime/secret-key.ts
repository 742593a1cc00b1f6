import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { ensurePrivateDirectory } from '../store/private-files.js';

/**
 * The key that encrypts stored credentials: `secretKey` from the configuration, or else a key
 * generated once into `<dataDir>/secret.key` (mode 0600) so a first `npm start` works without
 * setting anything. The generated key must be backed up together with the database.
 */
export function resolveSecretKey(configured: string | undefined, dataDir: string, log: Logger): string {
  if (configured) return configured;
  const dir = resolve(dataDir);
  const file = join(dir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  ensurePrivateDirectory(dir);
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  log.warn({ file }, 'secretKey is not configured: generated one; back this file up with the database');
  return key;
}
