import { sql, type Kysely } from 'kysely';
import { AccountRepository } from './accounts.js';
import { ActivityRepository } from './activities.js';
import { CalendarSyncRepository } from './calendar-sync.js';
import { AttachmentRepository } from './attachments.js';
import type { BlobStorage } from './blob-storage.js';
import { appendPending, ChangeRepository, collectChanges, discardPendingAfter, pendingMark } from './changes.js';
import { ContactRepository } from './contacts.js';
import { CredentialRepository } from './credentials.js';
import { OAuthGrantRepository } from './oauth-grants.js';
import { LeadRepository } from './leads.js';
import { IdempotencyRepository } from './idempotency.js';
import { MailMessageRepository } from './mail-messages.js';
import { OutboxRepository } from './outbox.js';
import { TokenCounterRepository } from './token-counters.js';
import { OpportunityRepository } from './opportunities.js';
import type { UnitOfWork } from './record-repository.js';
import { RecordSearch } from './record-search.js';
import type { Database } from './schema.js';
import type { SecretBox } from './secret-box.js';
import { SettingsRepository } from './settings.js';
import { SourceOverview } from './source-overview.js';
import { SyncBaseRepository } from './sync-base.js';
import { SyncCursorRepository } from './sync-cursors.js';
import { SyncErrorRepository } from './sync-errors.js';
import { SyncStatusRepository } from './sync-status.js';
import { UserRepository } from './users.js';
import { WebhookRepository } from './webhooks.js';

/**
 * All repositories over one executor. `transaction()` hands the work a Store bound to the
 * transaction, so several repositories can change data atomically; inside a transaction it simply
 * reuses it (kysely has no nested transactions).
 */
export class Store implements UnitOfWork {
  readonly accounts: AccountRepository;
  readonly contacts: ContactRepository;
  readonly leads: LeadRepository;
  readonly opportunities: OpportunityRepository;
  readonly activities: ActivityRepository;
  readonly attachments: AttachmentRepository;
  readonly changes: ChangeRepository;
  readonly users: UserRepository;
  readonly credentials: CredentialRepository;
  readonly oauthGrants: OAuthGrantRepository;
  readonly settings: SettingsRepository;
  readonly webhooks: WebhookRepository;
  readonly syncStatus: SyncStatusRepository;
  readonly syncBase: SyncBaseRepository;
  readonly syncCursors: SyncCursorRepository;
  readonly syncErrors: SyncErrorRepository;
  readonly mailMessages: MailMessageRepository;
  readonly outbox: OutboxRepository;
  readonly idempotency: IdempotencyRepository;
  readonly tokenCounters: TokenCounterRepository;
  readonly calendarSync: CalendarSyncRepository;
  readonly search: RecordSearch;
  readonly sourceOverview: SourceOverview;

  constructor(
    readonly db: Kysely<Database>,
    readonly box: SecretBox,
    readonly blobs: BlobStorage,
  ) {
    this.accounts = new AccountRepository(this);
    this.contacts = new ContactRepository(this);
    this.leads = new LeadRepository(this);
    this.opportunities = new OpportunityRepository(this);
    this.activities = new ActivityRepository(this);
    this.attachments = new AttachmentRepository(db, blobs);
    this.changes = new ChangeRepository(db);
    this.users = new UserRepository(db);
    this.credentials = new CredentialRepository(db, box);
    this.oauthGrants = new OAuthGrantRepository(db, this.credentials);
    this.settings = new SettingsRepository(db);
    this.webhooks = new WebhookRepository(db, box);
    this.syncStatus = new SyncStatusRepository(db);
    this.syncBase = new SyncBaseRepository(db);
    this.syncCursors = new SyncCursorRepository(db);
    this.syncErrors = new SyncErrorRepository(db);
    this.mailMessages = new MailMessageRepository(db);
    this.outbox = new OutboxRepository(db);
    this.idempotency = new IdempotencyRepository(db);
    this.tokenCounters = new TokenCounterRepository(db);
    this.calendarSync = new CalendarSyncRepository(db);
    this.search = new RecordSearch(db);
    this.sourceOverview = new SourceOverview(db);
  }

  async transaction<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this.db);
    return this.db.transaction().execute(async (transaction) => {
      // Change-feed rows are collected while the work runs and appended just before the commit (store/changes.ts).
      collectChanges(transaction);
      const result = await work(transaction);
      await appendPending(transaction);
      return result;
    });
  }

  /**
   * Inside `atomically`: run `work` under a savepoint, so that when it throws only its own writes
   * are rolled back and the transaction goes on (SQL:1999 SAVEPOINT; SQLite and Postgres alike).
   * Several writers in one transaction (a batch of imported messages) each keep or lose their part.
   */
  async inSavepoint<T>(work: () => Promise<T>): Promise<T> {
    if (!this.db.isTransaction) throw new Error('inSavepoint needs a transaction (Store.atomically)');
    await sql`savepoint bridge_step`.execute(this.db);
    const changesBefore = pendingMark(this.db);
    try {
      const result = await work();
      await sql`release savepoint bridge_step`.execute(this.db);
      return result;
    } catch (error) {
      await sql`rollback to savepoint bridge_step`.execute(this.db);
      await sql`release savepoint bridge_step`.execute(this.db);
      discardPendingAfter(this.db, changesBefore);
      throw error;
    }
  }

  /** Run `work` with a Store whose repositories all write in one transaction. */
  async atomically<T>(work: (store: Store) => Promise<T>): Promise<T> {
    return this.transaction((db) => work(new Store(db, this.box, this.blobs)));
  }
}
