import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/domain/errors.js';
import { CredentialRepository } from '../../../src/store/credentials.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore({ secretKey: 'the-right-key-0123456789' });
});
afterEach(async () => t.close());

describe('credentials at rest', () => {
  it('stores passwords AES-256-GCM encrypted and reads them back', async () => {
    await t.store.credentials.put('user', 'alice', 'imap', 'hunter2-very-secret');
    expect(await t.store.credentials.get('user', 'alice', 'imap')).toBe('hunter2-very-secret');
    // The column as the database holds it (SQLite file or PostgreSQL row), not through the repository.
    const rows = await t.database.db.selectFrom('credentials').select('secret').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.secret).toMatch(/^v1\./);
    expect(rows[0]!.secret).not.toContain('hunter2');
  });

  it('binds a ciphertext to its row: copied to another row it does not decrypt', () => {
    const box = new SecretBox('the-right-key-0123456789');
    const sealed = box.encrypt('pw', 'user/alice/imap');
    expect(() => box.decrypt(sealed, 'user/bob/imap')).toThrow(BridgeError);
    expect(box.encrypt('pw', 'x')).not.toBe(box.encrypt('pw', 'x'));
  });

  it('refuses to start with a different secretKey than the database was written with', async () => {
    await t.store.credentials.verifyKey();
    const other = new CredentialRepository(t.store.db, new SecretBox('a-different-key-0123456789'));
    const error = await other.verifyKey().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe('CONFIG');
    expect((error as BridgeError).message).toMatch(/^secretKey: does not match/);
  });

  it('rejects a secretKey shorter than 16 characters', () => {
    expect(() => new SecretBox('short')).toThrow(/secretKey: must be at least 16 characters/);
  });
});
