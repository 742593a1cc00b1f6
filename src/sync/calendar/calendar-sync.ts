/**
 * One pass of calendar and task sync for one user (issue 5):
 *
 * 1. Find (or MKCALENDAR) the CRM calendar and the CRM task list.
 * 2. Read every calendar of the user with sync-collection since its cursor (observe-collection.ts):
 *    every object feeds the free/busy mirror; objects in the CRM collections, or carrying the track
 *    category anywhere, are observations of the `calendar:<user>` (VEVENT) or `tasks:<user>`
 *    (VTODO) pair, keyed by UID.
 * 3. Per pair, plan and write each item on its own (item-sync.ts).
 * 4. Advance the cursors (not for a collection whose deletions were held by the safety rail), past
 *    our own writes when nothing else happened meanwhile: steps 2-4 are the shared engine's
 *    (src/sync/engine/run-pair.ts), this class is the calendar codec it runs.
 */
import { normalizeEmail } from '../../domain/fields.js';
import type { ParseCalendarOptions } from '../../calendar/ical-parse.js';
import { StoreDirectory } from '../../store/party-directory.js';
import type { Store } from '../../store/store.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import type { DavChanges, DavCollection, DavObject, DavSession } from '../../ports/dav.js';
import type { FamilyName, UserContext } from './item-codec.js';
import { ensureCrmCollections } from './collections.js';
import { sameHref } from '../engine/href.js';
import { PassFailures } from '../engine/failure.js';
import { davCursorSchema, davPair, readCursor } from '../engine/keys.js';
import { OwnWrites, type StoredToken } from '../engine/own-write-rounds.js';
import { readSince, runPair, type CollectionRead, type PairCodec, type PairCursor, type TimedRead } from '../engine/run-pair.js';
import { isCrmCollection, type CalendarPass, type CalendarSpec, type CalendarSyncDeps, type CalendarSyncResult, type Families, type StatusIndex } from './calendar-pass.js';
import { observeCollection } from './observe-collection.js';
import { CalendarItems } from './item-sync.js';

export type { CalendarSpec, CalendarSyncDeps, CalendarSyncResult } from './calendar-pass.js';

export class CalendarSync implements CalendarPass, PairCodec {
  readonly failures: PassFailures;
  readonly now: Date;
  readonly user: UserContext;
  readonly parseOptions: ParseCalendarOptions;
  readonly writes = new OwnWrites();
  session!: DavSession;
  private items!: CalendarItems;
  private families!: Families;

  constructor(
    readonly spec: CalendarSpec,
    private readonly deps: CalendarSyncDeps,
    readonly signal: AbortSignal,
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
    this.parseOptions = spec.maxObjectBytes === undefined ? {} : { maxBytes: spec.maxObjectBytes };
  }

  get store(): Store {
    return this.deps.store;
  }

  async run(): Promise<CalendarSyncResult> {
    this.session = await this.deps.connector.connect(this.spec.server, this.abort);
    this.items = new CalendarItems(this, new StoreDirectory(this.store, this.deps.users));
    const ensured = await ensureCrmCollections(this.session, this.spec, await this.session.listCalendars(), this.deps.log);
    const calendars = ensured.calendars;
    this.families = {
      events: { name: 'events', pair: davPair('calendar', this.spec.userId), collection: ensured.crmCalendar, policy: this.spec.eventPolicy, observations: new Map(), deleted: new Set() },
      tasks: { name: 'tasks', pair: davPair('tasks', this.spec.userId), collection: ensured.taskList, policy: this.spec.taskPolicy, observations: new Map(), deleted: new Set() },
    };
    await this.dropVanishedCollections(calendars);
    // CRM collections first, so that a UID found in both a CRM collection and elsewhere counts there.
    const toRead = [...calendars].sort((a, b) => Number(isCrmCollection(b, this.families)) - Number(isCrmCollection(a, this.families)));
    const reads: TimedRead[] = [];
    for (const collection of toRead) {
      if (this.signal.aborted) return this.result();
      const read = await readSince(this, collection, await this.cursorOf(collection.href));
      if (read) reads.push(read);
    }
    await runPair(this, reads, this.writes, this.signal);
    return this.result();
  }

  private result(): CalendarSyncResult {
    return { changed: this.items?.changed ?? 0, itemErrors: this.failures.count };
  }

  // PairCodec (src/sync/engine/run-pair.ts): the calendars as the engine reads them.

