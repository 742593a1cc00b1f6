/**
 * One pass of calendar and task sync for one user (issue 5), the executor around the pure planner
 * (plan-item.ts, plan-merge.ts):
 *
 * 1. Find (or MKCALENDAR) the CRM calendar and the CRM task list.
 * 2. Read every calendar of the user with sync-collection since its cursor: every object feeds the
 *    free/busy mirror; objects in the CRM collections, or carrying the track category anywhere, are
 *    observations of the `calendar:<user>` (VEVENT) or `tasks:<user>` (VTODO) pair, keyed by UID.
 * 3. Per pair, join the sync status, the merge bases, the user's CRM activities and the
 *    observations by identity, plan each item and apply the action, each on its own: a failing
 *    item is recorded in sync_errors and the pass goes on.
 * 4. Advance the cursors (not for a collection whose deletions were held by the safety rail).
 *
 * Crash safety (DESIGN.md principle 3): a CRM item gets the UID `crm-bridge-<activity id>` and the
 * resource `<uid>.ics`, recorded as a pending create BEFORE the PUT (If-None-Match: *); a rerun
 * that finds the resource (412, or listed) adopts it instead of creating a second one.
 */
import type { Logger } from 'pino';
import type { Activity, PartyInput } from '../../domain/activity.js';
import { normalizeEmail } from '../../domain/fields.js';
import { parseCalendarObject, type CalendarObject, type ParseCalendarOptions } from '../../calendar/ical-parse.js';
import { resolveParties, type AddressWithRole } from '../../domain/resolve-parties.js';
import { StoreDirectory } from '../../store/party-directory.js';
import type { Store } from '../../store/store.js';
import type { MirrorBusy, MirrorEntry } from '../../store/calendar-sync.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import type { DavCollection, DavConnector, DavObject, DavServerSettings, DavSession } from '../../ports/dav.js';
import { fieldsHash, type BusyStatusMap, type ItemFields } from './fields.js';
import {
  activityChangeOf,
  activityOfRemote,
  baseOfRemote,
  crmFieldsOf,
  familyOf,
  fieldNamesOf,
  fieldsToIcal,
  isCurrent,
  organisedBy,
  readRemote,
  type BaseRecord,
  type FamilyName,
  type RemoteRead,
  type UserContext,
} from './item-codec.js';
import { ensureCrmCollections } from './collections.js';
import { mirrorBusy } from './mirror.js';
import { mergeFields, type ConflictPolicy } from '../engine/merge.js';
import { planItem, type CrmSide, type ItemAction, type RemoteSide } from './plan-item.js';
import { activityIdOfUid, activityUid } from '../engine/bridge-uid.js';
import { createOrAdopt, retryAfterConflict } from '../engine/conditional-write.js';
import { collectionOf, sameHref } from '../engine/href.js';
import { holdMassDeletion } from '../engine/mass-deletion.js';
import { isOwnWrite } from '../engine/own-writes.js';
import { PassFailures } from '../engine/failure.js';
import { davCursorSchema, davPair, readCursor, type DavCursor } from '../engine/keys.js';
import { EventLoopSlices } from '../event-loop-slices.js';

export interface CalendarSpec {
  sourceId: string;
  userId: string;
  userEmail: string;
  userName: string;
  server: DavServerSettings;
  crmCalendar: string;
  trackCategory: string;
  crmTaskList: string;
  eventPolicy: ConflictPolicy;
  taskPolicy: ConflictPolicy;
  /** users[].calendar.busyStatusMap; absent: every status shows as itself. */
  busyStatusMap?: BusyStatusMap;
  /** users[].calendar.maxObjectBytes: larger objects are recorded and left alone (default 2 MiB). */
  maxObjectBytes?: number;
}

export interface CalendarSyncDeps {
  store: Store;
  connector: DavConnector;
  log: Logger;
  users: ReadonlyArray<{ id: string; email: string }>;
  now?: () => Date;
}

