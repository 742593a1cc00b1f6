import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { OutboxWorker } from '../sync/outbox-worker.js';
import type { MailSender } from '../ports/sending.js';
import type { Store } from '../store/store.js';
import type { ScheduleFreeBusy } from '../ports/freebusy.js';
import type { DiscoveryLookup } from '../ports/discovery.js';
import type { TargetPolicy } from '../webhooks/target-policy.js';

/** What route handlers may use. Built once by the app; no route opens its own connections. */
export interface ApiContext {
  store: Store;
  config: Config;
  log: Logger;
  /** Tell background workers (webhooks, sync) that data changed, so they need not wait for a poll. */
  notifyChange: () => void;
  /** Sending (POST /api/v1/emails); absent where no SMTP adapter is wired. */
  mail?: { sender: MailSender; outbox: OutboxWorker };
  /** Asks CalDAV servers for the free/busy time of people who are not users (RFC 6638); absent: no server lookup. */
  freeBusy?: ScheduleFreeBusy;
  /** DNS and HTTP lookups of POST /api/v1/discover; absent: the route answers 503. */
  discovery?: DiscoveryLookup;
  /** The port the HTTP server bound (set by `serve` once listening), for links when `server.listen` names port 0. */
  boundPort?: number;
  /** Where webhooks may be registered to (from the configuration file); absent: derived from `config`. */
  webhookPolicy?: TargetPolicy;
}
