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
 *    our own writes when nothing else happened meanwhile (src/sync/engine/own-write-rounds.ts).
 */
import { normalizeEmail } from '../../domain/fields.js';
import type { ParseCalendarOptions } from '../../calendar/ical-parse.js';
import { StoreDirectory } from '../../store/party-directory.js';
import type { Store } from '../../store/store.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import type { DavChanges, DavCollection, DavSession } from '../../ports/dav.js';
import type { FamilyName, UserContext } from './item-codec.js';
import { ensureCrmCollections } from './collections.js';
import { sameHref } from '../engine/href.js';
import { PassFailures } from '../engine/failure.js';
import { davCursorSchema, davPair, readCursor } from '../engine/keys.js';
import { OwnWrites, tokensAfterOwnWrites } from '../engine/own-write-rounds.js';
import { isCrmCollection, type CalendarPass, type CalendarSpec, type CalendarSyncDeps, type CalendarSyncResult, type Families, type StatusIndex } from './calendar-pass.js';
import { observeCollection, type CollectionRead } from './observe-collection.js';
import { CalendarItems } from './item-sync.js';

export type { CalendarSpec, CalendarSyncDeps, CalendarSyncResult } from './calendar-pass.js';

export class CalendarSync implements CalendarPass {
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
    const reads: CollectionRead[] = [];
    for (const collection of toRead) {
      if (this.signal.aborted) return this.result();
      const token = await this.tokenOf(collection.href);
      const changes = await this.changesOf(collection, token);
      if (changes) reads.push({ collection, changes, complete: token === null || changes.fullResync });
    }
    const advancing = await this.round(reads);
    if (advancing === null) return this.result();
    const tokens = new Map(reads.filter((read) => advancing.has(read.collection.href)).map((read) => [read.collection.href, read.changes.syncToken] as const));
    // Progress first: what this round read stays read even if the check below fails.
    await this.saveCursors(tokens);
    const byHref = new Map(reads.map((read) => [read.collection.href, read.collection]));
    const after = await tokensAfterOwnWrites(tokens, this.writes, {
      read: (href, token) => this.changesOf(byHref.get(href)!, token),
      recorded: async () => [...(await this.store.syncStatus.listPair(this.families.events.pair)), ...(await this.store.syncStatus.listPair(this.families.tasks.pair))].map((entry) => entry.remote),
      round: (again) => this.round([...again].map(([href, changes]) => ({ collection: byHref.get(href)!, changes, complete: false }))),
    });
    await this.saveCursors(new Map([...after].filter(([href, token]) => token !== tokens.get(href))));
    return this.result();
  }

  private result(): CalendarSyncResult {
    return { changed: this.items?.changed ?? 0, itemErrors: this.failures.count };
  }

  /** A collection's changes since `token`; null when it cannot be read (recorded: one calendar never stops the others). */
  private async changesOf(collection: DavCollection, token: string | null): Promise<DavChanges | null> {
    try {
      return await this.session.changes(collection, token);
    } catch (error) {
      // A server error on one calendar, a broken resource Radicale chokes on: its items count as
      // unchanged, never as deleted. Rejected credentials or a lost connection fail the whole
      // source (failure.ts).
      await this.failures.handle(error, 'collection', collection.href);
      return null;
    }
  }

  /**
   * One round over what was read: observations, then each pair's items. Returns the collections
   * whose cursors may advance (not those whose deletions were held), or null when aborted.
   */
  private async round(reads: readonly CollectionRead[]): Promise<Set<string> | null> {
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

  private async tokenOf(href: string): Promise<string | null> {
    const tokens = new Set<string | null>();
    for (const pair of this.pairsOf(href)) tokens.add(readCursor(davCursorSchema, await this.store.syncCursors.get(pair, href))?.syncToken ?? null);
    return tokens.size === 1 ? [...tokens][0]! : null;
  }

  private async saveCursors(tokens: ReadonlyMap<string, string | null>): Promise<void> {
    for (const [href, syncToken] of tokens) for (const pair of this.pairsOf(href)) await this.store.syncCursors.put(pair, href, { syncToken });
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