export interface CalendarSyncResult {
  changed: number;
  itemErrors: number;
}

/** The sync_status pair names (the reset endpoint relies on them). */

const familyKinds: Record<FamilyName, readonly Activity['kind'][]> = { events: ['appointment', 'meeting'], tasks: ['task', 'follow_up'] };

interface Observation {
  object: DavObject;
  collection: DavCollection;
  read: RemoteRead;
  parsed: CalendarObject;
  tracked: boolean;
}

interface FamilyState {
  name: FamilyName;
  pair: string;
  collection: DavCollection;
  policy: ConflictPolicy;
  observations: Map<string, Observation>;
  deleted: Set<string>;
}

/** Unknown (no href yet) counts as the CRM collection, where the bridge creates items. */
function inCrmCollection(href: string | null, collection: DavCollection): boolean {
  return href === null || within(href, collection);
}

function within(href: string, collection: DavCollection): boolean {
  return decodeURI(href).startsWith(decodeURI(collection.href));
}

export class CalendarSync {
  private changed = 0;
  /** Item and collection failures of this pass; how far each reaches is failure.ts's rule. */
  private readonly failures: PassFailures;
  private readonly now: Date;
  private readonly user: UserContext;
  private readonly directory: StoreDirectory;
  private readonly parseOptions: ParseCalendarOptions;
  private session!: DavSession;
  /** Collections this round wrote to (PUT or DELETE). */
  private readonly written = new Set<string>();
  /** Mirror rows of the collection being read, written in one transaction after the listing. */
  private mirrorQueue: Array<{ entry: MirrorEntry; busy: MirrorBusy[] }> = [];
  /** The round's sync status by pair, identity and href (looked up once per object). */
  private statusIndex: Record<FamilyName, { byIdentity: Map<string, SyncStatusEntry>; byHref: Map<string, SyncStatusEntry> }> = {
    events: { byIdentity: new Map(), byHref: new Map() },
    tasks: { byIdentity: new Map(), byHref: new Map() },
  };

  constructor(
    private readonly spec: CalendarSpec,
    private readonly deps: CalendarSyncDeps,
    private readonly signal: AbortSignal,
    /** The pass deadline: closes the DAV connection at once (src/sync/source-deadline.ts). */
    private readonly abort?: AbortSignal,
  ) {
    this.now = deps.now?.() ?? new Date();
    this.failures = new PassFailures(deps.store.syncErrors, spec.sourceId, deps.log);
    this.user = {
      userId: spec.userId,
      email: spec.userEmail,
      name: spec.userName,
      userEmails: new Map(deps.users.map((user) => [normalizeEmail(user.email), user.id])),
      ...(spec.busyStatusMap ? { busyStatusMap: spec.busyStatusMap } : {}),
    };
    this.directory = new StoreDirectory(deps.store, deps.users);
    this.parseOptions = spec.maxObjectBytes === undefined ? {} : { maxBytes: spec.maxObjectBytes };
  }

  private get store(): Store {
    return this.deps.store;
  }

