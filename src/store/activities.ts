import { inChunks } from './chunks.js';
import type { Kysely } from 'kysely';
import type { Activity, ActivityChange, ActivitySource, ActivityWrite, PartyInput, Regarding } from '../domain/activity.js';
import { BridgeError } from '../domain/errors.js';
import { normalizeEmail } from '../domain/fields.js';
import { idPrefixes } from '../domain/ids.js';
import type { Page, PageRequest } from './pagination.js';
import { OutboxRepository } from './outbox.js';
import { messageKey } from '../domain/message-id.js';
import { RecordRepository, patched } from './record-repository.js';
import { insertRows, upsertRow } from './compiled-insert.js';
import { assertReference, regardingTables } from './references.js';
import type { Database } from './schema.js';
import { activityRow, isoOrNull, partyRows, percentAfter, toActivity, toAttachment, toParty } from './activity-rows.js';

export interface ActivityFilter {
  kind?: string | undefined;
  kinds?: readonly string[] | undefined;
  owner?: string | undefined;
  /** Activities with this contact as a party or as the regarding record. */
  contact?: string | undefined;
  /** Activities with a party at this account or regarding it. */
  account?: string | undefined;
  /** A regarding record id, or `type:id`. */
  regarding?: string | undefined;
  queue?: string | undefined;
  /** Changed at or after this instant. */
  since?: string | undefined;
  messageId?: string | undefined;
  thread?: string | undefined;
}

/** Start, end and busy status of an appointment or meeting, for free/busy. */
export interface BusyTime {
  start: string;
  end: string;
  busyStatus: Activity['busyStatus'];
}

function toBusyTime(row: { start_at: string | null; end_at: string | null; busy_status: string | null }): BusyTime {
  // The query asks for start_at < to and end_at > from, so neither is null here.
  return { start: row.start_at ?? '', end: row.end_at ?? '', busyStatus: row.busy_status as BusyTime['busyStatus'] };
}

export class ActivityRepository extends RecordRepository<Activity, ActivityWrite, ActivityChange> {
  protected readonly entity = 'activity';
  protected readonly table = 'activities';
  protected readonly idPrefix = idPrefixes.activity;

  list(filter: ActivityFilter, request: PageRequest): Promise<Page<Activity>> {
    let query = this.unit.db.selectFrom('activities').select('activities.id');
    if (filter.kind !== undefined) query = query.where('activities.kind', '=', filter.kind);
    if (filter.kinds !== undefined) query = query.where('activities.kind', 'in', [...filter.kinds]);
    if (filter.owner !== undefined) query = query.where('activities.owner', '=', filter.owner);
    if (filter.queue !== undefined) query = query.where('activities.queue', '=', filter.queue);
    if (filter.since !== undefined) query = query.where('activities.updated_at', '>=', new Date(filter.since).toISOString());
    if (filter.messageId !== undefined) query = query.where('activities.message_id', '=', filter.messageId);
    if (filter.thread !== undefined) query = query.where('activities.thread_id', '=', filter.thread);
    if (filter.regarding !== undefined) {
      const [type, id] = filter.regarding.includes(':') ? filter.regarding.split(':', 2) : [undefined, filter.regarding];
      query = query.where('activities.regarding_id', '=', id!);
      if (type !== undefined) query = query.where('activities.regarding_type', '=', type);
    }
    for (const [value, column, regardingType] of [
      [filter.contact, 'contact_id', 'contact'],
      [filter.account, 'account_id', 'account'],
    ] as const) {
      if (value === undefined) continue;
      query = query.where((eb) =>
        eb.or([
          eb.exists(eb.selectFrom('activity_parties').select('activity_id').whereRef('activity_parties.activity_id', '=', 'activities.id').where(column, '=', value)),
          eb.and([eb('activities.regarding_type', '=', regardingType), eb('activities.regarding_id', '=', value)]),
        ]),
      );
    }
    return this.page(query, request);
  }