  changes(collection: DavCollection, token: string | null): Promise<DavChanges> {
    return this.session.changes(collection, token);
  }

  fetch(collection: DavCollection, hrefs: string[]): Promise<DavObject[]> {
    return this.session.fetch(collection, hrefs);
  }

  async statuses(): Promise<SyncStatusEntry[]> {
    return [...(await this.store.syncStatus.listPair(this.families.events.pair)), ...(await this.store.syncStatus.listPair(this.families.tasks.pair))];
  }

  async unreadable(error: unknown, collection: DavCollection): Promise<void> {
    // A server error on one calendar, a broken resource Radicale chokes on: its items count as
    // unchanged, never as deleted. Rejected credentials or a lost connection fail the whole
    // source (failure.ts).
    await this.failures.handle(error, 'collection', collection.href);
  }

  /**
   * One round over what was read: observations, then each pair's items. Returns the collections
   * whose cursors may advance (not those whose deletions were held), or null when aborted.
   */
  async round(reads: readonly CollectionRead[]): Promise<Set<string> | null> {
    const families = this.families;
    for (const family of [families.events, families.tasks]) {
      family.observations.clear();
      family.deleted.clear();
    }
    const statuses: Record<FamilyName, SyncStatusEntry[]> = {
      events: await this.store.syncStatus.listPair(families.events.pair),
      tasks: await this.store.syncStatus.listPair(families.tasks.pair),
    };
    const index = {} as StatusIndex;
    for (const name of ['events', 'tasks'] as const) {
      index[name] = { byIdentity: new Map(statuses[name].map((entry) => [entry.identity, entry])), byHref: new Map(statuses[name].flatMap((entry) => (entry.remote.ref ? [[entry.remote.ref, entry] as const] : []))) };
    }
    const advancing = new Set<string>();
    for (const read of reads) {
      if (this.signal.aborted) return null;
      if (await observeCollection(this, read, families, statuses, index)) advancing.add(read.collection.href);
    }
    for (const family of [families.events, families.tasks]) {
      if (this.signal.aborted) return null;
      await this.items.syncFamily(family, statuses[family.name]);
    }
    return this.signal.aborted ? null : advancing;
  }

  /** Which pairs a collection's cursor serves: a reset of either must make it read everything again. */
  private pairsOf(href: string): string[] {
    const { events, tasks } = this.families;
    const isEvents = sameHref(href, events.collection.href);
    const isTasks = sameHref(href, tasks.collection.href);
    if (isEvents && !isTasks) return [events.pair];
    if (isTasks && !isEvents) return [tasks.pair];
    return [events.pair, tasks.pair];
  }

  /** The collection's cursor; the pairs it serves must agree on the token, else it is read whole. */
  private async cursorOf(href: string): Promise<PairCursor> {
    const cursors = [];
    for (const pair of this.pairsOf(href)) cursors.push(readCursor(davCursorSchema, await this.store.syncCursors.get(pair, href)));
    const tokens = new Set(cursors.map((cursor) => cursor?.syncToken ?? null));
    if (tokens.size !== 1) return { syncToken: null };
    const syncToken = [...tokens][0]!;
    // The earliest: what either pair settled after it is looked up.
    const confirmed = cursors.map((cursor) => cursor?.confirmedUntil);
    return confirmed.every((at) => at !== undefined) ? { syncToken, confirmedUntil: confirmed.sort()[0]! } : { syncToken };
  }

  async saveCursor(collection: DavCollection, { syncToken, confirmedUntil }: StoredToken): Promise<void> {
    for (const pair of this.pairsOf(collection.href)) await this.store.syncCursors.put(pair, collection.href, { syncToken, confirmedUntil });
  }

  private async dropVanishedCollections(calendars: readonly DavCollection[]): Promise<void> {
    for (const href of await this.store.calendarSync.mirrorCollections(this.spec.userId)) {
      if (calendars.some((calendar) => sameHref(calendar.href, href))) continue;
      for (const entry of await this.store.calendarSync.mirrorOf(this.spec.userId, href)) await this.store.calendarSync.removeMirror(this.spec.userId, entry.href);
    }
  }
}

export function syncCalendars(spec: CalendarSpec, deps: CalendarSyncDeps, signal: AbortSignal, abort?: AbortSignal): Promise<CalendarSyncResult> {
  return new CalendarSync(spec, deps, signal, abort).run();
}