  async run(): Promise<CalendarSyncResult> {
    this.session = await this.deps.connector.connect(this.spec.server, this.abort);
    let calendars = await this.session.listCalendars();
    const ensured = await ensureCrmCollections(this.session, this.spec, calendars, this.deps.log);
    calendars = ensured.calendars;
    const families: Record<FamilyName, FamilyState> = {
      events: { name: 'events', pair: davPair('calendar', this.spec.userId), collection: ensured.crmCalendar, policy: this.spec.eventPolicy, observations: new Map(), deleted: new Set() },
      tasks: { name: 'tasks', pair: davPair('tasks', this.spec.userId), collection: ensured.taskList, policy: this.spec.taskPolicy, observations: new Map(), deleted: new Set() },
    };
    await this.dropVanishedCollections(calendars);
    // CRM collections first, so that a UID found in both a CRM collection and elsewhere counts there.
    let toRead = [...calendars].sort((a, b) => Number(this.isCrmCollection(b, families)) - Number(this.isCrmCollection(a, families)));
    // A second round reads the collections this pass wrote to: a sync token taken before our own
    // writes would let a server forget an item that we created and the client deleted before the
    // next pass (Xandikos reports nothing for it). Our own writes come back with the ETag we
    // stored and are skipped; a client edit made meanwhile is merged in that round.
    for (let round = 0; round < 2 && toRead.length > 0; round += 1) {
      this.written.clear();
      for (const family of [families.events, families.tasks]) {
        family.observations.clear();
        family.deleted.clear();
      }
      const statuses: Record<FamilyName, SyncStatusEntry[]> = {
        events: await this.store.syncStatus.listPair(families.events.pair),
        tasks: await this.store.syncStatus.listPair(families.tasks.pair),
      };
      for (const name of ['events', 'tasks'] as const) {
        this.statusIndex[name] = { byIdentity: new Map(statuses[name].map((entry) => [entry.identity, entry])), byHref: new Map(statuses[name].flatMap((entry) => (entry.remote.ref ? [[entry.remote.ref, entry] as const] : []))) };
      }
      const cursorUpdates: Array<{ pairs: string[]; href: string; cursor: DavCursor }> = [];
      for (const collection of toRead) {
        if (this.signal.aborted) return this.result();
        const update = await this.readCollection(collection, families, statuses);
        if (update) cursorUpdates.push(update);
      }
      for (const family of [families.events, families.tasks]) {
        if (this.signal.aborted) return this.result();
        await this.syncFamily(family, statuses[family.name]);
      }
      for (const update of cursorUpdates) for (const pair of update.pairs) await this.store.syncCursors.put(pair, update.href, update.cursor);
      toRead = toRead.filter((collection) => [...this.written].some((href) => sameHref(href, collection.href)));
    }
    return this.result();
  }

  private result(): CalendarSyncResult {
    return { changed: this.changed, itemErrors: this.failures.count };
  }

  private isCrmCollection(collection: DavCollection, families: Record<FamilyName, FamilyState>): boolean {
    return sameHref(collection.href, families.events.collection.href) || sameHref(collection.href, families.tasks.collection.href);
  }

  /** Which pairs a collection's cursor serves: a reset of either must make it read everything again. */
  private pairsOf(collection: DavCollection, families: Record<FamilyName, FamilyState>): string[] {
    const events = sameHref(collection.href, families.events.collection.href);
    const tasks = sameHref(collection.href, families.tasks.collection.href);
    if (events && !tasks) return [families.events.pair];
    if (tasks && !events) return [families.tasks.pair];
    return [families.events.pair, families.tasks.pair];
  }

  private async tokenOf(pairs: readonly string[], href: string): Promise<string | null> {
    const tokens = new Set<string | null>();
    for (const pair of pairs) {
      tokens.add(readCursor(davCursorSchema, await this.store.syncCursors.get(pair, href))?.syncToken ?? null);
    }
    return tokens.size === 1 ? [...tokens][0]! : null;
  }