  /**
   * Appointments and meetings of a user (owned, or attended as a CRM user) that overlap [from, to)
   * and are not cancelled: the CRM's contribution to free/busy.
   */
  /**
   * The times of the appointments and meetings in [from, to) that each of `userIds` owns or
   * attends, not cancelled: only the columns free/busy needs, in two indexed queries for all users
   * at once (by owner and start; by activity_parties.user_id), so a 20-user lookup stays in
   * milliseconds. An activity a user both owns and attends appears twice; merging removes that.
   */
  async busyTimesOfUsers(userIds: readonly string[], from: string, to: string): Promise<Map<string, BusyTime[]>> {
    const byUser = new Map<string, BusyTime[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return byUser;
    const owned = await this.unit.db
      .selectFrom('activities')
      .select(['owner as user', 'start_at', 'end_at', 'busy_status'])
      .where('owner', 'in', [...userIds])
      .where('start_at', '<', to)
      .where('end_at', '>', from)
      .where('kind', 'in', ['appointment', 'meeting'])
      .where('status', '!=', 'cancelled')
      .limit(100_000)
      .execute();
    const attended = await this.unit.db
      .selectFrom('activity_parties')
      .innerJoin('activities', 'activities.id', 'activity_parties.activity_id')
      .select(['activity_parties.user_id as user', 'activities.start_at', 'activities.end_at', 'activities.busy_status'])
      .where('activity_parties.user_id', 'in', [...userIds])
      .where('activities.start_at', '<', to)
      .where('activities.end_at', '>', from)
      .where('activities.kind', 'in', ['appointment', 'meeting'])
      .where('activities.status', '!=', 'cancelled')
      .limit(100_000)
      .execute();
    for (const row of [...owned, ...attended]) if (row.user !== null) byUser.get(row.user)?.push(toBusyTime(row));
    return byUser;
  }

  async busyTimes(userId: string, from: string, to: string): Promise<BusyTime[]> {
    return (await this.busyTimesOfUsers([userId], from, to)).get(userId) ?? [];
  }

  /** Like busyTimes, for an address that is not a user: what the CRM knows of an outsider's time. */
  async busyTimesOfAddress(address: string, from: string, to: string): Promise<BusyTime[]> {
    const rows = await this.unit.db
      .selectFrom('activities')
      .select(['start_at', 'end_at', 'busy_status'])
      .where('kind', 'in', ['appointment', 'meeting'])
      .where('status', '!=', 'cancelled')
      .where('start_at', '<', to)
      .where('end_at', '>', from)
      .where((eb) => eb.exists(eb.selectFrom('activity_parties').select('activity_id').whereRef('activity_parties.activity_id', '=', 'activities.id').where('address_normalized', '=', normalizeEmail(address))))
      .orderBy('start_at')
      .limit(20_000)
      .execute();
    return rows.map(toBusyTime);
  }

  /** One conversation in date order (the sending or receiving time; creation time when unknown). */
  async thread(threadId: string): Promise<Activity[]> {
    const rows = await this.unit.db.selectFrom('activities').select(['id', 'start_at', 'created_at']).where('thread_id', '=', threadId).limit(1000).execute();
    rows.sort((a, b) => (a.start_at ?? a.created_at).localeCompare(b.start_at ?? b.created_at) || a.id.localeCompare(b.id));
    return this.loadMany(this.unit.db, rows.map((row) => row.id));
  }

  async setRegarding(id: string, regarding: Regarding | null): Promise<Activity> {
    return this.update(id, { regarding });
  }

  /** Record that this activity was (also) seen at a remote place; idempotent. */
  async addSource(activityId: string, source: Omit<ActivitySource, 'seenAt'>, seenAt = new Date().toISOString()): Promise<void> {
    const row = { activity_id: activityId, type: source.type, source_id: source.sourceId, ref: source.ref, seen_at: seenAt };
    await upsertRow(this.unit.db, 'activity_sources', row, ['type', 'source_id', 'ref'], ['activity_id', 'seen_at']);
  }

  /**
   * Deleting an activity untracks it: the IMAP messages it came from are marked so the next pass
   * removes their tracking keywords and never imports them again (DELETE /api/v1/activities/:id).
   */
  protected override async beforeDelete(db: Kysely<Database>, activity: Activity): Promise<void> {
    await db.updateTable('mail_messages').set({ state: 'untrack', tracked_by: null, activity_id: null, updated_at: new Date().toISOString() }).where('activity_id', '=', activity.id).where('state', '=', 'tracked').execute();
  }

  async findByTrackingToken(token: string): Promise<Activity | undefined> {
    const row = await this.unit.db.selectFrom('activities').select('id').where('tracking_token', '=', token).executeTakeFirst();
    return row ? this.get(row.id) : undefined;
  }

  /** E-mail activities with this normalised subject dated within [since, until], oldest first. */
  async findBySubjectKey(subjectKey: string, since: string, until: string): Promise<Activity[]> {
    const rows = await this.unit.db
      .selectFrom('activities')
      .select('id')
      .where('subject_key', '=', subjectKey)
      .where((eb) => eb.or([eb.and([eb('start_at', '>=', since), eb('start_at', '<=', until)]), eb.and([eb('start_at', 'is', null), eb('created_at', '>=', since)])]))
      // NULLS FIRST said out loud: SQLite sorts NULL first by default, PostgreSQL last, and which
      // candidate the smart correlation meets first must not depend on the database.
      .orderBy('start_at', (ob) => ob.asc().nullsFirst())
      .orderBy('id')
      .limit(50)
      .execute();
    return this.loadMany(this.unit.db, rows.map((row) => row.id));
  }

  /**
   * Activities that answer the message with this id but were stored before it (a reply that arrived
   * first) and are not yet correlated: In-Reply-To equal to it, or References containing it.
   */
  async findUncorrelatedReplies(messageId: string): Promise<Activity[]> {
    const rows = await this.unit.db
      .selectFrom('activity_references')
      .innerJoin('activities', 'activities.id', 'activity_references.activity_id')
      .select('activities.id')
      .where('activity_references.message_key', '=', messageKey(messageId))
      .where('activities.correlation_activity_id', 'is', null)
      .orderBy('activities.id')
      .limit(100)
      .execute();
    return this.loadMany(this.unit.db, rows.map((row) => row.id));
  }

  /** E-mail activities with this de-duplication key (normally one). */
  async findByMessageKey(messageKey: string): Promise<Activity[]> {
    const rows = await this.unit.db.selectFrom('activities').select('id').where('message_key', '=', messageKey).orderBy('id').execute();
    return this.loadMany(this.unit.db, rows.map((row) => row.id));
  }

  /** The identities (id and content fingerprint) of the e-mail activities with this Message-ID key,
   * oldest first, without loading them (one query). */
  async findIdentitiesByMessageKey(messageKey: string): Promise<Array<{ id: string; fingerprint: string }>> {
    const rows = await this.unit.db.selectFrom('activities').select(['id', 'content_fingerprint']).where('message_key', '=', messageKey).orderBy('id').execute();
    return rows.map((row) => ({ id: row.id, fingerprint: row.content_fingerprint }));
  }

  /** The id of an e-mail activity with this de-duplication key, without loading it (one query). */
  async findIdByMessageKey(messageKey: string): Promise<{ id: string } | undefined> {
    return this.unit.db.selectFrom('activities').select('id').where('message_key', '=', messageKey).orderBy('id').limit(1).executeTakeFirst();
  }

  /** Forget that this activity was seen at a remote place; returns how many sources remain. */
  async removeSource(activityId: string, source: Omit<ActivitySource, 'seenAt'>): Promise<number> {
    await this.unit.db.deleteFrom('activity_sources').where('type', '=', source.type).where('source_id', '=', source.sourceId).where('ref', '=', source.ref).execute();
    const row = await this.unit.db.selectFrom('activity_sources').select((eb) => eb.fn.countAll<number>().as('count')).where('activity_id', '=', activityId).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** The activity a remote item was stored as, if any. */
  /** id -> updatedAt of a user's activities of these kinds: what changed since a sync, without loading any. */
  async versionsOf(owner: string, kinds: readonly Activity['kind'][]): Promise<Map<string, string>> {
    if (kinds.length === 0) return new Map();
    const rows = await this.unit.db.selectFrom('activities').select(['id', 'updated_at']).where('owner', '=', owner).where('kind', 'in', [...kinds]).execute();
    return new Map(rows.map((row) => [row.id, row.updated_at]));
  }

  async findBySource(type: ActivitySource['type'], sourceId: string, ref: string): Promise<Activity | undefined> {
    const row = await this.unit.db.selectFrom('activity_sources').select('activity_id').where('type', '=', type).where('source_id', '=', sourceId).where('ref', '=', ref).executeTakeFirst();
    return row ? this.get(row.activity_id) : undefined;
  }

  protected async loadMany(db: Kysely<Database>, ids: readonly string[]): Promise<Activity[]> {
    if (ids.length === 0) return [];
    const list = [...ids];
    const rows = await inChunks(list, (slice) => db.selectFrom('activities').selectAll().where('id', 'in', slice).execute());
    const parties = await inChunks(list, (slice) => db.selectFrom('activity_parties').selectAll().where('activity_id', 'in', slice).orderBy('position').execute());
    const sources = await inChunks(list, (slice) => db.selectFrom('activity_sources').selectAll().where('activity_id', 'in', slice).orderBy('seen_at').execute());
    const attachments = await inChunks(list, (slice) => db.selectFrom('attachments').selectAll().where('activity_id', 'in', slice).orderBy('position').execute());
    const outbox = await new OutboxRepository(db).many(list);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      if (!row) return [];
      return [toActivity(
        row,
        parties.filter((party) => party.activity_id === id).map(toParty),
        sources.filter((source) => source.activity_id === id).map((source) => ({ type: source.type as ActivitySource['type'], sourceId: source.source_id, ref: source.ref, seenAt: source.seen_at })),
        attachments.filter((attachment) => attachment.activity_id === id).map(toAttachment),
        outbox.get(id),
      )];
    });
  }

