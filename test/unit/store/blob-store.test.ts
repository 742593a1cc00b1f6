import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../src/store/blob-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crm-bridge-blobs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

/** Every file below `root`, as paths relative to it. */
function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();
}

describe('BlobStore', () => {
  it('stores content under its SHA-256 once, with no temporary file left behind', async () => {
    const blobs = new BlobStore(join(dir, 'blobs'), 1024);
    const content = Buffer.from('an attachment');
    const digest = sha256(content);
    expect(await blobs.put(content)).toEqual({ sha256: digest, size: content.length, stored: true });
    expect(await blobs.put(Buffer.from('an attachment'))).toEqual({ sha256: digest, size: content.length, stored: true });
    expect(filesUnder(join(dir, 'blobs'))).toEqual([join(digest.slice(0, 2), digest.slice(2, 4), digest)]);
    expect(await blobs.read(digest)).toEqual(content);
  });

  it('keeps only the hash of content over the limit, unless forced', async () => {
    const blobs = new BlobStore(join(dir, 'blobs'), 4);
    const content = Buffer.from('too large');
    expect(await blobs.put(content)).toEqual({ sha256: sha256(content), size: 9, stored: false });
    expect(filesUnder(join(dir, 'blobs'))).toEqual([]);
    expect(await blobs.put(content, { force: true })).toMatchObject({ stored: true });
    expect(await blobs.has(sha256(content))).toBe(true);
  });

  it('writes many files concurrently into the same folders', async () => {
    const blobs = new BlobStore(join(dir, 'blobs'), 1024);
    const contents = Array.from({ length: 200 }, (_, i) => Buffer.from(`attachment ${i % 150}`));
    const stored = await Promise.all(contents.map((content) => blobs.put(content)));
    expect(new Set(stored.map((blob) => blob.sha256)).size).toBe(150);
    expect(filesUnder(join(dir, 'blobs'))).toHaveLength(150);
    for (const content of contents) expect(readFileSync(blobs.pathOf(sha256(content)))).toEqual(content);
  });

  it('creates a folder again when it was removed after an earlier write (its name is remembered)', async () => {
    const blobs = new BlobStore(join(dir, 'blobs'), 1024);
    const content = Buffer.from('written twice');
    await blobs.put(content);
    rmSync(join(dir, 'blobs'), { recursive: true });
    expect(await blobs.put(content)).toMatchObject({ stored: true });
    expect(await blobs.read(sha256(content))).toEqual(content);
  });

  it('fails with the file system error when the store cannot be written, leaving nothing behind', async () => {
    writeFileSync(join(dir, 'blobs'), 'a file where the folder should be');
    const blobs = new BlobStore(join(dir, 'blobs'), 1024);
    await expect(blobs.put(Buffer.from('nowhere to go'))).rejects.toMatchObject({ code: expect.stringMatching(/^(ENOTDIR|EEXIST)$/) });
    expect(readdirSync(dir)).toEqual(['blobs']);
  });
});