  private async readCollection(collection: DavCollection, families: Record<FamilyName, FamilyState>, statuses: Record<FamilyName, SyncStatusEntry[]>): Promise<{ pairs: string[]; href: string; cursor: DavCursor } | null> {
    const pairs = this.pairsOf(collection, families);
    const token = await this.tokenOf(pairs, collection.href);
    let changes;
    try {
      changes = await this.session.changes(collection, token);
    } catch (error) {
      // One calendar that cannot be read (a server error on it, a broken resource Radicale chokes
      // on) is recorded and skipped; the others and the CRM side still sync. Its items count as
      // unchanged, never as deleted. Rejected credentials or a lost connection fail the whole
      // source (failure.ts).
      await this.failures.handle(error, 'collection', collection.href);
      return null;
    }
    const complete = token === null || changes.fullResync;
    const crmCollection = this.isCrmCollection(collection, families);
    const listed = new Set<string>();
    const slices = new EventLoopSlices();
    for (const object of changes.changed) {
      listed.add(object.href);
      await this.observe(object, collection, crmCollection, families);
      // Parsing and expanding are synchronous: hand the event loop back between objects so that a
      // calendar of many heavy (or hostile) objects delays the API and other sources by a slice.
      await slices.pace();
    }
    // Listed but unreadable (too large, bad XML): recorded; the item stays as it was, never deleted.
    for (const failure of changes.failed) {
      listed.add(failure.href);
      await this.failures.handle(failure.error, 'item', failure.href);
    }
    const queued = this.mirrorQueue;
    this.mirrorQueue = [];
    await this.store.atomically(async (store) => {
      for (const { entry, busy } of queued) await store.calendarSync.putMirror(this.spec.userId, entry, busy);
    });
    const deleted = new Set(changes.deleted);
    if (complete) {
      for (const entry of await this.store.calendarSync.mirrorOf(this.spec.userId, collection.href)) if (!listed.has(entry.href)) deleted.add(entry.href);
      for (const family of [families.events, families.tasks]) {
        for (const status of statuses[family.name]) {
          if (status.remote.ref && within(status.remote.ref, collection) && !listed.has(status.remote.ref)) deleted.add(status.remote.ref);
        }
      }
    }
    // Safety rail: a collection that lost every synced item at once keeps them (and its cursor).
    let held = false;
    for (const family of [families.events, families.tasks]) {
      const known = statuses[family.name].filter((status) => !status.tombstone && status.pending === null && status.remote.ref && within(status.remote.ref, collection));
      const gone = known.filter((status) => deleted.has(status.remote.ref!));
      if (gone.length > 0 && holdMassDeletion(known.length, gone.length)) {
        held = true;
        await this.failures.record(collection.href, 'CONFLICT', `calendar ${collection.displayName ?? collection.href} suddenly lists none of the ${known.length} ${family.name} the bridge synced into it; their deletion is held (nothing deleted in the CRM). Reset the user's ${family.name === 'events' ? 'calendar' : 'tasks'} sync to write them again.`);
      }
    }
    await this.store.atomically(async (store) => {
      for (const href of deleted) await store.calendarSync.removeMirror(this.spec.userId, href);
    });
    if (!held) {
      for (const href of deleted) {
        for (const family of [families.events, families.tasks]) {
          const status = this.statusIndex[family.name].byHref.get(href);
          if (status) family.deleted.add(status.identity);
        }
      }
    }
    return held ? null : { pairs, href: collection.href, cursor: { syncToken: changes.syncToken } };
  }

  private async observe(object: DavObject, collection: DavCollection, crmCollection: boolean, families: Record<FamilyName, FamilyState>): Promise<void> {
    let parsed: CalendarObject;
    let read: RemoteRead;
    let busy: Awaited<ReturnType<typeof mirrorBusy>>;
    try {
      parsed = parseCalendarObject(object.data, this.parseOptions);
      read = readRemote(parsed, this.user);
      busy = await mirrorBusy(parsed, this.now);
    } catch (error) {
      // Broken iCalendar, an object over the size limit or a recurrence rule that exceeds the
      // expansion budget: recorded with its href; the CRM copy (if any) is left alone.
      this.mirrorQueue.push({ entry: { href: object.href, collection: collection.href, etag: object.etag, uid: null }, busy: [] });
      await this.failures.handle(error, 'item', object.href);
      return;
    }
    this.mirrorQueue.push({ entry: { href: object.href, collection: collection.href, etag: object.etag, uid: parsed.uid }, busy: busy.busy });

    const family = families[familyOf(parsed)];
    const tracked = crmCollection || read.categories.some((category) => category.toLowerCase() === this.spec.trackCategory.toLowerCase());
    const status = this.statusIndex[family.name].byIdentity.get(parsed.uid);
    if (!tracked && !status) return;
    // Our own write, reported back by sync-collection: nothing new.
    if (status && status.pending === null && isOwnWrite(object, status.remote)) return;
    if (tracked) {
      const notes = [...read.warnings, ...(busy.truncated ? ['recurrence expansion capped: the series has more instances than the free/busy mirror keeps'] : [])];
      if (notes.length > 0) await this.failures.note(object.href, 'INVALID_INPUT', `${read.fields.subject || parsed.uid}: synced with warnings: ${notes.join('; ')}`.slice(0, 2000));
    }
    const existing = family.observations.get(parsed.uid);
    // An untracked copy elsewhere never hides the tracked one.
    if (existing && (existing.tracked || !tracked)) return;
    family.observations.set(parsed.uid, { object, collection, read, parsed, tracked });
  }

