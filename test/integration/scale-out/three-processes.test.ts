// Scale-out on PostgreSQL (issue 14), end to end: three `serve` processes on one database share six
// shared mailboxes on the real Dovecot. They spread the sources 2/2/2; mail then arrives in all six,
// and while it is being imported the process holding the most sources is killed with SIGKILL (no
// shutdown, its transactions cut off). The other two take its sources over, and in the end every
// message is exactly one activity with one source and carries the processed keyword, and every
// source is held by exactly one live process.
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SOURCE_LOCK_SPACE } from '../../../src/store/lock-spaces.js';
import { adminQuery } from '../../servers/postgres.js';
import { createMailUsers } from '../../servers/users.js';
import { eventually, startServe, tempDir, writeConfig } from '../../support/cli.js';
import { appendMessages, buildMessage, imapClient } from '../../support/mail.js';

const servers = inject('servers');
const postgres = inject('postgres');
const name = `scale_${process.pid}_${Date.now()}`;
const clients: pg.Client[] = [];
const running: Array<Awaited<ReturnType<typeof startServe>>> = [];

afterEach(async () => {
  for (const serve of running.splice(0)) await serve.stop('SIGKILL').catch(() => undefined);
  for (const client of clients.splice(0)) await client.end().catch(() => undefined);
  await adminQuery(postgres, `drop database if exists ${name} with (force)`);
});


describe('three serve processes on one PostgreSQL (real Dovecot)', () => {
  it('spread the sources, and when one is killed mid-import the others finish it: every message exactly once', async () => {
    const mailboxes = 6;
    const perMailbox = 150;
    const total = mailboxes * perMailbox;
    const users = await createMailUsers(servers, Array.from({ length: mailboxes }, (_, i) => `shared${i}`));
    await adminQuery(postgres, `create database ${name}`);
    const url = `${postgres.baseUrl}${name}`;
    const dir = tempDir();
    const file = writeConfig(dir, [
      `database: ${url}`,
      'server: { listen: "127.0.0.1:0" }',
      'secretKey: scale-out-secret-key-0123456789',
      'logging: { level: warn }',
      'sharedMailboxes:',
      ...users.map((user, i) => `  - { id: box${i}, address: ${user.username}, processed: { keyword: $CRMImported }, imap: { host: ${servers.dovecot.host}, port: ${servers.dovecot.imapPort}, security: none, username: ${user.username}, password: secret } }`),
      '',
    ].join('\n'));
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    clients.push(db);
    const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> => (await db.query<T>(text, values)).rows;

    // One after the other, as an operator would start them: the first takes everything, then gives back.
    for (let i = 0; i < 3; i += 1) running.push(await startServe(file, dir));
    /** OS pid of each process -> how many sources it holds (from the claims connection's application_name). */
    const holdings = async (): Promise<Map<number, number>> => {
      const rows = await query<{ app: string; held: string }>(
        `select a.application_name as app, count(*) as held from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where l.locktype = 'advisory' and l.classid = $1::int::oid and l.granted and l.database = (select oid from pg_database where datname = current_database())
          group by a.application_name`,
        [SOURCE_LOCK_SPACE],
      );
      return new Map(rows.map((row) => [Number(/pid=(\d+)/.exec(row.app)?.[1]), Number(row.held)]));
    };
    const spread = await eventually(async () => {
      const held = await holdings();
      return running.every((serve) => held.get(serve.pid) === 2) ? held : undefined;
    }, 40_000);
    expect([...spread.values()]).toEqual([2, 2, 2]);

    // Mail arrives in all six mailboxes at once (the owners' IDLE connections hear of it).
    const activities = async () => Number((await query<{ n: string }>('select count(*) as n from activities'))[0]!.n);
    const arriving = Promise.all(
      users.map(async (user, i) => {
        const client = await imapClient(servers, user.username);
        try {
          await appendMessages(client, 'INBOX', Array.from({ length: perMailbox }, (_, n) => buildMessage({ subject: `Box ${i} message ${n}`, body: `Body ${i}/${n} `.repeat(100) })));
        } finally {
          await client.logout();
        }
      }),
    );
    await eventually(async () => ((await activities()) >= total / 4 ? true : undefined), 60_000);
    const held = await holdings();
    const victim = running.reduce((best, serve) => ((held.get(serve.pid) ?? 0) > (held.get(best.pid) ?? 0) ? serve : best));
    expect(held.get(victim.pid)).toBeGreaterThan(0);
    await victim.stop('SIGKILL');
    running.splice(running.indexOf(victim), 1);
    const atKill = await activities();
    await arriving;
    expect(atKill, 'killed mid-import').toBeLessThan(total);

    // The survivors take the dead process's sources over (3 each) and finish.
    await eventually(async () => {
      const now = await holdings();
      return running.every((serve) => now.get(serve.pid) === 3) && !now.has(victim.pid) ? true : undefined;
    }, 30_000);
    const processedEverywhere = async () => {
      for (const user of users) {
        const client = await imapClient(servers, user.username);
        try {
          const lock = await client.getMailboxLock('INBOX');
          try {
            if ((await client.search({ unKeyword: '$CRMImported' }, { uid: true }) || []).length > 0) return undefined;
          } finally {
            lock.release();
          }
        } finally {
          await client.logout();
        }
      }
      return true;
    };
    await eventually(async () => ((await activities()) >= total && (await processedEverywhere()) ? true : undefined), 90_000);
    const counts = (await query<{ activities: string; keys: string; sources: string; tracked: string }>(
      `select (select count(*) from activities) as activities, (select count(distinct message_key) from activities) as keys,
              (select count(*) from activity_sources) as sources, (select count(*) from mail_messages where state = 'tracked') as tracked`,
    ))[0]!;
    expect(counts).toEqual({ activities: String(total), keys: String(total), sources: String(total), tracked: String(total) });
    // Each source by exactly one live process (a lock has one holder; all six are held).
    const final = await holdings();
    expect([...final.values()].reduce((a, b) => a + b, 0)).toBe(mailboxes);
  }, 240_000);
});
