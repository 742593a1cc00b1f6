/**
 * One collection's changes as the calendar pass sees them: every object feeds the free/busy
 * mirror (the read hook), objects in the CRM collections or carrying the track category become
 * observations of their pair, keyed by UID; removed resources become deletions of the items they
 * held, unless the safety rail holds them (DESIGN.md principle 5).
 */
import { parseCalendarObject, type CalendarObject } from '../../calendar/ical-parse.js';
import type { MirrorBusy, MirrorEntry } from '../../store/calendar-sync.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import type { DavCollection, DavObject } from '../../ports/dav.js';
import { familyOf, readRemote, type FamilyName, type RemoteRead } from './item-codec.js';
import { mirrorBusy } from './mirror.js';
import { holdMassDeletion } from '../engine/mass-deletion.js';
import { isOwnWrite } from '../engine/own-writes.js';
import { within } from '../engine/href.js';
import { EventLoopSlices } from '../event-loop-slices.js';
import type { CollectionRead } from '../engine/run-pair.js';
import { isCrmCollection, type CalendarPass, type Families, type StatusIndex } from './calendar-pass.js';

/**
 * Observe `read` into `families`; returns false when the collection's deletions were held (its
 * cursor must then stay where it is).
 */
export async function observeCollection(pass: CalendarPass, read: CollectionRead, families: Families, statuses: Record<FamilyName, SyncStatusEntry[]>, index: StatusIndex): Promise<boolean> {
  const { collection, changes, complete } = read;
  const crmCollection = isCrmCollection(collection, families);
  const listed = new Set<string>();
  const mirror: Array<{ entry: MirrorEntry; busy: MirrorBusy[] }> = [];
  const slices = new EventLoopSlices();
  for (const object of changes.changed) {
    listed.add(object.href);
    await observe(pass, object, collection, crmCollection, families, index, mirror);
    // Parsing and expanding are synchronous: hand the event loop back between objects so that a
    // calendar of many heavy (or hostile) objects delays the API and other sources by a slice.
    await slices.pace();
  }
  // Listed but unreadable (too large, bad XML): recorded; the item stays as it was, never deleted.
  for (const failure of changes.failed) {
    listed.add(failure.href);
    await pass.failures.handle(failure.error, 'item', failure.href);
  }
  // The mirror rows of the listing, in one transaction.
  await pass.store.atomically(async (store) => {
    for (const { entry, busy } of mirror) await store.calendarSync.putMirror(pass.spec.userId, entry, busy);
  });
  const deleted = new Set(changes.deleted);
  if (complete) {
    for (const entry of await pass.store.calendarSync.mirrorOf(pass.spec.userId, collection.href)) if (!listed.has(entry.href)) deleted.add(entry.href);
    for (const family of [families.events, families.tasks]) {
      for (const status of statuses[family.name]) {
        if (status.remote.ref && within(status.remote.ref, collection.href) && !listed.has(status.remote.ref)) deleted.add(status.remote.ref);
      }
    }
  }
  // Safety rail: a collection that lost every synced item at once keeps them (and its cursor).
  let held = false;
  for (const family of [families.events, families.tasks]) {
    const known = statuses[family.name].filter((status) => !status.tombstone && status.pending === null && status.remote.ref && within(status.remote.ref, collection.href));
    const gone = known.filter((status) => deleted.has(status.remote.ref!));
    if (gone.length > 0 && holdMassDeletion(known.length, gone.length)) {
      held = true;
      await pass.failures.record(collection.href, 'CONFLICT', `calendar ${collection.displayName ?? collection.href} suddenly lists none of the ${known.length} ${family.name} the bridge synced into it; their deletion is held (nothing deleted in the CRM). Reset the user's ${family.name === 'events' ? 'calendar' : 'tasks'} sync to write them again.`);
    }
  }
  await pass.store.atomically(async (store) => {
    for (const href of deleted) await store.calendarSync.removeMirror(pass.spec.userId, href);
  });
  if (held) return false;
  for (const href of deleted) {
    for (const family of [families.events, families.tasks]) {
      const status = index[family.name].byHref.get(href);
      if (status) family.deleted.add(status.identity);
    }
  }
  return true;
}

async function observe(pass: CalendarPass, object: DavObject, collection: DavCollection, crmCollection: boolean, families: Families, index: StatusIndex, mirror: Array<{ entry: MirrorEntry; busy: MirrorBusy[] }>): Promise<void> {
  let parsed: CalendarObject;
  let read: RemoteRead;
  let busy: Awaited<ReturnType<typeof mirrorBusy>>;
  try {
    parsed = parseCalendarObject(object.data, pass.parseOptions);
    read = readRemote(parsed, pass.user);
    busy = await mirrorBusy(parsed, pass.now);
  } catch (error) {
    // Broken iCalendar, an object over the size limit or a recurrence rule that exceeds the
    // expansion budget: recorded with its href; the CRM copy (if any) is left alone.
    mirror.push({ entry: { href: object.href, collection: collection.href, etag: object.etag, uid: null }, busy: [] });
    await pass.failures.handle(error, 'item', object.href);
    return;
  }
  mirror.push({ entry: { href: object.href, collection: collection.href, etag: object.etag, uid: parsed.uid }, busy: busy.busy });

  const family = families[familyOf(parsed)];
  const tracked = crmCollection || read.categories.some((category) => category.toLowerCase() === pass.spec.trackCategory.toLowerCase());
  const status = index[family.name].byIdentity.get(parsed.uid);
  if (!tracked && !status) return;
  // Our own write, reported back by sync-collection: nothing new.
  if (status && status.pending === null && isOwnWrite(object, status.remote)) return;
  if (tracked) {
    const notes = [...read.warnings, ...(busy.truncated ? ['recurrence expansion capped: the series has more instances than the free/busy mirror keeps'] : [])];
    if (notes.length > 0) await pass.failures.note(object.href, 'INVALID_INPUT', `${read.fields.subject || parsed.uid}: synced with warnings: ${notes.join('; ')}`.slice(0, 2000));
  }
  const existing = family.observations.get(parsed.uid);
  // An untracked copy elsewhere never hides the tracked one.
  if (existing && (existing.tracked || !tracked)) return;
  family.observations.set(parsed.uid, { object, collection, read, parsed, tracked });
}