  private async dropVanishedCollections(calendars: readonly DavCollection[]): Promise<void> {
    for (const href of await this.store.calendarSync.mirrorCollections(this.spec.userId)) {
      if (calendars.some((calendar) => sameHref(calendar.href, href))) continue;
      for (const entry of await this.store.calendarSync.mirrorOf(this.spec.userId, href)) await this.store.calendarSync.removeMirror(this.spec.userId, entry.href);
    }
  }

  // ----------------------------------------------------------------------------------- items

  /**
   * The user's activities of a family as id -> updatedAt: one light query, so that a pass without
   * CRM changes loads no activity (an unchanged one has the updatedAt its status row recorded).
   */
  private async activityVersions(family: FamilyState): Promise<Map<string, string>> {
    return this.store.activities.versionsOf(this.spec.userId, familyKinds[family.name]);
  }

  private async syncFamily(family: FamilyState, statuses: SyncStatusEntry[]): Promise<void> {
    const versions = await this.activityVersions(family);
    const cache = new Map<string, Activity>();
    const load = async (id: string): Promise<Activity | undefined> => {
      if (!versions.has(id)) return undefined;
      let activity = cache.get(id);
      if (!activity) {
        activity = await this.store.activities.get(id);
        if (activity) cache.set(id, activity);
      }
      return activity;
    };
    const statusByIdentity = new Map(statuses.map((status) => [status.identity, status]));
    const claimed = new Set(statuses.map((status) => status.crm.ref).filter((ref): ref is string => ref !== null));
    // Calendar items without a status row may be known activities (after a reset, or a create whose
    // confirmation was lost): the bridge's own UID names the activity, else the resource it was stored from.
    const matched = new Map<string, string>();
    for (const [identity, observation] of family.observations) {
      if (statusByIdentity.has(identity)) continue;
      const id = activityIdOfUid(identity) ?? (await this.store.activities.findBySource('caldav', this.spec.userId, observation.object.href))?.id;
      if (id !== undefined && versions.has(id) && !claimed.has(id)) {
        matched.set(identity, id);
        claimed.add(id);
      }
    }
    const identities = new Set<string>([...statusByIdentity.keys(), ...family.observations.keys()]);
    for (const id of versions.keys()) if (!claimed.has(id)) identities.add(activityUid(id));

    for (const identity of identities) {
      if (this.signal.aborted) return;
      const observation = family.observations.get(identity) ?? null;
      const status = statusByIdentity.get(identity) ?? null;
      try {
        let activityId: string | undefined;
        if (status?.crm.ref) activityId = versions.has(status.crm.ref) ? status.crm.ref : undefined;
        else if (matched.has(identity)) activityId = matched.get(identity);
        else if (!observation && versions.has(activityIdOfUid(identity) ?? '')) activityId = activityIdOfUid(identity)!;
        await this.syncItem(family, identity, status, observation, activityId, versions, load);
      } catch (error) {
        // A bad item is recorded and the others go on; a lost connection or a struggling server
        // ends the pass here instead of leaving one error row per remaining item (failure.ts).
        await this.failures.handle(error, 'item', observation?.object.href ?? status?.remote.ref ?? identity);
      }
    }
  }

