import { z } from 'zod';
import { contactFieldKeys } from '../contacts/card-fields.js';
import { parseFilterExpression } from '../contacts/filter.js';
import { isKnownRegion, knownRegions } from '../contacts/phone.js';
import { isIanaTimeZone } from '../domain/wall-clock.js';
import { busyStatuses } from '../domain/activity.js';
import { DEFAULT_AUTOCONFIG_URLS } from '../discovery/discover.js';

/**
 * The configuration file's schema. Every key here is documented in config.example.yaml.
 * Numbers and booleans also accept their string spelling, because `${ENV}` substitution always
 * yields strings (`port: ${IMAP_PORT}`).
 */
/** An error message that says "is required" for a missing key and "expected ..." otherwise. */
const expected = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `expected ${what}`);

const integer = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
    z.number({ error: expected('a number') }).int('expected a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );

const flag = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean({ error: expected('true or false') }),
);

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = z.string({ error: expected('a string') });
const nonEmpty = text.min(1, 'must not be empty');
const id = nonEmpty.regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, _ . or -');
const address = z.email({ error: expected('an e-mail address') });
const httpUrl = z.url({ protocol: /^https?$/, error: expected('an http(s) URL') });
/**
 * An IMAP flag the bridge stores on messages: a keyword is an RFC 3501 §9 atom (printable ASCII
 * without space and ( ) { % * " \ ]), a system flag is `\` and an atom (e.g. \Flagged). Anything
 * else the server refuses at every STORE, so it is caught here.
 */
const imapFlag = nonEmpty.regex(/^\\?[\x21\x23\x24\x26\x27\x2b-\x5b\x5e-\x7a\x7c-\x7e]+$/, 'expected an IMAP keyword such as $CRM (no spaces, no ( ) { % * " \\ ])');

/** A webhook URL with user:password@ would put a credential into logs and send it to whoever answers. */
function withoutUserinfo(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username === '' && parsed.password === '';
  } catch {
    return true; // the URL check itself reports it
  }
}

export const securityModes = ['none', 'starttls', 'tls'] as const;

/**
 * TLS of one connection (or, at the top level, the default of every connection): `ca` names a PEM
 * file of certificates trusted besides the system's roots (an organisation's own CA);
 * `rejectUnauthorized: false` accepts any certificate and is warned about loudly.
 */
const tlsOptions = z
  .object({
    ca: nonEmpty.optional(),
    rejectUnauthorized: flag.optional(),
  })
  .strict();

export const oauthProviders = ['google', 'microsoft', 'custom'] as const;

/**
 * Sign-in with OAuth2 instead of a password (RFC 6749 authorization code with PKCE, RFC 7636): the
 * admin UI's Connect button gets a refresh token, and each connection authenticates with an access
 * token (IMAP/SMTP SASL XOAUTH2 or OAUTHBEARER, RFC 7628; DAV `Authorization: Bearer`, RFC 6750).
 * google and microsoft know their endpoints and scopes (src/oauth/providers.ts); custom names them.
 */
const oauth2Auth = z
  .object({
    type: z.literal('oauth2'),
    provider: z.enum(oauthProviders, { error: expected(oauthProviders.join(', ')) }),
    clientId: nonEmpty,
    /** Empty or absent for a public client (PKCE alone). */
    clientSecret: text.optional(),
    authorizeUrl: httpUrl.optional(),
    tokenUrl: httpUrl.optional(),
    /** The authorization server's issuer identifier (RFC 8414 §2), checked against the `iss` it sends back (RFC 9207); default: the token URL's origin. */
    issuer: httpUrl.optional(),
    scopes: z.array(nonEmpty).optional(),
  })
  .strict()
  .superRefine((auth, ctx) => {
    if (auth.provider !== 'custom') return;
    for (const key of ['authorizeUrl', 'tokenUrl'] as const) {
      if (auth[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'is required with provider: custom' });
    }
  });

const connectionAuth = z.discriminatedUnion('type', [z.object({ type: z.literal('password') }).strict(), oauth2Auth], {
  error: 'expected { type: password } or { type: oauth2, provider: ..., clientId: ... }',
});

export type OAuth2AuthConfig = z.infer<typeof oauth2Auth>;

