/**
 * What the pieces of one calendar pass share (calendar-sync.ts reads and orchestrates,
 * observe-collection.ts turns a collection's changes into observations, item-sync.ts plans and
 * writes the items): the spec, the store, the session, the failure reporter and the record of
 * the pass's own writes.
 */
import type { Logger } from 'pino';
import type { Activity } from '../../domain/activity.js';
import type { CalendarObject, ParseCalendarOptions } from '../../calendar/ical-parse.js';
import type { Store } from '../../store/store.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import type { DavCollection, DavConnector, DavObject, DavServerSettings, DavSession } from '../../ports/dav.js';
import type { BusyStatusMap } from './fields.js';
import type { FamilyName, RemoteRead, UserContext } from './item-codec.js';
import type { ConflictPolicy } from '../engine/merge.js';
import type { PassFailures } from '../engine/failure.js';
import type { OwnWrites } from '../engine/own-write-rounds.js';
import { sameHref } from '../engine/href.js';

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

export const familyKinds: Record<FamilyName, readonly Activity['kind'][]> = { events: ['appointment', 'meeting'], tasks: ['task', 'follow_up'] };

/** A calendar object of a pair as this round read it. */
export interface Observation {
  object: DavObject;
  collection: DavCollection;
  read: RemoteRead;
  parsed: CalendarObject;
  tracked: boolean;
}

/** One pair of the pass (`calendar:<user>` for VEVENTs, `tasks:<user>` for VTODOs) and what this round saw of it. */
export interface FamilyState {
  name: FamilyName;
  pair: string;
  collection: DavCollection;
  policy: ConflictPolicy;
  observations: Map<string, Observation>;
  deleted: Set<string>;
}

export type Families = Record<FamilyName, FamilyState>;

/** The round's sync status of each family, by identity and by href (looked up once per object). */
export type StatusIndex = Record<FamilyName, { byIdentity: Map<string, SyncStatusEntry>; byHref: Map<string, SyncStatusEntry> }>;

export interface CalendarPass {
  readonly spec: CalendarSpec;
  readonly store: Store;
  readonly session: DavSession;
  readonly user: UserContext;
  readonly now: Date;
  readonly parseOptions: ParseCalendarOptions;
  readonly failures: PassFailures;
  readonly writes: OwnWrites;
  readonly signal: AbortSignal;
}

export function isCrmCollection(collection: DavCollection, families: Families): boolean {
  return sameHref(collection.href, families.events.collection.href) || sameHref(collection.href, families.tasks.collection.href);
}