  private async syncItem(family: FamilyState, identity: string, status: SyncStatusEntry | null, observation: Observation | null, activityId: string | undefined, versions: ReadonlyMap<string, string>, load: (id: string) => Promise<Activity | undefined>): Promise<void> {
    let activity: Activity | undefined;
    let crm: CrmSide;
    if (activityId !== undefined && status && status.pending === null && status.crm.hash !== null && versions.get(activityId) === status.crm.version) {
      // Unchanged since it was synced: its hash is the one recorded.
      crm = { state: 'present', hash: status.crm.hash };
    } else {
      activity = activityId === undefined ? undefined : await load(activityId);
      if (activity) crm = { state: 'present', hash: fieldsHash(crmFieldsOf(family.name, activity, this.user)) };
      else if (status?.crm.ref || activityIdOfUid(identity) !== null) crm = { state: 'deleted' };
      else crm = { state: 'none' };
    }

    const remote: RemoteSide = observation ? { state: 'changed', hash: fieldsHash(observation.read.fields), tracked: observation.tracked } : family.deleted.has(identity) ? { state: 'deleted' } : { state: 'unseen' };
    if (status && status.pending === null && !status.tombstone && crm.state === 'present' && remote.state === 'unseen' && crm.hash === status.crm.hash) return;
    const base = status ? ((await this.store.syncBase.get(family.pair, identity))?.fields as BaseRecord | undefined) : undefined;
    const known = observation ? baseOfRemote(observation.read) : base;
    const action = planItem({
      status: status ? { crmRef: status.crm.ref, remoteRef: status.remote.ref, crmHash: status.crm.hash, remoteHash: status.remote.hash, tombstone: status.tombstone, pending: status.pending } : null,
      crm,
      remote,
      organisedByUser: known ? organisedBy(known.organizer, this.user) : true,
      current: known ? isCurrent(known, this.now) : true,
      inCrmCollection: inCrmCollection(status?.remote.ref ?? observation?.object.href ?? null, family.collection),
    });
    if (action.type === 'none') return;
    if (!activity && activityId !== undefined) activity = await load(activityId);
    await this.apply(action, family, identity, status, base, observation, activity);
  }

  private async apply(action: ItemAction, family: FamilyState, identity: string, status: SyncStatusEntry | null, base: BaseRecord | undefined, observation: Observation | null, activity: Activity | undefined): Promise<void> {
    switch (action.type) {
      case 'none':
        return;
      case 'create-remote':
        await this.createRemote(family, identity, activity!, status);
        break;
      case 'create-crm':
        await this.createCrm(family, observation!);
        break;
      case 'merge': {
        const remote = observation ? { object: observation.object, parsed: observation.parsed, read: observation.read } : await this.remoteOf(family, status!, base);
        if (!remote) {
          // The resource is gone although it was not reported deleted: write it again.
          await this.createRemote(family, identity, activity!, status);
          break;
        }
        await this.merge(family, identity, activity!, remote, action.baseFromRemote || !base ? null : base.fields, status);
        break;
      }
      case 'delete-crm':
        if (activity) await this.store.activities.delete(activity.id);
        await this.forget(family, identity);
        break;
      case 'delete-remote': {
        const href = status?.remote.ref ?? observation?.object.href;
        if (href) {
          this.written.add(collectionOf(href));
          await this.session.remove(href, observation?.object.etag ?? status?.remote.version ?? null);
        }
        await this.store.calendarSync.removeMirror(this.spec.userId, href ?? '');
        await this.forget(family, identity);
        break;
      }
      case 'tombstone':
        await this.store.syncStatus.put({ ...status!, tombstone: true, pending: null });
        break;
      case 'forget':
        await this.forget(family, identity);
        break;
    }
    this.changed += 1;
  }

  private async forget(family: FamilyState, identity: string): Promise<void> {
    await this.store.syncStatus.remove(family.pair, identity);
    await this.store.syncBase.remove(family.pair, identity);
  }