/** A password is required unless the connection signs in with OAuth2. */
function passwordOrOAuth(connection: { password?: string | undefined; auth?: { type: string } | undefined }, ctx: z.RefinementCtx): void {
  if (connection.auth?.type !== 'oauth2' && connection.password === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'is required (or auth: { type: oauth2, ... })' });
}

const mailServer = z
  .object({
    host: nonEmpty,
    port: integer(1, 65535),
    security: z.enum(securityModes, { error: expected('none, starttls or tls') }).default('tls'),
    username: nonEmpty,
    password: text.optional(),
    auth: connectionAuth.optional(),
    /** Accept self-signed certificates: only for test servers. */
    allowInsecureTls: flag.default(false),
    tls: tlsOptions.optional(),
  })
  .superRefine(passwordOrOAuth);

const davServer = z
  .object({
    url: httpUrl,
    username: nonEmpty,
    password: text.optional(),
    auth: connectionAuth.optional(),
    /** The CA certificates an https server is trusted by besides the system's roots. */
    tls: z.object({ ca: nonEmpty.optional() }).strict().optional(),
  })
  .superRefine(passwordOrOAuth);

const userMail = z.object({
  trackedFolders: z.array(nonEmpty).default(['CRM']),
  trackingKeyword: imapFlag.default('$CRM'),
  autoTrack: z.enum(['none', 'replies', 'known-senders', 'all'], { error: expected('none, replies, known-senders or all') }).default('replies'),
  sentFolder: nonEmpty.optional(),
  folders: z.array(nonEmpty).optional(),
  importSince: z.iso.date({ error: expected('a date such as 2026-01-31') }).optional(),
  /** Create a contact for every unknown external address of tracked mail. */
  createContacts: flag.default(false),
});

export const conflictPolicies = ['crm-wins', 'client-wins', 'newest'] as const;
const conflictPolicy = z.enum(conflictPolicies, { error: expected('crm-wins, client-wins or newest') });

const busyStatus = z.enum(busyStatuses, { error: expected('free, tentative, busy or oof') });

const userCalendar = z.object({
  crmCalendar: nonEmpty.default('CRM'),
  trackCategory: nonEmpty.default('CRM'),
  /** Overrides sync.conflictPolicy for this user's events. */
  conflictPolicy: conflictPolicy.optional(),
  /**
   * How each CRM busy status is shown in this user's calendar (e.g. `oof: busy` for clients that do
   * not know OOF); statuses not named show as themselves (src/sync/calendar/fields.ts).
   */
  busyStatusMap: z
    .object({ free: busyStatus.default('free'), tentative: busyStatus.default('tentative'), busy: busyStatus.default('busy'), oof: busyStatus.default('oof') })
    .strict()
    .prefault({}),
  /** Larger calendar objects (events and to-dos of every calendar of the user) are reported and left alone. */
  maxObjectBytes: integer(1024, 64 * 1024 * 1024).default(2 * 1024 * 1024),
});

const userTasks = z.object({
  crmTaskList: nonEmpty.default('CRM'),
  /** Overrides sync.conflictPolicy for this user's tasks. */
  conflictPolicy: conflictPolicy.optional(),
});

const contactField = z.enum(contactFieldKeys, { error: expected(contactFieldKeys.join(', ')) });

const userContacts = z.object({
  addressBook: nonEmpty.default('CRM'),
  direction: z.enum(['two-way', 'crm-to-client'], { error: expected('two-way or crm-to-client') }).default('two-way'),
  /** Which CRM contacts go to the address book (src/contacts/filter.ts). */
  filter: z
    .object({
      owned: flag.default(true),
      accounts: flag.default(true),
      where: text
        .superRefine((value, ctx) => {
          try {
            parseFilterExpression(value);
          } catch (error) {
            ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
          }
        })
        .optional(),
    })
    .prefault({}),
  /** The fields that sync (both ways); displayName always does (FN is required, RFC 6350 §6.2.1). */
  fields: z.array(contactField).default([...contactFieldKeys]),
  /** Fields that never leave the CRM (and are not read back from the client either). */
  secureFields: z.array(contactField).default([]).refine((list) => !list.includes('displayName'), 'displayName cannot be secure: every vCard needs an FN'),
  /** ISO 3166 region for phone numbers written without a country code (E.164 matching), e.g. DE. */
  phoneRegion: z
    .string({ error: expected('a region code such as DE') })
    .transform((value) => value.toUpperCase())
    .refine(isKnownRegion, `expected one of ${knownRegions().join(', ')}`)
    .optional(),
  /** Larger vCards (e.g. with huge photos) are reported and left alone. */
  maxCardBytes: integer(1024, 64 * 1024 * 1024).default(1024 * 1024),
});

