#!/usr/bin/env node
// Checks that the real servers the integration tests run against are installed:
// Dovecot (master binary, IMAP and LMTP services), Radicale 3 and Xandikos; Cyrus IMAP and Courier
// IMAP unpacked into private prefixes; Chromium, the
// browser the admin UI's e2e tests drive (playwright-core downloads none); and Python's icalendar,
// the second parser the published free/busy must satisfy (issue 5); PostgreSQL, the second
// database every store test runs on (issue 14); PHP with sabre/dav 1.8 and its SQLite PDO driver, the
// CalDAV/CardDAV server without sync-collection (issue 15).
//
// Run directly (`node test/servers/ensure-packages.mjs`, done by `npm test`): if anything is
// missing and we are root with apt-get, installs the Debian packages; otherwise exits 1
// naming what is missing and the command that installs it. It never skips silently.
//
// Imported (by test/servers/global-setup.ts and the server modules): `checkServerPackages()`
// reports what was found, `assertServerPackages()` throws a clear error if anything is missing.

import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Cyrus IMAP (IMAP, CalDAV, CardDAV) and Courier IMAP cannot be installed next to Dovecot:
 * `cyrus-imapd`, `courier-imap` and `dovecot-imapd` all provide imap-server and conflict. So their
 * packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x` into private prefixes
 * the harness runs them from (test/servers/cyrus.ts, test/servers/courier.ts); only the libraries
 * they link (and sasl2-bin: saslpasswd2, for the Cyrus test users) are installed the usual way.
 */
export const CYRUS_DEBS = ['cyrus-common', 'cyrus-imapd', 'cyrus-caldav'];
const CYRUS_LIBRARIES = ['libical3', 'libclamav12', 'libxapian30', 'libzephyr4', 'libshp2', 'libpcre3', 'libjansson4', 'libnghttp2-14', 'libbrotli1', 'libpq5', 'libwrap0', 'libsasl2-modules', 'libicu72', 'sasl2-bin'];
/** Courier IMAP 5 with the parts of Courier it runs with: its TCP server, authlib, authdaemond and the userdb module. */
export const COURIER_DEBS = ['courier-imap', 'courier-base', 'courier-authlib', 'courier-authdaemon', 'courier-authlib-userdb', 'libcourier-unicode4'];
// openssl: the crypt(3) hashes of the test users' userdb passwords.
const COURIER_LIBRARIES = ['libidn12', 'libgamin0', 'libltdl7', 'libgdbm6', 'openssl'];

export const DEBIAN_PACKAGES = ['dovecot-imapd', 'dovecot-lmtpd', 'radicale', 'xandikos', 'chromium', 'python3-icalendar', 'postgresql', 'php-cli', 'php-sqlite3', 'php-sabre-dav', ...CYRUS_LIBRARIES, ...COURIER_LIBRARIES];

/** Where the packages of `name` (cyrus, courier) are unpacked (CRM_BRIDGE_<NAME>_PREFIX overrides). */
function privatePrefix(name) {
  const override = process.env[`CRM_BRIDGE_${name.toUpperCase()}_PREFIX`];
  if (override !== undefined && override !== '') return override;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const cache = isRoot ? '/var/cache' : (process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/tmp', '.cache'));
  return join(cache, 'crm-bridge-test', name);
}

/** Where the Cyrus packages are unpacked (CRM_BRIDGE_CYRUS_PREFIX overrides). */
export function cyrusPrefix() {
  return privatePrefix('cyrus');
}

/** Where the Courier packages are unpacked (CRM_BRIDGE_COURIER_PREFIX overrides). */
export function courierPrefix() {
  return privatePrefix('courier');
}

/** True when every library the `binaries` link resolves, with `libDirs` searched first. */
function librariesResolve(binaries, libDirs) {
  const ldd = spawnSync('ldd', binaries, { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: libDirs.join(':') }, timeout: 10_000 });
  return ldd.status === 0 && !/not found/.test(ldd.stdout);
}

/** The unpacked Cyrus: its binaries and the directory of its own shared libraries, or undefined. */
function findCyrus(prefix) {
  const bin = join(prefix, 'usr/lib/cyrus/bin');
  const lib = join(prefix, 'usr/lib/x86_64-linux-gnu');
  for (const name of ['master', 'imapd', 'httpd', 'ctl_cyrusdb']) if (!isExecutable(join(bin, name))) return undefined;
  // Every library it links must resolve (the packages installed the usual way provide the rest).
  return librariesResolve([join(bin, 'imapd'), join(bin, 'httpd')], [lib]) ? { bin, lib } : undefined;
}

/**
 * The unpacked Courier: the programs a Courier IMAP server runs (couriertcpd, imaplogin, imapd,
 * authdaemond and its userdb module), the userdb builder, and its library directories, or undefined.
 */
function findCourier(prefix) {
  const programs = {
    couriertcpd: join(prefix, 'usr/sbin/couriertcpd'),
    imaplogin: join(prefix, 'usr/lib/courier/courier/imaplogin'),
    imapd: join(prefix, 'usr/bin/imapd'),
    authdaemond: join(prefix, 'usr/lib/courier/courier-authlib/authdaemond'),
    makedatprog: join(prefix, 'usr/lib/courier/courier-authlib/makedatprog'),
  };
  for (const path of Object.values(programs)) if (!isExecutable(path)) return undefined;
  if (which('openssl') === undefined) return undefined;
  const authModules = join(prefix, 'usr/lib/courier-authlib');
  if (!isReadable(join(authModules, 'libauthuserdb.so.0'))) return undefined;
  const lib = [join(prefix, 'usr/lib'), join(prefix, 'usr/lib/x86_64-linux-gnu')];
  if (!librariesResolve([...Object.values(programs), join(authModules, 'libauthuserdb.so.0')], lib)) return undefined;
  return { ...programs, authModules, lib: lib.join(':') };
}

/** apt-get download + dpkg-deb -x of `debs` into `prefix` (no root needed). */
function unpackPrivately(prefix, debs) {
  const work = `${prefix}-debs`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true, mode: 0o755 });
  // Without package lists (a machine that had everything else installed) the download fails: as
  // root, fetch the lists once and try again.
  const download = () => run('apt-get', ['download', ...debs], {}, work);
  if (!download() && !(canInstallWithApt() && run('apt-get', ['update'], { DEBIAN_FRONTEND: 'noninteractive' }) && download())) return false;
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true, mode: 0o755 });
  for (const deb of readdirSync(work).filter((name) => name.endsWith('.deb'))) {
    if (!run('dpkg-deb', ['-x', join(work, deb), prefix], {})) return false;
  }
  rmSync(work, { recursive: true, force: true });
  return true;
}

/** The servers run from private prefixes: where, what they are made of, and how to find them there. */
const PRIVATE_SERVERS = [
  { name: 'cyrus', title: 'Cyrus IMAP 3', debs: CYRUS_DEBS, libraries: CYRUS_LIBRARIES, prefix: cyrusPrefix, find: findCyrus },
  { name: 'courier', title: 'Courier IMAP 5', debs: COURIER_DEBS, libraries: COURIER_LIBRARIES, prefix: courierPrefix, find: findCourier },
];
export const INSTALL_COMMAND =
  'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ' + DEBIAN_PACKAGES.join(' ');

const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];
const DOVECOT_LIBEXEC_DIRS = ['/usr/lib/dovecot', '/usr/libexec/dovecot', '/usr/local/libexec/dovecot'];

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable named `name` on PATH (plus the sbin dirs, which root's PATH may lack). */
function which(name) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Dovecot's libexec dir from the binary itself, falling back to the usual locations. */
function dovecotLibexecDirs(dovecot) {
  const dirs = [];
  if (dovecot !== undefined) {
    try {
      const out = execFileSync(dovecot, ['--build-options'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5000,
      });
      // e.g. "Module dir: /usr/lib/dovecot/modules"
      const m = /Module dir:\s*(\S+)/.exec(out);
      if (m?.[1] !== undefined) dirs.push(m[1].replace(/\/modules\/?$/, ''));
    } catch {
      // fall back below
    }
  }
  for (const d of DOVECOT_LIBEXEC_DIRS) if (!dirs.includes(d)) dirs.push(d);
  return dirs;
}

function findInDirs(dirs, name) {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * How to run Radicale: the `radicale` script, or a Python that can import it. Note that a
 * pyenv/venv `python3` first on PATH usually cannot see Debian's dist-packages, so the
 * system interpreter is tried before `python3` from PATH.
 */
function findRadicale() {
  const script = which('radicale');
  if (script !== undefined) return { command: script, args: [] };
  for (const py of ['/usr/bin/python3', which('python3')]) {
    if (py === undefined || !isExecutable(py)) continue;
    const r = spawnSync(py, ['-c', 'import radicale'], { stdio: 'ignore', timeout: 10_000 });
    if (r.status === 0) return { command: py, args: ['-m', 'radicale'] };
  }
  return undefined;
}

/**
 * @returns {{
 *   ok: boolean,
 *   missing: string[],
 *   missingPackages: string[],
 *   binaries: {
 *     dovecot?: string, imap?: string, lmtp?: string,
 *     radicale?: { command: string, args: string[] }, xandikos?: string,
 *   },
 * }}
 */
export function checkServerPackages() {
  const missing = [];
  const missingPackages = new Set();
  const binaries = {};

  const dovecot = which('dovecot');
  if (dovecot === undefined) {
    missing.push('dovecot (the Dovecot master binary)');
    missingPackages.add('dovecot-imapd');
  } else {
    binaries.dovecot = dovecot;
  }
  const libexec = dovecotLibexecDirs(dovecot);
  const imap = findInDirs(libexec, 'imap');
  if (imap === undefined || findInDirs(libexec, 'imap-login') === undefined) {
    missing.push(`Dovecot IMAP service (imap/imap-login in ${libexec.join(' or ')})`);
    missingPackages.add('dovecot-imapd');
  } else {
    binaries.imap = imap;
  }
  const lmtp = findInDirs(libexec, 'lmtp');
  if (lmtp === undefined) {
    missing.push(`Dovecot LMTP service (lmtp in ${libexec.join(' or ')})`);
    missingPackages.add('dovecot-lmtpd');
  } else {
    binaries.lmtp = lmtp;
  }
  const radicale = findRadicale();
  if (radicale === undefined) {
    missing.push('radicale (neither a `radicale` executable nor a python3 that can import radicale)');
    missingPackages.add('radicale');
  } else {
    binaries.radicale = radicale;
  }
  const xandikos = which('xandikos');
  if (xandikos === undefined) {
    missing.push('xandikos');
    missingPackages.add('xandikos');
  } else {
    binaries.xandikos = xandikos;
  }
  const chromium = which('chromium');
  if (chromium === undefined) {
    missing.push('chromium (the browser of the admin UI e2e tests)');
    missingPackages.add('chromium');
  } else {
    binaries.chromium = chromium;
  }

  const python = findPythonWith('icalendar');
  if (python === undefined) {
    missing.push("python3-icalendar (Python's icalendar, which must read the published free/busy)");
    missingPackages.add('python3-icalendar');
  } else {
    binaries.icalendarPython = python;
  }

  const postgresBin = findPostgresBin();
  if (postgresBin === undefined) {
    missing.push('PostgreSQL server binaries (initdb and postgres in /usr/lib/postgresql/*/bin)');
    missingPackages.add('postgresql');
  } else {
    binaries.postgresBin = postgresBin;
  }

  const php = which('php');
  if (php === undefined) {
    missing.push('php (the PHP command line, which serves sabre/dav)');
    missingPackages.add('php-cli');
  } else {
    binaries.php = php;
    if (!isReadable(SABRE_AUTOLOAD)) {
      missing.push(`sabre/dav 1.8 (${SABRE_AUTOLOAD})`);
      missingPackages.add('php-sabre-dav');
    }
    const pdo = spawnSync(php, ['-r', 'exit(in_array("sqlite", PDO::getAvailableDrivers()) ? 0 : 1);'], { stdio: 'ignore', timeout: 10_000 });
    if (pdo.status !== 0) {
      missing.push("PHP's SQLite PDO driver (sabre/dav's storage)");
      missingPackages.add('php-sqlite3');
    }
  }

  const saslpasswd = which('saslpasswd2');
  if (saslpasswd === undefined) {
    missing.push('saslpasswd2 (the password database of the Cyrus test users)');
    missingPackages.add('sasl2-bin');
  } else {
    binaries.saslpasswd = saslpasswd;
  }
  for (const server of PRIVATE_SERVERS) {
    const found = server.find(server.prefix());
    if (found === undefined) {
      missing.push(`${server.title} unpacked in ${server.prefix()} (apt-get download ${server.debs.join(' ')}, then dpkg-deb -x each there), with every library it links installed`);
      for (const pkg of server.libraries) missingPackages.add(pkg);
    } else {
      binaries[server.name] = found;
    }
  }

  return { ok: missing.length === 0, missing, missingPackages: [...missingPackages], binaries };
}

const SABRE_AUTOLOAD = '/usr/share/php/Sabre/autoload.php';

function isReadable(path) {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Debian keeps initdb and postgres off PATH, in /usr/lib/postgresql/<major>/bin: the newest major wins. */
function findPostgresBin() {
  const root = '/usr/lib/postgresql';
  let majors = [];
  try {
    majors = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  } catch {
    // not installed
  }
  for (const major of majors) {
    const bin = join(root, major, 'bin');
    if (isExecutable(join(bin, 'initdb')) && isExecutable(join(bin, 'postgres'))) return bin;
  }
  const initdb = which('initdb');
  return initdb !== undefined && which('postgres') !== undefined ? join(initdb, '..') : undefined;
}

/** A Python that can import `module`: Debian's interpreter first (a pyenv python3 on PATH cannot see dist-packages). */
function findPythonWith(module) {
  for (const py of ['/usr/bin/python3', which('python3')]) {
    if (py === undefined || !isExecutable(py)) continue;
    const r = spawnSync(py, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 10_000 });
    if (r.status === 0) return py;
  }
  return undefined;
}

export function describeMissing(result) {
  return (
    `The integration tests need real servers that are not installed:\n` +
    result.missing.map((m) => `  - ${m}`).join('\n') +
    `\nInstall them (as root) with:\n  ${INSTALL_COMMAND}\n` +
    `or run \`node test/servers/ensure-packages.mjs\` as root, which does that.`
  );
}