  /** The current remote object of a synced item that this pass did not report (from the base, or fetched). */
  private async remoteOf(family: FamilyState, status: SyncStatusEntry, base: BaseRecord | undefined): Promise<{ object: DavObject; parsed: CalendarObject; read: RemoteRead } | null> {
    const href = status.remote.ref!;
    const stored = await this.store.syncBase.get(family.pair, status.identity);
    if (stored?.data && status.remote.version && base) {
      const parsed = parseCalendarObject(stored.data, this.parseOptions);
      return { object: { href, etag: status.remote.version, data: stored.data }, parsed, read: readRemote(parsed, this.user) };
    }
    return this.fetchRemote(family, href);
  }

  private async fetchRemote(family: FamilyState, href: string): Promise<{ object: DavObject; parsed: CalendarObject; read: RemoteRead } | null> {
    const [object] = await this.session.fetch(family.collection, [href]);
    if (!object) return null;
    const parsed = parseCalendarObject(object.data, this.parseOptions);
    return { object, parsed, read: readRemote(parsed, this.user) };
  }

  private async createRemote(family: FamilyState, identity: string, activity: Activity, status: SyncStatusEntry | null): Promise<void> {
    const href = status?.remote.ref ?? new URL(`${encodeURIComponent(identity)}.ics`, family.collection.href).href;
    const fields = crmFieldsOf(family.name, activity, this.user);
    // The intent first: a crash after the PUT leaves a row that the next pass completes.
    await this.store.syncStatus.put({
      pair: family.pair,
      identity,
      crm: { ref: activity.id, version: activity.updatedAt, hash: fieldsHash(fields) },
      remote: { ref: href, version: null, hash: null },
      origin: 'crm',
      tombstone: false,
      pending: 'create',
    });
    const text = fieldsToIcal(family.name, fields, activity, null, null, identity, this.user, this.now);
    this.written.add(collectionOf(href));
    const outcome = await createOrAdopt(
      () => this.session.put(href, text, null, 'text/calendar'),
      () => this.fetchRemote(family, href),
    );
    // It exists already (a create whose answer was lost, or a reset): adopt and merge.
    if (outcome.kind === 'exists') await this.merge(family, identity, activity, outcome.current, null, null);
    else await this.settle(family, identity, activity, { href, etag: outcome.etag, data: text }, 'crm');
  }

  private async createCrm(family: FamilyState, observation: Observation): Promise<void> {
    const parties = await this.resolve(observation.read);
    await this.store.atomically(async (store) => {
      const activity = await store.activities.create(activityOfRemote(observation.read, this.spec.userId, parties));
      await this.settleIn(store, family, observation.parsed.uid, activity, observation.object, 'remote', observation);
    });
  }

  private async resolve(read: RemoteRead): Promise<PartyInput[]> {
    const parties = read.event?.parties ?? [];
    const addresses: AddressWithRole[] = parties.map((party) => ({ address: party.address, name: party.name ?? null, role: party.role }));
    return resolveParties(addresses, this.directory);
  }