  protected async insert(db: Kysely<Database>, id: string, input: ActivityWrite, now: string): Promise<void> {
    await insertRows(db, 'activities', [activityRow(id, input, now)]);
    await this.writeParties(db, id, input.parties ?? [], true);
    await this.writeReferences(db, id, input.inReplyTo ?? null, input.references ?? [], true);
  }

  /**
   * A new activity is exactly its rows: no sources, attachments or outbox entry yet. Built from what
   * insert() wrote instead of five queries reading it back (a measurable part of a mail import).
   */
  protected override async created(_db: Kysely<Database>, id: string, input: ActivityWrite, now: string): Promise<Activity> {
    return toActivity(activityRow(id, input, now), partyRows(id, input.parties ?? []).map(toParty), [], [], undefined);
  }

  protected async patch(db: Kysely<Database>, current: Activity, changes: ActivityChange, now: string): Promise<void> {
    const regarding = patched(changes, 'regarding', current.regarding);
    const correlation = patched(changes, 'correlation', current.correlation);
    await db
      .updateTable('activities')
      .set({
        kind: changes.kind ?? current.kind,
        subject: changes.subject ?? current.subject,
        owner: patched(changes, 'owner', current.owner) ?? null,
        start_at: isoOrNull(patched(changes, 'start', current.start)),
        end_at: isoOrNull(patched(changes, 'end', current.end)),
        due_at: isoOrNull(patched(changes, 'due', current.due)),
        all_day: (changes.allDay ?? current.allDay) ? 1 : 0,
        time_zone: patched(changes, 'timeZone', current.timeZone) ?? null,
        location: patched(changes, 'location', current.location) ?? null,
        status: changes.status ?? current.status,
        priority: changes.priority ?? current.priority,
        percent_complete: percentAfter(current, changes),
        reminder_minutes: patched(changes, 'reminderMinutes', current.reminderMinutes) ?? null,
        busy_status: patched(changes, 'busyStatus', current.busyStatus) ?? null,
        message_id: patched(changes, 'messageId', current.messageId) ?? null,
        in_reply_to: patched(changes, 'inReplyTo', current.inReplyTo) ?? null,
        references_json: JSON.stringify(changes.references ?? current.references),
        thread_id: patched(changes, 'threadId', current.threadId) ?? null,
        regarding_type: regarding?.type ?? null,
        regarding_id: regarding?.id ?? null,
        queue: patched(changes, 'queue', current.queue) ?? null,
        body_text: patched(changes, 'bodyText', current.bodyText) ?? null,
        body_html: patched(changes, 'bodyHtml', current.bodyHtml) ?? null,
        classification: patched(changes, 'classification', current.classification) ?? null,
        correlation_method: correlation?.method ?? null,
        correlation_activity_id: correlation?.activityId ?? null,
        ...('messageKey' in changes ? { message_key: changes.messageKey ?? null } : {}),
        ...(changes.contentFingerprint !== undefined ? { content_fingerprint: changes.contentFingerprint } : {}),
        updated_at: now,
      })
      .where('id', '=', current.id)
      .execute();
    if (changes.parties !== undefined) await this.writeParties(db, current.id, changes.parties);
    if (changes.inReplyTo !== undefined || changes.references !== undefined) {
      await this.writeReferences(db, current.id, patched(changes, 'inReplyTo', current.inReplyTo) ?? null, changes.references ?? current.references);
    }
    const start = patched(changes, 'start', current.start);
    const end = patched(changes, 'end', current.end);
    if (start && end && Date.parse(end) < Date.parse(start)) {
      throw new BridgeError('INVALID_INPUT', 'end: must not be before start', { details: [{ path: 'end', message: 'must not be before start' }] });
    }
  }

