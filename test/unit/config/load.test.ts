import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { BridgeError } from '../../../src/domain/errors.js';
import { readFileSync } from 'node:fs';

function errorsOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfigText(text, env);
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe('CONFIG');
    return (error as BridgeError).details.map((detail) => `${detail.path}: ${detail.message}`);
  }
  throw new Error('expected the configuration to be rejected');
}

const user = (imap: string) => `
users:
  - id: alice
    name: Alice
    email: alice@example.com
    imap: ${imap}
`;

describe('configuration loading', () => {
  it('names the key path of a value with the wrong type', () => {
    expect(errorsOf(user('{ host: h, port: abc, username: u, password: p }'))).toContain('users[0].imap.port: expected a number');
  });

  it('reports every error at once, including missing keys and bad enum values', () => {
    const errors = errorsOf(`
server: { listen: nowhere }
users:
  - id: alice
    email: not-an-address
    imap: { host: h, port: 70000, security: ssl, username: u, password: p }
`);
    expect(errors).toEqual(
      expect.arrayContaining([
        'server.listen: expected host:port, e.g. 127.0.0.1:8080',
        'users[0].name: is required',
        'users[0].email: expected an e-mail address',
        'users[0].imap.port: must be at most 65535',
        'users[0].imap.security: expected none, starttls or tls',
      ]),
    );
  });

  it('substitutes ${VAR} and ${VAR:-default}, and keeps $${ literal', () => {
    const { config } = parseConfigText(
      `secretKey: \${KEY}
api: { tokens: [ { name: crm, token: "\${TOKEN:-fallback-token-0123456789}" } ] }
mail: { domain: "$\${literal}" }
${user('{ host: h, port: "${PORT}", security: none, username: u, password: "${PASS}" }')}`,
      { KEY: 'k'.repeat(20), PORT: '1143', PASS: 'p#: not yaml' },
    );
    expect(config.secretKey).toBe('k'.repeat(20));
    expect(config.api.tokens[0]?.token).toBe('fallback-token-0123456789');
    expect(config.mail.domain).toBe('${literal}');
    expect(config.users[0]?.imap).toMatchObject({ port: 1143, password: 'p#: not yaml', security: 'none' });
  });

  it('names the key whose environment variable is unset', () => {
    expect(errorsOf('secretKey: ${NOT_SET_ANYWHERE}')).toContain('secretKey: environment variable NOT_SET_ANYWHERE is not set');
  });

  it('drops API token entries whose token is empty, and rejects short ones', () => {
    const { config } = parseConfigText('api: { tokens: [ { name: crm, token: "${UNSET:-}" } ] }', {});
    expect(config.api.tokens).toEqual([]);
    expect(errorsOf('api: { tokens: [ { name: crm, token: short } ] }')).toContain('api.tokens[0].token: must be at least 16 characters');
  });

  it('rejects duplicate ids and dangling references', () => {
    const errors = errorsOf(`
users:
  - { id: alice, name: A, email: a@example.com }
  - { id: alice, name: B, email: b@example.com }
sharedMailboxes:
  - id: support
    address: support@example.com
    owner: zoe
    imap: { host: h, port: 143, username: u, password: p }
`);
    expect(errors).toContain('users[1].id: duplicate user id "alice" (also at index 0)');
    expect(errors).toContain('sharedMailboxes[0].owner: no user with id "zoe"');
  });

  it('warns about unknown keys without failing', () => {
    const { warnings } = parseConfigText(`${user('{ host: h, port: 143, username: u, password: p, hots: x }')}\nsevrer: {}`, {});
    expect(warnings.map((warning) => warning.path)).toEqual(['users[0].imap.hots', 'sevrer']);
  });

  it('reports YAML syntax errors with a line number', () => {
    const [first] = errorsOf('users: [\n  - id: a\n');
    expect(first).toMatch(/^line \d+, column \d+: /);
  });

  it('fills defaults that the contract documents', () => {
    const { config } = parseConfigText(user('{ host: h, port: 993, username: u, password: p }'), {});
    expect(config.database).toBe('sqlite:./data/crm-bridge.db');
    expect(config.server.listen).toBe('127.0.0.1:8080');
    expect(config.users[0]?.imap?.security).toBe('tls');
    expect(config.users[0]?.mail).toMatchObject({ trackedFolders: ['CRM'], trackingKeyword: '$CRM', autoTrack: 'replies' });
    expect(config.users[0]?.contacts).toEqual({
      addressBook: 'CRM',
      direction: 'two-way',
      filter: { owned: true, accounts: true },
      fields: ['firstName', 'lastName', 'displayName', 'emails', 'phones', 'company', 'title'],
      secureFields: [],
      maxCardBytes: 1048576,
    });
  });

  it('mail.maxMessageBytes: 50 MiB by default; a value too small names the key', () => {
    expect(parseConfigText(user('{ host: h, port: 993, username: u, password: p }'), {}).config.mail.maxMessageBytes).toBe(52_428_800);
    expect(parseConfigText('mail: { maxMessageBytes: 1048576 }\n', {}).config.mail.maxMessageBytes).toBe(1_048_576);
    expect(errorsOf('mail: { maxMessageBytes: 100 }\n')).toEqual([expect.stringMatching(/^mail\.maxMessageBytes: /)]);
  });

  it("accepts the Docker image's and the demo's configurations, on SQLite by default and on PostgreSQL from CRM_BRIDGE_DATABASE", () => {
    for (const file of ['docker/config.docker.yaml', 'docker/demo/crm-bridge.yaml']) {
      const text = readFileSync(file, 'utf8');
      const env = { CRM_BRIDGE_API_TOKEN: 'a-demo-token-0123456789' };
      expect(parseConfigText(text, env).config, file).toMatchObject({ database: 'sqlite:/data/crm-bridge.db', server: { listen: '0.0.0.0:8080' } });
      const shared = parseConfigText(text, { ...env, CRM_BRIDGE_DATABASE: 'postgres://crm:pw@postgres:5432/crm_bridge', CRM_BRIDGE_PORT: '9090' }).config;
      // The image's health check asks CRM_BRIDGE_PORT: the listen address follows it.
      expect(shared, file).toMatchObject({ database: 'postgres://crm:pw@postgres:5432/crm_bridge', server: { listen: '0.0.0.0:9090' } });
    }
  });

  it('keeps attachments as files by default, and in the database only on PostgreSQL', () => {
    expect(parseConfigText('{}\n', {}).config.attachments.store).toBe('filesystem');
    expect(parseConfigText('database: postgres://u:p@db:5432/crm\nattachments: { store: database }\n', {}).config.attachments.store).toBe('database');
    expect(errorsOf('attachments: { store: database }\n')).toEqual([expect.stringMatching(/^attachments\.store: database needs a PostgreSQL database/)]);
    expect(errorsOf('attachments: { store: s3 }\n')).toEqual([expect.stringMatching(/^attachments\.store: /)]);
  });

  it('accepts config.example.yaml and the example from CONTRACT.md', () => {
    expect(() => parseConfigText(readFileSync('config.example.yaml', 'utf8'), {})).not.toThrow();
    const contract = `
database: sqlite:./data/crm-bridge.db
server: { listen: 127.0.0.1:8080, publicUrl: http://127.0.0.1:8080 }
secretKey: \${CRM_BRIDGE_SECRET_KEY}
api: { tokens: [ { name: crm, token: \${CRM_BRIDGE_API_TOKEN} } ] }
mail: { domain: example.com, trackingToken: { enabled: true, prefix: "CRM:" } }
users:
  - id: alice
    name: Alice Example
    email: alice@example.com
    imap:    { host: 127.0.0.1, port: 143, security: none, username: alice@example.com, password: secret }
    smtp:    { host: 127.0.0.1, port: 25,  security: none, username: alice@example.com, password: secret }
    caldav:  { url: http://127.0.0.1:5232/alice/, username: alice, password: secret }
    carddav: { url: http://127.0.0.1:5232/alice/, username: alice, password: secret }
    mail: { trackedFolders: [CRM], trackingKeyword: $CRM, autoTrack: replies, sentFolder: Sent }
    calendar: { crmCalendar: CRM, trackCategory: CRM }
    tasks:    { crmTaskList: CRM }
    contacts: { addressBook: CRM, direction: two-way }
sharedMailboxes:
  - id: support
    address: support@example.com
    imap: { host: 127.0.0.1, port: 143, security: none, username: support@example.com, password: secret }
    folders: [INBOX]
    unknownSender: lead
    processed: { keyword: $CRMImported }
`;
    const { config, warnings } = parseConfigText(contract, { CRM_BRIDGE_SECRET_KEY: 's'.repeat(32), CRM_BRIDGE_API_TOKEN: 't'.repeat(32) });
    expect(warnings).toEqual([]);
    expect(config.sharedMailboxes[0]?.processed).toEqual({ keyword: '$CRMImported' });
    expect(config.users[0]?.caldav?.url).toBe('http://127.0.0.1:5232/alice/');
  });
});

describe('sync isolation keys', () => {
  it('defaults to 4 sources at once, 900 s per pass and 120 s per command', () => {
    const { config } = parseConfigText('users: []', {});
    expect(config.sync).toMatchObject({ concurrency: 4, sourceDeadlineSeconds: 900, commandTimeoutSeconds: 120 });
  });

  it('names the key of a value out of range', () => {
    const errors = errorsOf('sync: { concurrency: 0, sourceDeadlineSeconds: 0, commandTimeoutSeconds: 1.5 }');
    expect(errors.some((e) => e.startsWith('sync.concurrency: '))).toBe(true);
    expect(errors.some((e) => e.startsWith('sync.sourceDeadlineSeconds: '))).toBe(true);
    expect(errors.some((e) => e.startsWith('sync.commandTimeoutSeconds: '))).toBe(true);
  });
});