export const userConfigSchema = z.object({
  id,
  name: nonEmpty,
  email: address,
  imap: mailServer.optional(),
  smtp: mailServer.optional(),
  caldav: davServer.optional(),
  carddav: davServer.optional(),
  mail: userMail.prefault({}),
  calendar: userCalendar.prefault({}),
  tasks: userTasks.prefault({}),
  contacts: userContacts.prefault({}),
}).superRefine((user, ctx) => {
  // Exchange Online has no CalDAV or CardDAV (src/oauth/providers.ts).
  for (const kind of ['caldav', 'carddav'] as const) {
    if (user[kind]?.auth?.type === 'oauth2' && user[kind].auth.provider === 'microsoft') {
      ctx.addIssue({ code: 'custom', path: [kind, 'auth', 'provider'], message: `microsoft offers no ${kind === 'caldav' ? 'CalDAV' : 'CardDAV'}; use provider: custom with its URLs, or a password` });
    }
  }
});

export const sharedMailboxConfigSchema = z.object({
  id,
  address,
  imap: mailServer,
  folders: z.array(nonEmpty).min(1).default(['INBOX']),
  unknownSender: z.enum(['lead', 'unresolved'], { error: expected('lead or unresolved') }).default('unresolved'),
  processed: z
    .union([z.object({ keyword: imapFlag }).strict(), z.object({ moveTo: nonEmpty }).strict()], {
      error: 'expected { keyword: ... } or { moveTo: ... }',
    })
    .default({ keyword: '$CRMImported' }),
  importSince: z.iso.date({ error: expected('a date such as 2026-01-31') }).optional(),
  owner: id.optional(),
});

