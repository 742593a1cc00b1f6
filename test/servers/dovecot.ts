// A private Dovecot instance for integration tests: own config, base_dir, state and log in
// a fresh temp dir; IMAP (plaintext, no TLS) and LMTP on free loopback ports; passwd-file
// users with Maildir homes in the temp dir. When the test process is root, the whole
// Dovecot (master and every service) runs as the unprivileged system user `crmbridge-test`.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { assertServerPackages } from './ensure-packages.mjs';
import type { Credentials, DovecotInfo } from './types.js';
import { addDovecotUser, DEFAULT_PASSWORD, dovecotPasswdLine } from './users.js';
import {
  findFreePort,
  lookupUser,
  LOOPBACK,
  readGreeting,
  serverLifetime,
  spawnServer,
  startOnFreePorts,
  traversableByOthers,
  waitUntilReady,
} from './util.js';

export const SERVICE_USER = 'crmbridge-test';

export const PRESET_MAIL_USERS: readonly string[] = [
  'alice@example.com',
  'bob@example.com',
  'support@example.com',
  'sales@example.com',
];

/** Capabilities the bridge relies on; start-up fails if Dovecot does not announce them. */
export const REQUIRED_IMAP_CAPABILITIES: readonly string[] = ['IMAP4REV1', 'IDLE', 'CONDSTORE', 'QRESYNC'];

export interface DovecotServer {
  info: DovecotInfo;
  addUser(username: string, password?: string): Promise<Credentials>;
  stop(): Promise<void>;
}

export interface StartDovecotOptions {
  /** Extra users to create before start (password `secret` unless given). */
  users?: readonly (string | Credentials)[];
  startTimeoutMs?: number;
  /** Appended verbatim to the generated dovecot.conf (e.g. `auth_debug = yes`). */
  extraConfig?: string;
  /**
   * Folder layout of the personal namespace. `default`: separator `/`, no prefix, Drafts, Sent,
   * Trash, Junk, Archive. `cyrus`: Cyrus/Courier style, prefix `INBOX.` and separator `.`, so every
   * folder (INBOX.Sent, INBOX.Trash, new ones) lives below INBOX. `gmail`: separator `/`, special-use
   * folders below `[Gmail]/` (Sent Mail, All Mail, Trash, Spam, Drafts) as Gmail's IMAP shows them.
   */
  layout?: DovecotLayout;
}

export type DovecotLayout = 'default' | 'cyrus' | 'gmail';

/** The IMAP hierarchy separator each layout announces. */
export function separatorOf(layout: DovecotLayout): string {
  return layout === 'cyrus' ? '.' : '/';
}

interface RunAs {
  user: string;
  group: string;
  uid: number;
  gid: number;
  /** Whether we must pass uid/gid to spawn (we are root). */
  switchUser: boolean;
}

/**
 * The account Dovecot runs as: the current user, or (when root) the unprivileged system
 * user `crmbridge-test`, created on first use.
 */
