/**
 * The items of one calendar pair, planned and written (calendar-sync.ts reads the collections):
 * join the sync status, the merge bases, the user's CRM activities and the observations by
 * identity, plan each item (plan-item.ts) and apply the action, each on its own: a failing item is
 * recorded in sync_errors and the pass goes on (failure.ts decides what ends it).
 *
 * Crash safety (DESIGN.md principle 3): a CRM item gets the UID `crm-bridge-<activity id>` and the
 * resource `<uid>.ics`, recorded as a pending create BEFORE the PUT (If-None-Match: *); a rerun
 * that finds the resource (412, or listed) adopts it instead of creating a second one.
 */
import type { Activity, PartyInput } from '../../domain/activity.js';
import { parseCalendarObject, type CalendarObject } from '../../calendar/ical-parse.js';
import { resolveParties, type AddressWithRole } from '../../domain/resolve-parties.js';
import type { StoreDirectory } from '../../store/party-directory.js';
import type { Store } from '../../store/store.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import type { DavCollection, DavObject } from '../../ports/dav.js';
import { fieldsHash, type ItemFields } from './fields.js';
import { activityChangeOf, activityOfRemote, baseOfRemote, crmFieldsOf, fieldNamesOf, fieldsToIcal, isCurrent, organisedBy, readRemote, type BaseRecord, type RemoteRead } from './item-codec.js';
import { mirrorBusy } from './mirror.js';
import { mergeFields } from '../engine/merge.js';
import { planItem, type CrmSide, type ItemAction, type RemoteSide } from './plan-item.js';
import { activityIdOfUid, activityUid } from '../engine/bridge-uid.js';
import { createItem, mergeItem } from '../engine/conditional-write.js';
import { collectionOf, within } from '../engine/href.js';
import { familyKinds, type CalendarPass, type FamilyState, type Observation } from './calendar-pass.js';

/** A calendar object as read, parsed and interpreted for the user. */
type RemoteItem = { object: DavObject; parsed: CalendarObject; read: RemoteRead };

/** Unknown (no href yet) counts as the CRM collection, where the bridge creates items. */
function inCrmCollection(href: string | null, collection: DavCollection): boolean {
  return href === null || within(href, collection.href);
}

export class CalendarItems {
  /** Items this pass changed (either side). */
  changed = 0;

  constructor(
    private readonly pass: CalendarPass,
    private readonly directory: StoreDirectory,
  ) {}

  /**
   * The user's activities of a family as id -> updatedAt: one light query, so that a pass without
   * CRM changes loads no activity (an unchanged one has the updatedAt its status row recorded).
   */
  private async activityVersions(family: FamilyState): Promise<Map<string, string>> {
    return this.pass.store.activities.versionsOf(this.pass.spec.userId, familyKinds[family.name]);
  }