  protected async checkReferences(db: Kysely<Database>, input: ActivityWrite | ActivityChange): Promise<void> {
    await assertReference(db, 'users', input.owner, 'owner');
    if (input.regarding) await assertReference(db, regardingTables[input.regarding.type], input.regarding.id, 'regarding.id');
    for (const [index, party] of (input.parties ?? []).entries()) {
      await assertReference(db, 'contacts', party.contactId, `parties[${index}].contactId`);
      await assertReference(db, 'accounts', party.accountId, `parties[${index}].accountId`);
      await assertReference(db, 'leads', party.leadId, `parties[${index}].leadId`);
      await assertReference(db, 'users', party.userId, `parties[${index}].userId`);
    }
  }

  /** `fresh`: the activity was just inserted, so there is nothing to replace. */
  private async writeReferences(db: Kysely<Database>, activityId: string, inReplyTo: string | null, references: readonly string[], fresh = false): Promise<void> {
    if (!fresh) await db.deleteFrom('activity_references').where('activity_id', '=', activityId).execute();
    const keys = [...new Set([...(inReplyTo ? [inReplyTo] : []), ...references].map(messageKey).filter((key) => key !== ''))];
    if (keys.length > 0) await db.insertInto('activity_references').values(keys.map((key) => ({ activity_id: activityId, message_key: key }))).execute();
  }

  private async writeParties(db: Kysely<Database>, activityId: string, parties: readonly PartyInput[], fresh = false): Promise<void> {
    if (!fresh) await db.deleteFrom('activity_parties').where('activity_id', '=', activityId).execute();
    if (parties.length === 0) return;
    await insertRows(db, 'activity_parties', partyRows(activityId, parties));
  }
}
