// Scale-out on PostgreSQL (issue 14), end to end: three `serve` processes on one database share six
// shared mailboxes on the real Dovecot. They spread the sources 2/2/2; mail then arrives in all six,
// and while it is being imported the process holding the most sources is killed with SIGKILL (no
// shutdown, its transactions cut off). The other two take its sources over, and in the end every
// message is exactly one activity with one source and carries the processed keyword, and every
// source is held by exactly one live process. And a CRM change made through any process reaches the
// calendar of a user whose source another process holds "at once" (the sync interval is 5 minutes).
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SOURCE_LOCK_SPACE } from '../../../src/store/lock-spaces.js';
import { adminQuery } from '../../servers/postgres.js';
import { createMailUsers } from '../../servers/users.js';
import { eventually, runCli, startServe, tempDir, writeConfig } from '../../support/cli.js';
import { appendMessages, buildMessage, imapClient } from '../../support/mail.js';
import { calendarUser, clientSession } from '../calendar/support.js';

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


/** OS pid of each process -> how many sources it holds (from the claims connection's application_name). */
async function holdingsOf(db: pg.Client): Promise<Map<number, number>> {
  const { rows } = await db.query<{ app: string; held: string }>(
    `select a.application_name as app, count(*) as held from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.classid = $1::int::oid and l.granted and l.database = (select oid from pg_database where datname = current_database())
      group by a.application_name`,
    [SOURCE_LOCK_SPACE],
  );
  return new Map(rows.map((row) => [Number(/pid=(\d+)/.exec(row.app)?.[1]), Number(row.held)]));
}

async function newDatabase(): Promise<pg.Client> {
  await adminQuery(postgres, `create database ${name}`);
  const db = new pg.Client({ connectionString: `${postgres.baseUrl}${name}` });
  await db.connect();
  clients.push(db);
  return db;
}

/** Several processes' configuration: the test's database, and one shared mailbox (marked when imported) per user. */
function sharedMailboxesConfig(users: ReadonlyArray<{ username: string }>, prefix: string): string {
  return [
    `database: ${postgres.baseUrl}${name}`,
    'server: { listen: "127.0.0.1:0" }',
    'secretKey: scale-out-secret-key-0123456789',
    'logging: { level: warn }',
    'sharedMailboxes:',
    ...users.map((user, i) => `  - { id: ${prefix}${i}, address: ${user.username}, processed: { keyword: $CRMImported }, imap: { host: ${servers.dovecot.host}, port: ${servers.dovecot.imapPort}, security: none, username: ${user.username}, password: secret } }`),
    '',
  ].join('\n');
}

describe('three serve processes on one PostgreSQL (real Dovecot)', () => {
  it('spread the sources, and when one is killed mid-import the others finish it: every message exactly once', async () => {
    const mailboxes = 6;
    const perMailbox = 150;
    const total = mailboxes * perMailbox;
    const users = await createMailUsers(servers, Array.from({ length: mailboxes }, (_, i) => `shared${i}`));
    const db = await newDatabase();
    const dir = tempDir();
    const file = writeConfig(dir, sharedMailboxesConfig(users, 'box'));
    const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> => (await db.query<T>(text, values)).rows;

    // One after the other, as an operator would start them: the first takes everything, then gives back.
    for (let i = 0; i < 3; i += 1) running.push(await startServe(file, dir));
    const holdings = () => holdingsOf(db);
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

  it('a CRM change made through either process reaches the calendar at once, whichever process holds it (Radicale)', async () => {
    const users = await Promise.all([calendarUser(servers, 'radicale'), calendarUser(servers, 'radicale')]);
    const db = await newDatabase();
    const dir = tempDir();
    const token = 'scale-out-token-0123456789';
    const file = writeConfig(dir, [
      `database: ${postgres.baseUrl}${name}`,
      'server: { listen: "127.0.0.1:0" }',
      'secretKey: scale-out-secret-key-0123456789',
      'logging: { level: warn }',
      `api: { tokens: [{ name: crm, token: ${token} }] }`,
      'sync: { intervalSeconds: 300 }',
      'users:',
      ...users.map((user, i) => `  - { id: u${i}, name: User ${i}, email: ${user.email}, caldav: { url: ${user.caldav.url}, username: ${user.caldav.username}, password: ${user.caldav.password} }, calendar: { crmCalendar: ${user.crmCalendar} } }`),
      '',
    ].join('\n'));
    for (let i = 0; i < 2; i += 1) running.push(await startServe(file, dir));
    // One source each, and each has made its CRM calendar (its first pass).
    await eventually(async () => {
      const held = await holdingsOf(db);
      return running.every((serve) => held.get(serve.pid) === 1) ? true : undefined;
    }, 40_000);
    const sessions = await Promise.all(users.map((user) => clientSession(user)));
    const calendars = await Promise.all(sessions.map((session, i) => eventually(async () => (await session.listCalendars()).find((entry) => entry.displayName === users[i]!.crmCalendar), 30_000)));

    // An appointment for each user through each process: for each user one of the two goes through
    // the process that does not hold that user's calendar.
    const hour = 3_600_000;
    const start = new Date(Math.ceil(Date.now() / hour) * hour + 5 * hour);
    const created: Array<{ user: number; id: string }> = [];
    for (const [p, serve] of running.entries()) {
      for (const user of [0, 1]) {
        const response = await fetch(`${serve.url}/api/v1/appointments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ owner: `u${user}`, subject: `Via process ${p} for u${user}`, start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString() }),
        });
        expect(response.status).toBe(201);
        created.push({ user, id: ((await response.json()) as { id: string }).id });
      }
    }
    for (const { user, id } of created) {
      const href = `${calendars[user]!.href}crm-bridge-${id}.ics`;
      await eventually(async () => (await sessions[user]!.fetch(calendars[user]!, [href]))[0], 20_000);
    }
  }, 180_000);

  it('sync --once next to a running serve syncs every source too, and nothing is imported twice', async () => {
    const users = await createMailUsers(servers, ['once0', 'once1']);
    const db = await newDatabase();
    const dir = tempDir();
    const perMailbox = 300;
    for (const [i, user] of users.entries()) {
      const client = await imapClient(servers, user.username);
      try {
        await appendMessages(client, 'INBOX', Array.from({ length: perMailbox }, (_, n) => buildMessage({ subject: `Once ${i}/${n}` })));
      } finally {
        await client.logout();
      }
    }
    const file = writeConfig(dir, sharedMailboxesConfig(users, 'once'));
    // serve and sync --once import the same two mailboxes at the same time.
    const serve = await startServe(file, dir);
    running.push(serve);
    const beside = await runCli(['sync', '--once', '--config', file], { cwd: dir });
    expect(beside.code, beside.stderr).toBe(0);
    for (const i of [0, 1]) expect(beside.stdout).toMatch(new RegExp(`^shared-mailbox:once${i}: ok`, 'm'));
    const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
    await eventually(async () => ((await count('select count(*) as n from activities')) >= 2 * perMailbox ? true : undefined), 30_000);
    // serve still holds both: a passing command takes no source from it.
    expect((await holdingsOf(db)).get(serve.pid)).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await count('select count(*) as n from activities')).toBe(2 * perMailbox);
    expect(await count('select count(distinct message_key) as n from activities')).toBe(2 * perMailbox);
    expect(await count('select count(*) as n from activity_sources')).toBe(2 * perMailbox);
  }, 120_000);
});