export function ensureServiceUser(): RunAs {
  const myUid = process.getuid?.() ?? -1;
  if (myUid !== 0) {
    const me = userInfo();
    const group = lookupUser()?.group ?? String(me.gid);
    return { user: me.username, group, uid: me.uid, gid: me.gid, switchUser: false };
  }
  let ids = lookupUser(SERVICE_USER);
  if (ids === undefined) {
    try {
      execFileSync(
        'useradd',
        ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', SERVICE_USER],
        { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin` } },
      );
    } catch (err) {
      // Another process may have created it concurrently; re-check before failing.
      if (lookupUser(SERVICE_USER) === undefined) {
        const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
        throw new Error(`could not create the unprivileged test user ${SERVICE_USER} with useradd: ${stderr}`);
      }
    }
    ids = lookupUser(SERVICE_USER);
    if (ids === undefined) throw new Error(`user ${SERVICE_USER} still missing after useradd`);
  }
  return { user: SERVICE_USER, group: ids.group, uid: ids.uid, gid: ids.gid, switchUser: true };
}

/** One special-use mailbox of the INBOX namespace, created and subscribed on first login. */
function specialMailbox(name: string, use: string): string {
  const quoted = /^[A-Za-z]+$/.test(name) ? name : `"${name}"`;
  return `  mailbox ${quoted} {\n    special_use = \\${use}\n    auto = subscribe\n  }\n`;
}

/** The `namespace inbox` block of the layout; `default` is the harness's original text, unchanged. */
function inboxNamespace(layout: DovecotLayout, separator: string): string {
  if (layout === 'cyrus') {
    // Mailbox names in a namespace section are given without the namespace prefix.
    const mailboxes: [string, string][] = [['Drafts', 'Drafts'], ['Sent', 'Sent'], ['Trash', 'Trash'], ['Junk', 'Junk']];
    return `namespace inbox {\n  inbox = yes\n  prefix = INBOX.\n  separator = ${separator}\n${mailboxes.map(([name, use]) => specialMailbox(name, use)).join('')}}\n\n`;
  }
  if (layout === 'gmail') {
    // RFC 6154 attributes as Gmail announces them (Gmail also names its labels with `/`).
    const mailboxes: [string, string][] = [['[Gmail]/Drafts', 'Drafts'], ['[Gmail]/Sent Mail', 'Sent'], ['[Gmail]/All Mail', 'All'], ['[Gmail]/Trash', 'Trash'], ['[Gmail]/Spam', 'Junk']];
    // LAYOUT=fs makes `[Gmail]` a plain directory (once a folder below it is used), listed as a
    // \Noselect container as on Gmail.
    return `namespace inbox {\n  inbox = yes\n  separator = ${separator}\n  location = maildir:~/Maildir:LAYOUT=fs\n${mailboxes.map(([name, use]) => specialMailbox(name, use)).join('')}}\n\n`;
  }
  return `namespace inbox {
  inbox = yes
  separator = ${separator}
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}

`;
}

function dovecotConfig(o: {
  dataDir: string;
  runAs: RunAs;
  imapPort: number;
  lmtpPort: number;
  passwdFile: string;
  logFile: string;
  separator: string;
  layout: DovecotLayout;
}): string {
  const { dataDir, runAs } = o;
  // Chroots need root; anything that would chroot is configured not to.
  const noChroot = ['ipc', 'old-stats', 'aggregator', 'director', 'imap-urlauth-login', 'pop3-login', 'submission-login']
    .map((s) => `service ${s} {\n  chroot =\n}\n`)
    .join('');
  return `# Generated by test/servers/dovecot.ts for one test run.
instance_name = crmbridge-test-${randomBytes(4).toString('hex')}
base_dir = ${dataDir}/run
state_dir = ${dataDir}/state
log_path = ${o.logFile}
info_log_path = ${o.logFile}
log_timestamp = "%Y-%m-%d %H:%M:%S "
protocols = imap lmtp
listen = ${LOOPBACK}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Failed logins answer at once (default 2 secs) so wrong-password tests stay fast.
auth_failure_delay = 0
hostname = mail.example.test
postmaster_address = postmaster@example.com
login_greeting = crm-bridge test Dovecot ready.

default_login_user = ${runAs.user}
default_internal_user = ${runAs.user}
default_internal_group = ${runAs.group}
first_valid_uid = ${runAs.uid}
last_valid_uid = ${runAs.uid}
first_valid_gid = ${runAs.gid}
last_valid_gid = ${runAs.gid}
mail_privileged_group =

mail_location = maildir:~/Maildir
mail_fsync = never
# Tests poll right after delivery; keep IDLE notifications prompt.
mailbox_idle_check_interval = 1 secs

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${o.passwdFile}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${o.passwdFile}
}

${inboxNamespace(o.layout, o.separator)}service imap-login {
  chroot =
  inet_listener imap {
    address = ${LOOPBACK}
    port = ${o.imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
# Disable anvil's per-IP "auth penalty": after failed logins it delays every later login
# from 127.0.0.1 by 2-15 s, so wrong-password tests would slow down all the others. An
# auth process that cannot reach this listener runs without the penalty.
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = ${LOOPBACK}
    port = ${o.lmtpPort}
  }
}
${noChroot}`;
}

/** Minimal raw IMAP exchange: LOGIN, CAPABILITY, LOGOUT; returns the capability list. */
export function imapCapabilitiesAfterLogin(host: string, port: number, creds: Credentials, timeoutMs = 5000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let buf = '';
    let step = 0;
    let caps: string[] = [];
    const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    const fail = (msg: string): void => {
      clearTimeout(timer);
      sock.destroy();
      reject(new Error(msg));
    };
    const timer = setTimeout(() => fail(`IMAP probe timed out; transcript: ${buf}`), timeoutMs);
    sock.on('error', (err) => fail(`IMAP probe: ${err.message}`));
    sock.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      if (step === 0 && /^\* OK/m.test(buf)) {
        step = 1;
        sock.write(`a1 LOGIN ${quote(creds.username)} ${quote(creds.password)}\r\n`);
      } else if (step === 1 && /^a1 (OK|NO|BAD)/m.test(buf)) {
        if (!/^a1 OK/m.test(buf)) return fail(`IMAP LOGIN as ${creds.username} failed: ${buf.trim()}`);
        step = 2;
        sock.write('a2 CAPABILITY\r\n');
      } else if (step === 2 && /^a2 (OK|NO|BAD)/m.test(buf)) {
        const m = /^\* CAPABILITY (.*)$/m.exec(buf.split('a1 OK')[1] ?? buf);
        caps = (m?.[1] ?? '').trim().split(/\s+/).map((c) => c.toUpperCase());
        step = 3;
        sock.write('a3 LOGOUT\r\n');
      } else if (step === 3 && /^a3 OK/m.test(buf)) {
        clearTimeout(timer);
        sock.end();
        resolve(caps);
      }
      return undefined;
    });
  });
}

export async function startDovecot(options: StartDovecotOptions = {}): Promise<DovecotServer> {
  const binaries = assertServerPackages();
  const runAs = ensureServiceUser();
  // The unprivileged user must be able to reach its temp dir (TMPDIR may be e.g. /root/tmp).
  const baseDir = runAs.switchUser && !traversableByOthers(tmpdir()) ? '/tmp' : tmpdir();
  const life = await serverLifetime('dovecot', baseDir);
  const { dataDir, stop } = life;
  const layout = options.layout ?? 'default';
  const separator = separatorOf(layout);
  const logFile = join(dataDir, 'dovecot.log');
  const passwdFile = join(dataDir, 'passwd');
  const homeRoot = join(dataDir, 'home');
  const configFile = join(dataDir, 'dovecot.conf');
  const target = { passwdFile, homeRoot, uid: runAs.uid, gid: runAs.gid };
  const preset: Credentials[] = PRESET_MAIL_USERS.map((username) => ({ username, password: DEFAULT_PASSWORD }));
  for (const u of options.users ?? []) {
    preset.push(typeof u === 'string' ? { username: u, password: DEFAULT_PASSWORD } : u);
  }
  return startOnFreePorts(life, logFile, {
    prepare: async () => {
      // base_dir must be world-readable (Dovecot "fixes" it otherwise, with a warning).
      await mkdir(join(dataDir, 'run'), { mode: 0o755 });
      for (const d of ['state', 'home']) await mkdir(join(dataDir, d), { mode: 0o700 });
      await writeFile(passwdFile, preset.map((u) => dovecotPasswdLine(target, u.username, u.password)).join(''), {
        mode: 0o600,
      });
      await writeFile(logFile, '', { mode: 0o600 });
    },
    // A port found free can be taken by someone else before Dovecot binds it: startOnFreePorts retries.
    attempt: async () => {
      const imapPort = await findFreePort();
      let lmtpPort = await findFreePort();
      while (lmtpPort === imapPort) lmtpPort = await findFreePort();
      await writeFile(
        configFile,
        dovecotConfig({ dataDir, runAs, imapPort, lmtpPort, passwdFile, logFile, separator, layout }) +
          (options.extraConfig !== undefined ? `\n# extraConfig\n${options.extraConfig}\n` : ''),
        { mode: 0o644 },
      );
      if (runAs.switchUser) {
        for (const p of [dataDir, join(dataDir, 'run'), join(dataDir, 'state'), homeRoot, passwdFile, logFile, configFile]) {
          await chown(p, runAs.uid, runAs.gid);
        }
      }
      const proc = spawnServer(binaries.dovecot, ['-F', '-c', configFile], {
        cwd: dataDir,
        logFile,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
        ...(runAs.switchUser ? { uid: runAs.uid, gid: runAs.gid } : {}),
      });
      const ready = async (): Promise<DovecotServer> => {
        await waitUntilReady({
          name: 'Dovecot',
          proc,
          logFile,
          ...(options.startTimeoutMs !== undefined ? { timeoutMs: options.startTimeoutMs } : {}),
          probe: async () => {
            const imapGreeting = await readGreeting(LOOPBACK, imapPort);
            if (!imapGreeting.startsWith('* OK')) throw new Error(`unexpected IMAP greeting: ${imapGreeting}`);
            const lmtpGreeting = await readGreeting(LOOPBACK, lmtpPort);
            if (!lmtpGreeting.startsWith('220')) throw new Error(`unexpected LMTP greeting: ${lmtpGreeting}`);
          },
        });
        const first = preset[0];
        if (first === undefined) throw new Error('no preset user');
        const caps = await imapCapabilitiesAfterLogin(LOOPBACK, imapPort, first);
        const missing = REQUIRED_IMAP_CAPABILITIES.filter((c) => !caps.includes(c));
        if (missing.length > 0) {
          throw new Error(`Dovecot lacks IMAP capabilities ${missing.join(', ')} (has: ${caps.join(' ')})`);
        }
        const info: DovecotInfo = {
          host: LOOPBACK,
          imapPort,
          lmtpPort,
          passwdFile,
          homeRoot,
          user: runAs.user,
          uid: runAs.uid,
          gid: runAs.gid,
          logFile,
          dataDir,
          separator,
          users: preset,
        };
        return {
          info,
          addUser: (username, password = DEFAULT_PASSWORD) => addDovecotUser(info, username, password),
          stop,
        };
      };
      return { proc, ready };
    },
  });
}
