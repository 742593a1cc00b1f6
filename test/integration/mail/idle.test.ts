import { describe, expect, inject, it } from 'vitest';
import { freePort, startServe, tempDir, writeConfig } from '../../support/cli.js';
import { imapTargets } from '../../support/imap-targets.js';
import { buildMessage, newMessageId } from '../../support/mail.js';

const servers = inject('servers');
const token = 'idle-test-token-0123456789';

describe.each(imapTargets(servers))('serve keeps IDLE connections on $title', (imap) => {
  it('turns mail appended to the tracked folder into an activity within about a second', async () => {
    const [alice] = await imap.createUsers(['alice']);
    const crm = imap.folder('CRM');
    const dir = tempDir();
    const port = await freePort();
    const file = writeConfig(dir, `
database: sqlite:./data/bridge.db
secretKey: idle-test-secret-key-0123456789
server: { listen: 127.0.0.1:${port} }
logging: { level: warn }
api: { tokens: [ { name: t, token: ${token} } ] }
sync: { intervalSeconds: 3600 }
users:
  - id: alice
    name: Alice
    email: ${alice!.address}
    imap: { host: ${imap.host}, port: ${imap.port}, security: none, username: ${alice!.username}, password: secret }
    mail: { autoTrack: none }
`);
    const server = await startServe(file, dir);
    const client = await imap.client(alice!);
    try {
      const activities = async () => {
        const response = await fetch(`${server.url}/api/v1/activities`, { headers: { authorization: `Bearer ${token}` } });
        return ((await response.json()) as { items: Array<{ messageId: string }> }).items;
      };
      // The first pass creates the CRM folder and starts the watchers.
      const deadline = Date.now() + 20_000;
      while (!(await client.list()).some((folder) => folder.path === crm) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500));
      const latencies: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const id = newMessageId();
        const started = Date.now();
        await client.append(crm, buildMessage({ messageId: id, subject: `idle ${i}` }));
        while (!(await activities()).some((activity) => activity.messageId === id)) {
          if (Date.now() - started > 10_000) throw new Error(`message ${i} did not arrive within 10 s:\n${server.output().stdout}\n${server.output().stderr}`);
          await new Promise((r) => setTimeout(r, 25));
        }
        latencies.push(Date.now() - started);
      }
      // Measured in bench/imap-import; here only a generous bound that polling at 3600 s could never meet.
      expect(Math.max(...latencies)).toBeLessThan(3000);
    } finally {
      await client.logout();
      expect(await server.stop()).toBe(0);
    }
  });
});
