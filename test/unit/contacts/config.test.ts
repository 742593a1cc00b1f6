import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { BridgeError } from '../../../src/domain/errors.js';
import { contactSyncSpecOf } from '../../../src/sync/contacts/contacts-runner.js';

const withContacts = (contacts: string) => `
users:
  - id: alice
    name: Alice
    email: alice@example.com
    carddav: { url: http://127.0.0.1:5232/, username: alice, password: secret }
    contacts: ${contacts}
`;

function errorsOf(text: string): string[] {
  try {
    parseConfigText(text, {});
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    return (error as BridgeError).details.map((detail) => `${detail.path}: ${detail.message}`);
  }
  throw new Error('expected the configuration to be rejected');
}

describe('users[].contacts configuration', () => {
  it('has safe defaults and turns into a sync spec (fields minus secure fields, displayName always)', () => {
    const { config } = parseConfigText(withContacts('{ secureFields: [phones, title], fields: [emails, phones, title, company], phoneRegion: de }'), {});
    expect(config.users[0]?.contacts).toMatchObject({ addressBook: 'CRM', direction: 'two-way', filter: { owned: true, accounts: true }, phoneRegion: 'DE', maxCardBytes: 1048576 });
    const spec = contactSyncSpecOf(config, { id: 'carddav:alice', kind: 'carddav', ownerId: 'alice', location: '' });
    expect(spec.fields).toEqual(['displayName', 'emails', 'company']);
    expect(spec.filter.where).toEqual([]);
  });

  it('names the key path of a bad filter expression, secure displayName, unknown field or region', () => {
    expect(errorsOf(withContacts(`{ filter: { where: 'colour = red' } }`))).toContainEqual(expect.stringMatching(/^users\[0\]\.contacts\.filter\.where: unknown field "colour"/));
    expect(errorsOf(withContacts('{ secureFields: [displayName] }'))).toContainEqual(expect.stringMatching(/^users\[0\]\.contacts\.secureFields: displayName cannot be secure/));
    expect(errorsOf(withContacts('{ fields: [birthday] }'))).toContainEqual(expect.stringMatching(/^users\[0\]\.contacts\.fields\[0\]: expected firstName, lastName/));
    expect(errorsOf(withContacts('{ phoneRegion: XX }'))).toContainEqual(expect.stringMatching(/^users\[0\]\.contacts\.phoneRegion: expected one of AT, AU/));
    expect(errorsOf(withContacts('{ direction: one-way }'))).toContainEqual('users[0].contacts.direction: expected two-way or crm-to-client');
  });
});
