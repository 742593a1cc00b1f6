import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

/**
 * Files and folders that hold CRM data or secrets (the SQLite database and its -wal/-shm files,
 * attachments, secret.key) are for the bridge's own user only: folders 0700, files 0600, whatever
 * the umask. Node and SQLite would create them 0755/0644, readable by every local user.
 */
export const privateDirectoryMode = 0o700;
export const privateFileMode = 0o600;

/** Create the folder (and missing parents) 0700; an existing folder is made 0700 too. */
export function ensurePrivateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: privateDirectoryMode });
  chmodSync(dir, privateDirectoryMode);
}

/** Create missing parents 0700, leaving existing ones (such as the working directory) alone. */
export function ensureParentDirectories(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: privateDirectoryMode });
}

/** Create the file empty with mode 0600, or make an existing one 0600. */
export function ensurePrivateFile(file: string): void {
  if (existsSync(file)) {
    chmodSync(file, privateFileMode);
    return;
  }
  closeSync(openSync(file, 'a', privateFileMode));
  chmodSync(file, privateFileMode);
}

/** Make the file 0600 if it exists. */
export function restrictIfExists(file: string): void {
  if (existsSync(file)) chmodSync(file, privateFileMode);
}
