import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { assertSha256, type BlobStorage, type StoredBlob } from './blob-storage.js';
import { privateDirectoryMode, privateFileMode } from './private-files.js';

export type { StoredBlob } from './blob-storage.js';

/**
 * Content-addressed files (attachments, `attachments.store: filesystem`): `<dir>/ab/cd/<sha256>`,
 * folders 0700 and files 0600. The same file attached to many messages is stored once; a write goes
 * to a temporary name and is renamed into place, so a crash never leaves a truncated file under a
 * valid name. Several processes may share the folder (renames are atomic), on several machines only
 * as a shared volume.
 */
export class BlobStore implements BlobStorage {
  /** Fan-out folders known to exist (at most 65,536): an import writes many files into the same ones, and a mkdir each time cost measurable time. */
  private readonly knownFolders = new Set<string>();

  constructor(
    private readonly dir: string,
    readonly maxBytes: number,
  ) {}

  pathOf(sha256: string): string {
    assertSha256(sha256);
    return join(this.dir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /** Store content; over the size limit only its hash is returned, unless `force` (outgoing mail must be kept whole). */
  async put(content: Buffer, options: { force?: boolean } = {}): Promise<StoredBlob> {
    const sha256 = createHash('sha256').update(content).digest('hex');
    if (content.length > this.maxBytes && !options.force) return { sha256, size: content.length, stored: false };
    const target = this.pathOf(sha256);
    if (!existsSync(target)) await this.writeNew(target, content);
    return { sha256, size: content.length, stored: true };
  }

  /** Written under a temporary name and renamed, so a crash never leaves a truncated file under a valid name. */
  private async writeNew(target: string, content: Buffer, retried = false): Promise<void> {
    const folder = dirname(target);
    if (!this.knownFolders.has(folder)) {
      await mkdir(folder, { recursive: true, mode: privateDirectoryMode });
      this.knownFolders.add(folder);
    }
    const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, content, { flag: 'wx', mode: privateFileMode });
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      // The folder was removed behind our back (its name was remembered): create it again, once.
      if (!retried && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.knownFolders.delete(folder);
        return this.writeNew(target, content, true);
      }
      throw error;
    }
  }

  has(sha256: string): Promise<boolean> {
    return Promise.resolve(existsSync(this.pathOf(sha256)));
  }

  async read(sha256: string): Promise<Buffer> {
    return readFile(this.pathOf(sha256));
  }
}