  /**
   * Three-way merge and write both sides; on 412 (the calendar changed meanwhile) re-read and merge
   * again, at most MAX_WRITE_ATTEMPTS writes. `baseFields` null: no base (re-match), the calendar's copy is the base.
   */
  private async merge(family: FamilyState, identity: string, start: Activity, initial: { object: DavObject; parsed: CalendarObject; read: RemoteRead }, baseFields: ItemFields | null, status: SyncStatusEntry | null): Promise<void> {
    let activity = start;
    let remote = initial;
    for (let attempt = 1; ; attempt += 1) {
      const crmFields = crmFieldsOf(family.name, activity, this.user);
      const result = mergeFields({
        base: (baseFields ?? remote.read.fields) as unknown as Record<string, unknown>,
        crm: crmFields as unknown as Record<string, unknown>,
        remote: remote.read.fields as unknown as Record<string, unknown>,
        fields: fieldNamesOf(family.name),
        policy: family.policy,
        crmModifiedAt: activity.updatedAt,
        remoteModifiedAt: remote.read.modifiedAt,
      });
      const merged = result.merged as unknown as ItemFields;
      if (result.conflicts.length > 0) {
        await this.failures.note(
          remote.object.href,
          'CONFLICT',
          `conflict on ${family.name === 'events' ? 'event' : 'task'} "${activity.subject}" (${activity.id}, ${identity}): ${result.conflicts.join(', ')} changed in both the CRM and the calendar; policy ${family.policy} kept the ${result.winner === 'crm' ? 'CRM' : 'calendar'} values`,
        );
      }
      if (result.writeCrm) {
        const attendees = family.name === 'events' ? await this.resolve(remote.read) : [];
        const change = activityChangeOf(family.name, merged, crmFields, attendees.filter((party) => party.role === 'attendee' || party.role === 'optional_attendee'), activity);
        if (Object.keys(change).length > 0) activity = await this.store.activities.update(activity.id, change);
      }
      if (!result.writeRemote) {
        await this.settle(family, identity, activity, remote.object, status?.origin ?? 'remote', remote);
        return;
      }
      const text = fieldsToIcal(family.name, merged, activity, remote.parsed, remote.read, remote.parsed.uid, this.user, this.now);
      try {
        this.written.add(collectionOf(remote.object.href));
        const { etag } = await this.session.put(remote.object.href, text, remote.object.etag, 'text/calendar');
        await this.settle(family, identity, activity, { href: remote.object.href, etag, data: text }, status?.origin ?? 'crm');
        return;
      } catch (error) {
        if (!retryAfterConflict(error, attempt)) throw error;
        const fresh = await this.fetchRemote(family, remote.object.href);
        if (!fresh) throw error;
        // The CRM side now holds the merged values: the next round merges the calendar's new edit into them.
        baseFields = baseFields ?? remote.read.fields;
        remote = fresh;
      }
    }
  }

  /** Record what both sides now hold: status row (no pending intent), merge base, source of the activity. */
  private async settle(family: FamilyState, identity: string, activity: Activity, object: DavObject, origin: 'crm' | 'remote', observed?: { parsed: CalendarObject; read: RemoteRead; object: DavObject }): Promise<void> {
    await this.store.atomically((store) => this.settleIn(store, family, identity, activity, object, origin, observed));
  }

  /**
   * settle() inside the caller's transaction. `observed`: the object as this pass read it; when it is
   * the one being recorded, its parse is reused and its mirror row is already current.
   */
  private async settleIn(store: Store, family: FamilyState, identity: string, activity: Activity, object: DavObject, origin: 'crm' | 'remote', observed?: { parsed: CalendarObject; read: RemoteRead; object: DavObject }): Promise<void> {
    const known = observed && observed.object.href === object.href && observed.object.etag === object.etag ? observed : undefined;
    const parsed = known?.parsed ?? parseCalendarObject(object.data, this.parseOptions);
    const read = known?.read ?? readRemote(parsed, this.user);
    await store.syncStatus.put({
      pair: family.pair,
      identity,
      crm: { ref: activity.id, version: activity.updatedAt, hash: fieldsHash(crmFieldsOf(family.name, activity, this.user)) },
      remote: { ref: object.href, version: object.etag, hash: fieldsHash(read.fields) },
      origin,
      tombstone: false,
      pending: null,
    });
    await store.syncBase.put(family.pair, identity, { fields: baseOfRemote(read), data: object.data });
    await store.activities.addSource(activity.id, { type: 'caldav', sourceId: this.spec.userId, ref: object.href });
    if (known) return;
    const busy = await mirrorBusy(parsed, this.now);
    await store.calendarSync.putMirror(this.spec.userId, { href: object.href, collection: collectionOf(object.href), etag: object.etag, uid: parsed.uid }, busy.busy);
  }

}

export function syncCalendars(spec: CalendarSpec, deps: CalendarSyncDeps, signal: AbortSignal, abort?: AbortSignal): Promise<CalendarSyncResult> {
  return new CalendarSync(spec, deps, signal, abort).run();
}
