import { describe, expect, it } from 'vitest';
import { mergeUiConfig, originOf } from '../../../src/config/merge-ui.js';
import { configSchema } from '../../../src/config/schema.js';

const imap = { host: '127.0.0.1', port: 143, security: 'none', username: 'u', password: 'p' };

function yaml() {
  return configSchema.parse({
    users: [{ id: 'alice', name: 'Alice', email: 'alice@example.com', imap }],
    sharedMailboxes: [{ id: 'support', address: 'support@example.com', imap }],
  });
}

describe('merging the admin UI configuration with the YAML', () => {
  it('adds UI users and shared mailboxes after the YAML ones, validated and with defaults filled', () => {
    const merged = mergeUiConfig(yaml(), {
      users: [{ id: 'bob', document: { id: 'bob', name: 'Bob', email: 'bob@example.com', imap: { ...imap, port: '993' }, mail: { autoTrack: 'all' } } }],
      sharedMailboxes: [{ id: 'sales', document: { id: 'sales', address: 'sales@example.com', imap, owner: 'bob' } }],
    });
    expect(merged.problems).toEqual([]);
    expect(merged.config.users.map((user) => user.id)).toEqual(['alice', 'bob']);
    const bob = merged.config.users[1]!;
    expect(bob.imap?.port).toBe(993);
    expect(bob.mail).toMatchObject({ autoTrack: 'all', trackedFolders: ['CRM'], trackingKeyword: '$CRM' });
    expect(merged.config.sharedMailboxes.map((box) => box.id)).toEqual(['support', 'sales']);
    expect(merged.config.sharedMailboxes[1]).toMatchObject({ folders: ['INBOX'], unknownSender: 'unresolved', processed: { keyword: '$CRMImported' } });
    expect(originOf(merged, 'user', 'alice')).toBe('yaml');
    expect(originOf(merged, 'user', 'bob')).toBe('ui');
    expect(originOf(merged, 'shared-mailbox', 'sales')).toBe('ui');
  });

  it('lets the YAML win for an id it declares (case-insensitively), whatever the UI entry says', () => {
    const merged = mergeUiConfig(yaml(), {
      users: [{ id: 'Alice', document: { id: 'Alice', name: 'Other', email: 'other@example.com' } }],
      sharedMailboxes: [{ id: 'support', document: { id: 'support', address: 'x@example.com', imap, folders: ['Other'] } }],
    });
    expect(merged.config.users).toHaveLength(1);
    expect(merged.config.users[0]).toMatchObject({ id: 'alice', name: 'Alice' });
    expect(merged.config.sharedMailboxes[0]!.folders).toEqual(['INBOX']);
    expect(originOf(merged, 'user', 'alice')).toBe('yaml');
    expect(merged.problems).toEqual([]);
  });

  it('leaves out UI entries that do not validate, reuse an e-mail address or name a missing owner, saying why with the key path', () => {
    const merged = mergeUiConfig(yaml(), {
      users: [
        { id: 'carol', document: { id: 'carol', name: 'Carol', email: 'not-an-address', imap: { ...imap, port: 'x' } } },
        { id: 'dave', document: { id: 'dave', name: 'Dave', email: 'ALICE@example.com' } },
        { id: 'erin', document: { id: 'frank', name: 'Erin', email: 'erin@example.com' } },
      ],
      sharedMailboxes: [{ id: 'ops', document: { id: 'ops', address: 'ops@example.com', imap, owner: 'nobody' } }],
    });
    expect(merged.config.users.map((user) => user.id)).toEqual(['alice']);
    expect(merged.config.sharedMailboxes.map((box) => box.id)).toEqual(['support']);
    const messages = Object.fromEntries(merged.problems.map((problem) => [problem.id, problem.message]));
    expect(messages['carol']).toContain('email: expected an e-mail address');
    expect(messages['carol']).toContain('imap.port: expected a number');
    expect(messages['dave']).toContain('another user already has ALICE@example.com');
    expect(messages['erin']).toContain('id: the entry says "frank"');
    expect(messages['ops']).toContain('owner: no user with id "nobody"');
  });

  it('keeps the rest of the YAML configuration as it is', () => {
    const base = yaml();
    const merged = mergeUiConfig(base, { users: [], sharedMailboxes: [] });
    expect(merged.config).toEqual(base);
  });
});
