import type { Logger } from 'pino';
import { ImapConnector, ImapWatcherFactory } from '../../adapters/imap/index.js';
import { SmtpSender } from '../../adapters/smtp/index.js';
import { CardDavConnector } from '../../adapters/carddav/index.js';
import { ContactChangeFollower } from '../sync/contacts/change-follower.js';
import { contactRunner } from '../sync/contacts/contacts-runner.js';
import { CalDavConnector, CalDavScheduleOutbox } from '../../adapters/caldav/index.js';
import { calendarRunner } from '../sync/calendar/calendar-runner.js';
import { CalendarChangeFollower } from '../sync/calendar/change-follower.js';
import { MailChangeFollower } from '../sync/mail/change-follower.js';
import type { ScheduleFreeBusy } from '../ports/freebusy.js';
import type { DiscoveryLookup } from '../ports/discovery.js';
import { NetworkDiscoveryLookup } from '../../adapters/discovery/index.js';
import { OutboxWorker } from '../sync/outbox-worker.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import { mailRunners, mailboxSpecOf } from '../sync/mail/mail-runner.js';
import type { SourceKind, SourceRunner } from '../ports/source.js';
import { SyncScheduler } from '../sync/scheduler.js';
import { PostgresSourceClaims } from '../store/postgres-source-claims.js';
import { isPostgresUrl } from '../store/database.js';
import { sourceLimitsOf } from '../sync/source-deadline.js';
import { sourcesOf } from '../sync/sources.js';
import type { SourceStates } from '../sync/source-states.js';
import { ProgressConnector } from './progress-connector.js';
import { accessTokensOf, signingInWith } from './oauth-signin.js';

/** The composition root of the sync engine: which adapter serves which kind of source. */
export function createRunners(config: Config, store: Store, log: Logger, states?: SourceStates): Map<SourceKind, SourceRunner> {
  const runners = new Map<SourceKind, SourceRunner>();
  // Under serve, mail passes report their progress to the admin UI's status page.
  const tokens = accessTokensOf(store, log);
  const signedIn = signingInWith(new ImapConnector(), tokens);
  const imap = states ? new ProgressConnector(signedIn, states, config) : signedIn;
  for (const runner of mailRunners(config, store, imap, log.child({ component: 'mail' }))) runners.set(runner.kind, runner);
  runners.set('caldav', calendarRunner(config, store, signingInWith(new CalDavConnector(), tokens), log.child({ component: 'calendar' })));
  runners.set('carddav', contactRunner(config, store, signingInWith(new CardDavConnector(), tokens), log.child({ component: 'contacts' })));
  return runners;
}

export function createScheduler(config: Config, store: Store, log: Logger, metrics: Metrics, states?: SourceStates): SyncScheduler {
  const sources = sourcesOf(config);
  const mailSourceIds = sources.filter((source) => source.kind === 'imap' || source.kind === 'shared-mailbox').map((source) => source.id);
  return new SyncScheduler(sources, createRunners(config, store, log, states), store, log.child({ component: 'sync' }), {
    intervalMs: config.sync.intervalSeconds * 1000,
    davPollMs: config.sync.davPollSeconds * 1000,
    limits: sourceLimitsOf(config),
    // Several `serve` processes may share a PostgreSQL database: each source runs in one of them.
    ...(isPostgresUrl(config.database) ? { claims: new PostgresSourceClaims(config.database, log.child({ component: 'claims' })) } : {}),
    ...(states ? { states } : {}),
    // CRM changes reach the groupware at once (CONTRACT.md), not at the next interval.
    triggers: [
      new CalendarChangeFollower(store, log.child({ component: 'calendar' })),
      new ContactChangeFollower(store, log.child({ component: 'contacts' })),
      new MailChangeFollower(store, log.child({ component: 'mail' }), mailSourceIds),
    ],
    ...(config.sync.idle
      ? {
          watchers: {
            factory: signingInWith(new ImapWatcherFactory(), accessTokensOf(store, log)),
            settingsOf: (source) => (source.kind === 'imap' || source.kind === 'shared-mailbox' ? mailboxSpecOf(config, source).server : undefined),
          },
        }
      : {}),
  }, metrics);
}

/** Sending: the SMTP sender and the outbox that retries and files copies in Sent. */
export function createMail(config: Config, store: Store, log: Logger): { sender: SmtpSender; outbox: OutboxWorker } {
  const tokens = accessTokensOf(store, log);
  const sender = signingInWith(new SmtpSender(), tokens);
  return { sender, outbox: new OutboxWorker(store, config, sender, signingInWith(new ImapConnector(), tokens), log.child({ component: 'outbox' })) };
}

/** The DNS and HTTP lookups of autodiscovery (POST /api/v1/discover). */
export function createDiscoveryLookup(config: Config): DiscoveryLookup {
  return new NetworkDiscoveryLookup({ dnsServers: config.discovery.dnsServers });
}

/** Free/busy of people who are not users, asked from CalDAV servers (RFC 6638 schedule outbox). */
export function createFreeBusyLookup(store: Store, log: Logger): ScheduleFreeBusy {
  return signingInWith(new CalDavScheduleOutbox(), accessTokensOf(store, log));
}