const listenAddress = z.preprocess((value) => (typeof value === 'number' ? String(value) : value), nonEmpty.regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:8080'));

export const configSchema = z.object({
  database: nonEmpty
    .regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'expected sqlite:PATH or postgres://user:password@host:port/database')
    .default('sqlite:./data/crm-bridge.db'),
  dataDir: nonEmpty.default('./data'),
  server: z
    .object({
      listen: listenAddress.default('127.0.0.1:8080'),
      publicUrl: httpUrl.optional(),
      /** Require an API token for /metrics as well; off so Prometheus can scrape without one. */
      metricsRequireToken: flag.default(false),
      shutdownTimeoutSeconds: integer(1, 3600).default(30),
      /** Behind a reverse proxy: take the client's address from X-Forwarded-For (login throttle, logs). */
      trustProxy: flag.default(false),
    })
    .prefault({}),
  // As SecretBox requires at run time, so check-config reports it (empty: unset, a key file is generated).
  secretKey: text.refine((value) => value === '' || value.length >= 16, 'must be at least 16 characters').optional(),
  api: z
    .object({
      // An entry whose token is empty (an unset `${VAR:-}`) is dropped, so the example file
      // starts without a token instead of failing or shipping a guessable one.
      tokens: z.preprocess(
        (value) => (Array.isArray(value) ? value.filter((entry: unknown) => !(isMapping(entry) && entry['token'] === '')) : value),
        z
          .array(
            z.object({
              name: id,
              token: text.min(16, 'must be at least 16 characters'),
            }),
          )
          .default([]),
      ),
    })
    .prefault({}),
  admin: z
    .object({
      /** Password for user `admin`; when unset, CRM_BRIDGE_ADMIN_PASSWORD or a generated one. */
      password: text.optional(),
      sessionHours: integer(1, 24 * 90).default(12),
    })
    .prefault({}),
  logging: z
    .object({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { error: expected('trace, debug, info, warn, error, fatal or silent') }).default('info'),
      /** json: one JSON object per line (log collectors); pretty: readable lines (pino-pretty). Default: pretty on a terminal, else json. */
      format: z.enum(['json', 'pretty'], { error: expected('json or pretty') }).optional(),
    })
    .prefault({}),
  mail: z
    .object({
      domain: nonEmpty.optional(),
      trackingToken: z.object({ enabled: flag.default(true), prefix: nonEmpty.regex(/^[A-Za-z0-9#:-]{1,12}$/, 'expected 1-12 letters, digits, #, : or -').default('CRM:') }).prefault({}),
      /** Correlate replies whose headers and token were lost by subject and participants. */
      smartMatching: z
        .object({
          enabled: flag.default(false),
          minParticipants: integer(1, 20).default(2),
          windowDays: integer(1, 365).default(30),
        })
        .prefault({}),
      /** Text and HTML bodies stored per activity (and HTML fed to the sanitizer) are cut to this many bytes. */
      maxBodyBytes: integer(1024, 2 ** 31).default(1024 * 1024),
      /**
       * Larger messages are not downloaded: their activity is made from the headers and the MIME
       * structure (attachments listed by name, type and size). Also caps what the IMAP client buffers.
       */
      maxMessageBytes: integer(64 * 1024, 2 ** 31).default(52_428_800),
      /** Add X-CRM-Bridge-Activity (the activity id) to mail sent from the CRM: for debugging only, it tells recipients about the CRM. */
      debugHeaders: flag.default(false),
    })
    .prefault({}),
  attachments: z
    .object({
      maxBytes: integer(0, 2 ** 31).default(25 * 1024 * 1024),
      /**
       * Where attachment content (and outgoing mail) is kept: files under dataDir/attachments, or
       * rows in the database (PostgreSQL only: for processes on several machines, no shared volume).
       */
      store: z.enum(['filesystem', 'database']).default('filesystem'),
    })
    .prefault({}),
  sync: z
    .object({
      intervalSeconds: integer(5, 86_400).default(300),
      /** Keep an IMAP IDLE connection per watched folder under `serve` so new mail arrives at once. */
      idle: flag.default(true),
      /** A message that fails to import is retried on this many passes before it is left alone. */
      maxItemAttempts: integer(1, 100).default(5),
      /**
       * Largest CalDAV/CardDAV response body read (64 MiB). A multiget answer past it is asked again
       * for fewer items; one item past it is reported with its href and skipped. At most 256 MiB:
       * a body is decoded into one string, and V8 strings end at about 512 M characters.
       */
      maxDavResponseBytes: integer(64 * 1024, 256 * 1024 * 1024).default(64 * 1024 * 1024),
      /** Calendar/task fields changed on both sides since the last sync: who wins (per user: users[].calendar/tasks.conflictPolicy). */
      conflictPolicy: conflictPolicy.default('crm-wins'),
      /** Sources (mailboxes, calendar homes, address books) synced at the same time; a stalled one holds up only its own slot. */
      concurrency: integer(1, 64).default(4),
      /**
       * Overall time one pass of one source may take. Past it the pass is aborted (connections
       * closed) and recorded as TEMPORARY; the source backs off like any failure, and the next pass
       * goes on from the last checkpoint (a long first import continues page by page).
       */
      sourceDeadlineSeconds: integer(1, 86_400).default(900),
      /**
       * Overall time one IMAP command / SMTP send step / DAV request may take (an idle-socket timeout
       * does not see a server that drips a byte every few seconds). Radicale's first PROPFIND of a
       * 10,000-card book took 84 s (bench/carddav-sync), hence two minutes.
       */
      commandTimeoutSeconds: integer(1, 3600).default(120),
      /** Under serve, calendars and address books are passed over this often (a quiet pass: one cheap request per collection), so client edits arrive quickly. */
      davPollSeconds: integer(5, 86_400).default(30),
    })
    .prefault({}),
  /** Autodiscovery of a user's servers from their address (POST /api/v1/discover, the admin UI's user form). */
  discovery: z
    .object({
      /** DNS servers (`ip` or `ip:port`) for the SRV and TXT lookups instead of the system's. */
      dnsServers: z.array(z.string().regex(/^[0-9a-fA-F.:[\]]+$/, 'expected an IP address, optionally with :port')).default([]),
      /** Mozilla autoconfig URLs tried in order; {domain} and {email} are filled in. */
      autoconfigUrls: z.array(nonEmpty.regex(/^https?:\/\//, 'expected an http(s) URL')).default([...DEFAULT_AUTOCONFIG_URLS]),
    })
    .strict()
    .prefault({}),
  freebusy: z
    .object({
      /** Published window: from this many days ago ... */
      daysBefore: integer(0, 365).default(7),
      /** ... to this many days ahead (Outlook publishes two months). */
      daysAfter: integer(1, 730).default(60),
      /** Working hours for slot proposals (GET /api/v1/freebusy/slots), unless the request names its own. */
      workingHours: z
        .object({
          start: nonEmpty.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM, e.g. 09:00').default('09:00'),
          end: nonEmpty.regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'expected HH:MM, e.g. 17:00').default('17:00'),
          /** ISO weekdays: 1 = Monday ... 7 = Sunday. */
          days: z.array(integer(1, 7)).min(1).default([1, 2, 3, 4, 5]),
          timeZone: nonEmpty.refine((zone) => isIanaTimeZone(zone), 'expected an IANA time zone such as Europe/Berlin').default('UTC'),
        })
        .refine((hours) => hours.end > hours.start, { message: 'end must be after start', path: ['end'] })
        .prefault({}),
      /** Whose CalDAV account asks the server (RFC 6638 schedule outbox) for people who are not users; default: the first user with caldav. */
      lookupAs: id.optional(),
    })
    .prefault({}),
  webhookDelivery: z
    .object({
      timeoutSeconds: integer(1, 300).default(10),
      /** Failed deliveries are retried for ever, at most this far apart (at-least-once). */
      maxBackoffSeconds: integer(1, 86_400).default(3600),
      /** Deliver to loopback, link-local and private addresses too (src/webhooks/target-policy.ts); default: only where the file names the host. */
      allowPrivateNetworks: flag.default(false),
    })
    .prefault({}),
  webhooks: z
    .array(
      z.object({
        id,
        url: httpUrl.refine(withoutUserinfo, 'must not contain a user name or password (user:password@); deliveries are authenticated by their signature'),
        secret: text.min(16, 'must be at least 16 characters'),
        events: z.array(nonEmpty).default(['*']),
      }),
    )
    .default([]),
  /** The default TLS options of every IMAP and SMTP connection (each may set its own). */
  tls: tlsOptions.optional(),
  users: z.array(userConfigSchema).default([]),
  sharedMailboxes: z.array(sharedMailboxConfigSchema).default([]),
}).transform(withDefaultTls);

/**
 * Every connection with the top-level `tls` filled in where it sets nothing itself: IMAP and SMTP
 * take both keys, CalDAV and CardDAV the CA (their certificates are always checked).
 */
function withDefaultTls<T extends { tls?: TlsOptions | undefined; users: Array<{ imap?: MailServerShape | undefined; smtp?: MailServerShape | undefined; caldav?: DavServerShape | undefined; carddav?: DavServerShape | undefined }>; sharedMailboxes: Array<{ imap: MailServerShape }> }>(config: T): T {
  const defaults = config.tls;
  if (defaults === undefined) return config;
  const fill = <S extends MailServerShape>(server: S): S => ({ ...server, tls: { ...defaults, ...server.tls } });
  const fillDav = <S extends DavServerShape>(server: S): S => (defaults.ca === undefined || server.tls?.ca !== undefined ? server : { ...server, tls: { ...server.tls, ca: defaults.ca } });
  return {
    ...config,
    users: config.users.map((user) => ({
      ...user,
      ...(user.imap ? { imap: fill(user.imap) } : {}),
      ...(user.smtp ? { smtp: fill(user.smtp) } : {}),
      ...(user.caldav ? { caldav: fillDav(user.caldav) } : {}),
      ...(user.carddav ? { carddav: fillDav(user.carddav) } : {}),
    })),
    sharedMailboxes: config.sharedMailboxes.map((box) => ({ ...box, imap: fill(box.imap) })),
  };
}

type TlsOptions = z.infer<typeof tlsOptions>;
type MailServerShape = { tls?: TlsOptions | undefined };
type DavServerShape = { tls?: { ca?: string | undefined } | undefined };

export type Config = z.infer<typeof configSchema>;
export type UserConfig = z.infer<typeof userConfigSchema>;
export type SharedMailboxConfig = z.infer<typeof sharedMailboxConfigSchema>;
export type MailServerConfig = z.infer<typeof mailServer>;
export type DavServerConfig = z.infer<typeof davServer>;