  async syncFamily(family: FamilyState, statuses: SyncStatusEntry[]): Promise<void> {
    const versions = await this.activityVersions(family);
    const cache = new Map<string, Activity>();
    const load = async (id: string): Promise<Activity | undefined> => {
      if (!versions.has(id)) return undefined;
      let activity = cache.get(id);
      if (!activity) {
        activity = await this.pass.store.activities.get(id);
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
      const id = activityIdOfUid(identity) ?? (await this.pass.store.activities.findBySource('caldav', this.pass.spec.userId, observation.object.href))?.id;
      if (id !== undefined && versions.has(id) && !claimed.has(id)) {
        matched.set(identity, id);
        claimed.add(id);
      }
    }
    const identities = new Set<string>([...statusByIdentity.keys(), ...family.observations.keys()]);
    for (const id of versions.keys()) if (!claimed.has(id)) identities.add(activityUid(id));

    for (const identity of identities) {
      if (this.pass.signal.aborted) return;
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
        await this.pass.failures.handle(error, 'item', observation?.object.href ?? status?.remote.ref ?? identity);
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
      if (activity) crm = { state: 'present', hash: fieldsHash(crmFieldsOf(family.name, activity, this.pass.user)) };
      else if (status?.crm.ref || activityIdOfUid(identity) !== null) crm = { state: 'deleted' };
      else crm = { state: 'none' };
    }

    const remote: RemoteSide = observation ? { state: 'changed', hash: fieldsHash(observation.read.fields), tracked: observation.tracked } : family.deleted.has(identity) ? { state: 'deleted' } : { state: 'unseen' };
    if (status && status.pending === null && !status.tombstone && crm.state === 'present' && remote.state === 'unseen' && crm.hash === status.crm.hash) return;
    const base = status ? ((await this.pass.store.syncBase.get(family.pair, identity))?.fields as BaseRecord | undefined) : undefined;
    const known = observation ? baseOfRemote(observation.read) : base;
    const action = planItem({
      status: status ? { crmRef: status.crm.ref, remoteRef: status.remote.ref, crmHash: status.crm.hash, remoteHash: status.remote.hash, tombstone: status.tombstone, pending: status.pending } : null,
      crm,
      remote,
      organisedByUser: known ? organisedBy(known.organizer, this.pass.user) : true,
      current: known ? isCurrent(known, this.pass.now) : true,
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
        if (activity) await this.pass.store.activities.delete(activity.id);
        await this.forget(family, identity);
        break;
      case 'delete-remote': {
        const href = status?.remote.ref ?? observation?.object.href;
        if (href) {
          await this.pass.session.remove(href, observation?.object.etag ?? status?.remote.version ?? null);
          this.pass.writes.deleted(href);
        }
        await this.pass.store.calendarSync.removeMirror(this.pass.spec.userId, href ?? '');
        await this.forget(family, identity);
        break;
      }
      case 'tombstone':
        await this.pass.store.syncStatus.put({ ...status!, tombstone: true, pending: null });
        break;
      case 'forget':
        await this.forget(family, identity);
        break;
    }
    this.changed += 1;
  }

  private async forget(family: FamilyState, identity: string): Promise<void> {
    await this.pass.store.syncStatus.remove(family.pair, identity);
    await this.pass.store.syncBase.remove(family.pair, identity);
  }

  /** The current remote object of a synced item that this pass did not report (from the base, or fetched). */
  private async remoteOf(family: FamilyState, status: SyncStatusEntry, base: BaseRecord | undefined): Promise<RemoteItem | null> {
    const href = status.remote.ref!;
    const stored = await this.pass.store.syncBase.get(family.pair, status.identity);
    if (stored?.data && status.remote.version && base) {
      const parsed = parseCalendarObject(stored.data, this.pass.parseOptions);
      return { object: { href, etag: status.remote.version, data: stored.data }, parsed, read: readRemote(parsed, this.pass.user) };
    }
    return this.fetchRemote(family, href);
  }

  private async fetchRemote(family: FamilyState, href: string): Promise<RemoteItem | null> {
    const [object] = await this.pass.session.fetch(family.collection, [href]);
    if (!object) return null;
    const parsed = parseCalendarObject(object.data, this.pass.parseOptions);
    return { object, parsed, read: readRemote(parsed, this.pass.user) };
  }

  private async createRemote(family: FamilyState, identity: string, activity: Activity, status: SyncStatusEntry | null): Promise<void> {
    const href = status?.remote.ref ?? new URL(`${encodeURIComponent(identity)}.ics`, family.collection.href).href;
    const fields = crmFieldsOf(family.name, activity, this.pass.user);
    const text = fieldsToIcal(family.name, fields, activity, null, null, identity, this.pass.user, this.pass.now);
    await createItem(
      {
        href,
        recordIntent: () =>
          this.pass.store.syncStatus.put({
            pair: family.pair,
            identity,
            crm: { ref: activity.id, version: activity.updatedAt, hash: fieldsHash(fields) },
            remote: { ref: href, version: null, hash: null },
            origin: 'crm',
            tombstone: false,
            pending: 'create',
          }),
        put: () => this.pass.session.put(href, text, null, 'text/calendar'),
        settle: (etag) => this.settle(family, identity, activity, { href, etag, data: text }, 'crm'),
        reread: () => this.fetchRemote(family, href),
        // It exists already (a create whose answer was lost, or a reset): adopt and merge.
        adopt: (current) => this.merge(family, identity, activity, current, null, null),
      },
      this.pass.writes,
    );
  }

  private async createCrm(family: FamilyState, observation: Observation): Promise<void> {
    const parties = await this.resolve(observation.read);
    await this.pass.store.atomically(async (store) => {
      const activity = await store.activities.create(activityOfRemote(observation.read, this.pass.spec.userId, parties));
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
   * again (conditional-write.ts mergeItem). `baseFields` null: no base (re-match), the calendar's copy is the base.
   */
  private async merge(family: FamilyState, identity: string, start: Activity, initial: RemoteItem, baseFields: ItemFields | null, status: SyncStatusEntry | null): Promise<void> {
    let activity = start;
    let base = baseFields;
    let last = initial;
    await mergeItem(
      initial,
      {
        round: async (remote) => {
          last = remote;
          const crmFields = crmFieldsOf(family.name, activity, this.pass.user);
          const result = mergeFields({
            base: (base ?? remote.read.fields) as unknown as Record<string, unknown>,
            crm: crmFields as unknown as Record<string, unknown>,
            remote: remote.read.fields as unknown as Record<string, unknown>,
            fields: fieldNamesOf(family.name),
            policy: family.policy,
            crmModifiedAt: activity.updatedAt,
            remoteModifiedAt: remote.read.modifiedAt,
          });
          const merged = result.merged as unknown as ItemFields;
          if (result.conflicts.length > 0) {
            await this.pass.failures.note(
              remote.object.href,
              'CONFLICT',
              `conflict on ${family.name === 'events' ? 'event' : 'task'} "${activity.subject}" (${activity.id}, ${identity}): ${result.conflicts.join(', ')} changed in both the CRM and the calendar; policy ${family.policy} kept the ${result.winner === 'crm' ? 'CRM' : 'calendar'} values`,
            );
          }
          if (result.writeCrm) {
            const attendees = family.name === 'events' ? await this.resolve(remote.read) : [];
            const change = activityChangeOf(family.name, merged, crmFields, attendees.filter((party) => party.role === 'attendee' || party.role === 'optional_attendee'), activity);
            if (Object.keys(change).length > 0) activity = await this.pass.store.activities.update(activity.id, change);
          }
          if (!result.writeRemote) {
            await this.settle(family, identity, activity, remote.object, status?.origin ?? 'remote', remote);
            return null;
          }
          const text = fieldsToIcal(family.name, merged, activity, remote.parsed, remote.read, remote.parsed.uid, this.pass.user, this.pass.now);
          const href = remote.object.href;
          return {
            href,
            put: () => this.pass.session.put(href, text, remote.object.etag, 'text/calendar'),
            settle: (etag) => this.settle(family, identity, activity, { href, etag, data: text }, status?.origin ?? 'crm'),
          };
        },
        reread: (href) => {
          // The CRM side now holds the merged values: the next round merges the calendar's new edit into them.
          base = base ?? last.read.fields;
          return this.fetchRemote(family, href);
        },
      },
      this.pass.writes,
    );
  }

  /** Record what both sides now hold: status row (no pending intent), merge base, source of the activity. */
  private async settle(family: FamilyState, identity: string, activity: Activity, object: DavObject, origin: 'crm' | 'remote', observed?: { parsed: CalendarObject; read: RemoteRead; object: DavObject }): Promise<void> {
    await this.pass.store.atomically((store) => this.settleIn(store, family, identity, activity, object, origin, observed));
  }

  /**
   * settle() inside the caller's transaction. `observed`: the object as this pass read it; when it is
   * the one being recorded, its parse is reused and its mirror row is already current.
   */
  private async settleIn(store: Store, family: FamilyState, identity: string, activity: Activity, object: DavObject, origin: 'crm' | 'remote', observed?: { parsed: CalendarObject; read: RemoteRead; object: DavObject }): Promise<void> {
    const known = observed && observed.object.href === object.href && observed.object.etag === object.etag ? observed : undefined;
    const parsed = known?.parsed ?? parseCalendarObject(object.data, this.pass.parseOptions);
    const read = known?.read ?? readRemote(parsed, this.pass.user);
    await store.syncStatus.put({
      pair: family.pair,
      identity,
      crm: { ref: activity.id, version: activity.updatedAt, hash: fieldsHash(crmFieldsOf(family.name, activity, this.pass.user)) },
      remote: { ref: object.href, version: object.etag, hash: fieldsHash(read.fields) },
      origin,
      tombstone: false,
      pending: null,
    });
    await store.syncBase.put(family.pair, identity, { fields: baseOfRemote(read), data: object.data });
    await store.activities.addSource(activity.id, { type: 'caldav', sourceId: this.pass.spec.userId, ref: object.href });
    if (known) return;
    const busy = await mirrorBusy(parsed, this.pass.now);
    await store.calendarSync.putMirror(this.pass.spec.userId, { href: object.href, collection: collectionOf(object.href), etag: object.etag, uid: parsed.uid }, busy.busy);
  }
}
