import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { startServer, type RunningServer } from '../../../src/runtime/serve.js';
import { BlobStore } from '../../../src/store/blob-store.js';
import { migrateToLatest, openDatabase } from '../../../src/store/database.js';

// CRM data and secrets on disk are for the bridge's user only (folders 0700, files 0600), as
// secret.key always was; checked with fs.stat under the usual umask 022, where Node and SQLite
// would create them 0755/0644.

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

let dir: string;
let previousUmask: number;
let running: RunningServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crm-bridge-modes-'));
  previousUmask = process.umask(0o022);
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  process.umask(previousUmask);
  rmSync(dir, { recursive: true, force: true });
});

describe('file modes of the data the bridge keeps', () => {
  it('creates the SQLite database, its -wal and -shm files 0600 and missing folders 0700', async () => {
    const file = join(dir, 'new', 'deeper', 'bridge.db');
    const database = openDatabase(`sqlite:${file}`);
    await migrateToLatest(database.db);
    expect([modeOf(file), modeOf(`${file}-wal`), modeOf(`${file}-shm`)]).toEqual(['600', '600', '600']);
    expect([modeOf(join(dir, 'new')), modeOf(join(dir, 'new', 'deeper'))]).toEqual(['700', '700']);
    await database.close();
  });

  it('tightens a database and -wal file an older version left 0644, but not the folder it stands in', async () => {
    const file = join(dir, 'old.db');
    const first = openDatabase(`sqlite:${file}`);
    await first.ping();
    await first.close();
    writeFileSync(`${file}-wal`, '');
    chmodSync(file, 0o644);
    chmodSync(`${file}-wal`, 0o644);
    chmodSync(dir, 0o755);
    const again = openDatabase(`sqlite:${file}`);
    await again.ping();
    expect([modeOf(file), modeOf(`${file}-wal`), modeOf(`${file}-shm`)]).toEqual(['600', '600', '600']);
    expect(modeOf(dir)).toBe('755');
    await again.close();
  });

  it('stores attachments in 0700 folders as 0600 files', async () => {
    const blobs = new BlobStore(join(dir, 'attachments'), 1024);
    const { sha256 } = await blobs.put(Buffer.from('a contract, confidential'));
    const path = blobs.pathOf(sha256);
    expect(modeOf(path)).toBe('600');
    expect([modeOf(join(dir, 'attachments')), modeOf(join(path, '..')), modeOf(join(path, '..', '..'))]).toEqual(['700', '700', '700']);
  });

  it('serve makes dataDir 0700 (also one an older version made 0755), with secret.key and the database 0600 inside', async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    const config = configSchema.parse({ database: `sqlite:${join(dataDir, 'crm-bridge.db')}`, dataDir, server: { listen: '127.0.0.1:0' }, admin: { password: 'admin-password-123' }, sync: { idle: false } });
    running = await startServer(config, pino({ level: 'silent' }), () => undefined);
    expect(modeOf(dataDir)).toBe('700');
    expect(modeOf(join(dataDir, 'secret.key'))).toBe('600');
    expect([modeOf(join(dataDir, 'crm-bridge.db')), modeOf(join(dataDir, 'crm-bridge.db-wal'))]).toEqual(['600', '600']);
  });
});