/** Throws an Error naming what is missing (and how to install it); returns the binaries otherwise. */
export function assertServerPackages() {
  const result = checkServerPackages();
  if (!result.ok) throw new Error(describeMissing(result));
  return result.binaries;
}

function canInstallWithApt() {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return isRoot && which('apt-get') !== undefined;
}

function run(cmd, args, extraEnv, cwd) {
  console.error(`ensure-packages: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...extraEnv }, ...(cwd !== undefined ? { cwd } : {}) });
  return r.status === 0;
}

/** CLI behaviour: check, install if possible, exit 1 with a precise message otherwise. */
export function ensureServerPackages() {
  let result = checkServerPackages();
  if (result.ok) {
    console.log('ensure-packages: dovecot (imap, lmtp), radicale, xandikos, sabre/dav, chromium, python3-icalendar and postgresql are installed, Cyrus IMAP and Courier IMAP are unpacked');
    return 0;
  }
  console.error(describeMissing(result));
  const unpackMissing = () => PRIVATE_SERVERS.every((server) => result.binaries[server.name] !== undefined || unpackPrivately(server.prefix(), server.debs));
  const privateLibraries = PRIVATE_SERVERS.flatMap((server) => server.libraries);
  if (which('apt-get') !== undefined && result.missingPackages.every((pkg) => privateLibraries.includes(pkg))) {
    // Only an unpacked server is missing: that needs no root.
    unpackMissing();
    result = checkServerPackages();
    if (result.ok) {
      console.log('ensure-packages: unpacked ' + PRIVATE_SERVERS.map((server) => `${server.title} into ${server.prefix()}`).join(', '));
      return 0;
    }
  }
  if (!canInstallWithApt()) {
    console.error('ensure-packages: cannot install automatically (not root, or no apt-get).');
    return 1;
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  if (!run('apt-get', ['update'], env)) {
    console.error('ensure-packages: `apt-get update` failed');
  }
  if (!run('apt-get', ['install', '-y', ...DEBIAN_PACKAGES], env)) {
    console.error(`ensure-packages: installing failed; run this yourself:\n  ${INSTALL_COMMAND}`);
    return 1;
  }
  for (const server of PRIVATE_SERVERS) {
    if (server.find(server.prefix()) === undefined && !unpackPrivately(server.prefix(), server.debs)) {
      console.error(`ensure-packages: unpacking ${server.title} into ${server.prefix()} failed`);
      return 1;
    }
  }
  result = checkServerPackages();
  if (!result.ok) {
    console.error(`ensure-packages: still missing after apt-get install:\n${describeMissing(result)}`);
    return 1;
  }
  console.log('ensure-packages: installed ' + DEBIAN_PACKAGES.join(', '));
  return 0;
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  process.exitCode = ensureServerPackages();
}
