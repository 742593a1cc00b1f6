// End to end through the command line: `sync --once` with a configuration file syncs a user's
// address book on Radicale both ways and prints the carddav source in its summary.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { BlobStore } from '../../../src/store/blob-store.js';
import { openDatabase } from '../../../src/store/database.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { Store } from '../../../src/store/store.js';
import { parseCard } from '../../../src/contacts/vcard.js';
import { createRadicaleUser } from '../../servers/users.js';
import { cliDatabaseUrl, runCli, tempDir, writeConfig } from '../../support/cli.js';
import { Client, vcard } from './support.js';

const servers = inject('servers');
const env = { TEST_SECRET_KEY: 'cli-contacts-secret-key-0123456789' };

async function withStore<T>(dir: string, work: (store: Store) => Promise<T>): Promise<T> {
  const database = openDatabase(cliDatabaseUrl(dir));
  try {
    return await work(new Store(database.db, new SecretBox(env.TEST_SECRET_KEY), new BlobStore(join(dir, 'data', 'blobs'), 1024)));
  } finally {
    await database.close();
  }
}

describe('crm-bridge sync --once with an address book', () => {
  it('delivers CRM contacts, imports client cards and reports the carddav source', async () => {
    const user = await createRadicaleUser(servers, 'cli');
    const dir = tempDir();
    const file = writeConfig(
      dir,
      `
database: sqlite:./data/bridge.db
dataDir: ./data
secretKey: \${TEST_SECRET_KEY}
users:
  - id: alice
    name: Alice Example
    email: alice@example.com
    carddav: { url: ${servers.radicale.url}, username: ${user.username}, password: ${user.password} }
    contacts:
      addressBook: CRM
      direction: two-way
      filter: { owned: true, accounts: false, where: 'company != "Hidden Inc"' }
      secureFields: [phones]
      phoneRegion: DE
`,
    );
    expect((await runCli(['migrate', '--config', file], { cwd: dir, env })).code).toBe(0);
    await withStore(dir, async (store) => {
      await store.users.upsert({ id: 'alice', name: 'Alice Example', email: 'alice@example.com' });
      await store.contacts.create({ firstName: 'Cli', lastName: 'Contact', emails: ['cli@x.example'], phones: ['030 1234567'], company: 'Shown GmbH', owner: 'alice' });
      await store.contacts.create({ displayName: 'Not Delivered', company: 'Hidden Inc', owner: 'alice' });
    });

    const first = await runCli(['sync', '--once', '--config', file], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('carddav:alice: ok, 1 changed, 0 item error(s)');
    const client = await Client.open({ url: servers.radicale.url, username: user.username, password: user.password }, 'CRM');
    const cards = (await client.cards()).map((c) => parseCard(c.data).fields);
    expect(cards).toEqual([expect.objectContaining({ displayName: 'Cli Contact', company: 'Shown GmbH', phones: [] })]);

    await client.create(vcard(randomUUID(), 'From Phone', ['EMAIL:phone@x.example', 'TEL:+49 40 1111111']));
    const second = await runCli(['sync', '--once', '--config', file], { cwd: dir, env });
    expect(second.stdout).toContain('carddav:alice: ok, 1 changed, 0 item error(s)');
    await withStore(dir, async (store) => {
      const [imported] = (await store.contacts.list({ email: 'phone@x.example' }, { limit: 1 })).items;
      // Phones are secure: they neither leave the CRM nor come in from the client.
      expect(imported).toMatchObject({ displayName: 'From Phone', owner: 'alice', phones: [] });
    });
    const third = await runCli(['sync', '--once', '--config', file], { cwd: dir, env });
    expect(third.stdout).toContain('carddav:alice: ok, 0 changed, 0 item error(s)');
  });
});
