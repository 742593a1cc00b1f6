/**
 * One pass of contact sync between the CRM and one user's address book (issue 6), pair
 * `contacts:<userId>`, identity = the vCard UID.
 *
 * 1. Open the address book: from the stored cursor without discovery (a no-change pass is then a
 *    single sync-collection REPORT), else discover it by display name or href and create it
 *    (extended MKCOL) when missing.
 * 2. Read the remote changes (sync-collection + multiget; everything on the first pass or after the
 *    server dropped the token). Broken, oversized and duplicate-UID cards are recorded per item.
 * 3. Cards that vanished: deletions in the client never delete CRM data (ownership rules); with
 *    direction crm-to-client a delivered card is restored. An address book that suddenly looks
 *    empty is not believed (DESIGN.md principle 5).
 * 4. Linked contacts: ownership rules (deleted/deactivated/unselected in the CRM), then a three-way
 *    field merge against the stored base; writes are conditional (If-Match), a 412 re-reads,
 *    re-merges and retries.
 * 5. New cards: re-linked by the bridge's own UID, else matched (e-mail, phone, name + company),
 *    else imported (two-way). New CRM contacts: an intent row, then PUT If-None-Match: * of
 *    `<uid>.vcf` (crash-safe: a repeated PUT answers 412 and the card is adopted).
 */
import type { Logger } from 'pino';
import { differingFields, fieldsHash, fieldsOfContact, textHash, type CardFields, type ContactFieldKey } from '../../contacts/card-fields.js';
import type { ContactFilter } from '../../contacts/filter.js';
import { ContactMatcher, type MatchOutcome } from '../../contacts/match.js';
import { mergeCardFields } from './card-merge.js';
import { planLinkedCard, planNewCard, type ContactState } from './plan-card.js';
import { CURSOR_COLLECTION, readBookCursor, sameServer, type BookCursor } from './book-cursor.js';
import { davPair } from '../engine/keys.js';
import { loadContacts } from './load-contacts.js';
import { readCards, type CardFailure, type RemoteCard } from './read-cards.js';
import { parseCard, renderCard, type VCardVersion } from '../../contacts/vcard.js';
import type { Contact, ContactPatch } from '../../domain/contact.js';
import { BridgeError, isBridgeError } from '../../domain/errors.js';
import type { SyncBaseEntry } from '../../store/sync-base.js';
import type { Store } from '../../store/store.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import type { DavChanges, DavCollection, DavServerSettings } from '../../ports/dav.js';
import type { AddressBookConnector, AddressBookSession } from '../../ports/address-book.js';
import { PassFailures } from '../engine/failure.js';
import { contactUid } from '../engine/bridge-uid.js';
import { createOrAdopt, retryAfterConflict } from '../engine/conditional-write.js';
import { hrefKey, sameHref } from '../engine/href.js';
import { looksEmptied } from '../engine/mass-deletion.js';
import { onlyOwnWrites } from '../engine/own-writes.js';

export interface ContactSyncSpec {
  /** `carddav:<userId>`: where errors are recorded. */
  sourceId: string;
  userId: string;
  server: DavServerSettings;
  /** Display name or href of the address book. */
  addressBook: string;
  direction: 'two-way' | 'crm-to-client';
  filter: ContactFilter;
  /** The fields that sync (configured fields minus secure fields; displayName always). */
  fields: ContactFieldKey[];
  /** Fields that never leave the CRM: taken out of cards created in the CRM if an earlier configuration let them out. */
  secureFields?: ContactFieldKey[];
  phoneRegion: string | null;
  maxCardBytes: number;
}

export interface ContactSyncDeps {
  store: Store;
  connector: AddressBookConnector;
  log: Logger;
}

export interface ContactSyncResult {
  changed: number;
  itemErrors: number;
}


/** The UID the bridge gives the card of a CRM contact (src/sync/engine/bridge-uid.ts). */
export const bridgeUid = contactUid;


function decodedLastSegment(href: string): string {
  const path = new URL(href).pathname.replace(/\/+$/, '');
  try {
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  } catch {
    return path.slice(path.lastIndexOf('/') + 1);
  }
}

export async function syncAddressBook(spec: ContactSyncSpec, deps: ContactSyncDeps, signal: AbortSignal, abort?: AbortSignal): Promise<ContactSyncResult> {
  return new AddressBookPass(spec, deps, signal, abort).run();
}

class AddressBookPass {
  private readonly pair: string;
  private readonly store: Store;
  private readonly log: Logger;
  private changed = 0;
  /** Per-card failures (recorded, the pass goes on) and what ends the pass: failure.ts decides. */
  private readonly failures: PassFailures;
  private session!: AddressBookSession;
  private book!: DavCollection;
  private status = new Map<string, SyncStatusEntry>();
  private bases = new Map<string, SyncBaseEntry<CardFields>>();
  /** Contacts the filter selects, by id. */
  private selected = new Map<string, Contact>();
  /** Every contact the pass knows (selected + linked), by id. */
  private contacts = new Map<string, Contact>();
  /** Version of new cards: what the address book mostly holds, else 3.0 (widest client support). */
  private newVersion: VCardVersion = '3.0';

  constructor(
    private readonly spec: ContactSyncSpec,
    deps: ContactSyncDeps,
    private readonly signal: AbortSignal,
    /** The pass deadline: closes the DAV connection at once (src/sync/source-deadline.ts). */
    private readonly abort?: AbortSignal,
  ) {
    this.pair = davPair('contacts', spec.userId);
    this.store = deps.store;
    this.log = deps.log.child({ source: spec.sourceId });
    this.failures = new PassFailures(deps.store.syncErrors, spec.sourceId, deps.log);
    this.deps = deps;
  }

  private readonly deps: ContactSyncDeps;

  async run(): Promise<ContactSyncResult> {
    const stored = await this.store.syncCursors.get(this.pair, CURSOR_COLLECTION);
    // A changed url or account in the configuration means discovering again: syncing on with the
    // remembered address book would keep talking to the old server and report it reached.
    const found = readBookCursor(stored);
    let cursor = found && found.name === this.spec.addressBook && sameServer(found, this.spec.server) ? found : null;
    let changes;
    try {
      await this.open(cursor);
      changes = await this.session.changes(this.book, cursor?.syncToken ?? null);
    } catch (error) {
      // The remembered address book is gone (deleted or renamed on the server): discover again.
      if (cursor === null || !isBridgeError(error) || error.code !== 'NOT_FOUND') throw error;
      cursor = null;
      await this.open(null);
      changes = await this.session.changes(this.book, null);
    }
    const full = cursor?.syncToken == null || changes.fullResync;
    if (!full && cursor?.savedAt !== undefined) changes = await this.withUnconfirmedGone(changes, cursor.savedAt);
    if (!(await this.round(changes, full, cursor?.version)) || this.signal.aborted) return this.result();

    // RFC 6578 leaves a server free to forget a resource created and deleted after a token
    // (Xandikos does): a token taken before our own writes would let the next pass miss a card we
    // created and the client deleted meanwhile. So after writing, the changes are read once more:
    // only our own writes (href and ETag as recorded) -> their token is kept; anything else (a
    // client edit made during the pass) is synced in a second round, and its token kept.
    let token = changes.syncToken;
    if (this.remoteWrites > 0 && token !== null) {
      const after = await this.changesAfterOwnWrites(token);
      if (onlyOwnWrites(after, [...this.status.values()].map((entry) => entry.remote), this.remoteDeletes)) token = after.syncToken;
      else if (!after.fullResync && after.syncToken !== null && after.failed.length === 0) {
        this.remoteWrites = 0;
        if (!(await this.round(after, false, this.newVersion)) || this.signal.aborted) return this.result();
        token = await this.tokenAfterOwnWrites(after.syncToken);
      }
    }
    await this.saveCursor(token);
    return this.result();
  }

  /**
   * A pass that did not finish (a lost connection ends it) kept the older token, but linked cards
   * it created or imported. A server may leave out of the next sync-collection a card created and
   * deleted after that token (RFC 6578 §3.5.2; Xandikos does): so the cards linked after the cursor
   * was stored and not reported now are looked up (one multiget, only after such a pass), and the
   * ones gone count as deleted.
   */
  private async withUnconfirmedGone(changes: DavChanges, savedAt: string): Promise<DavChanges> {
    const reported = new Set([...changes.changed.map((object) => object.href), ...changes.deleted, ...changes.failed.map((failure) => failure.href)].map(hrefKey));
    const unconfirmed = (await this.store.syncStatus.listPair(this.pair)).filter((entry) => !entry.tombstone && entry.pending === null && entry.remote.ref !== null && entry.updatedAt > savedAt && !reported.has(hrefKey(entry.remote.ref))).map((entry) => entry.remote.ref as string);
    if (unconfirmed.length === 0) return changes;
    const present = new Set((await this.session.fetch(this.book, unconfirmed)).map((object) => hrefKey(object.href)));
    const gone = unconfirmed.filter((href) => !present.has(hrefKey(href)));
    return gone.length === 0 ? changes : { ...changes, deleted: [...changes.deleted, ...gone] };
  }

  private result(): ContactSyncResult {
    return { changed: this.changed, itemErrors: this.failures.count };
  }

  private async saveCursor(syncToken: string | null): Promise<void> {
    const next: BookCursor = {
      href: this.book.href,
      name: this.spec.addressBook,
      principalUrl: this.session.principalUrl,
      addressbookHomeUrl: this.session.addressbookHomeUrl,
      syncToken,
      version: this.newVersion,
      serverUrl: this.spec.server.url,
      username: this.spec.server.username,
      savedAt: new Date().toISOString(),
    };
    await this.store.syncCursors.put(this.pair, CURSOR_COLLECTION, next);
  }

  /**
   * One round over `changes`: status, bases and the CRM side read afresh, then vanished cards,
   * linked cards, new cards and new CRM contacts. Returns false when the address book looked
   * emptied (deletions held: the cursor must stay where it is).
   */
  private async round(changes: DavChanges, full: boolean, cursorVersion: VCardVersion | undefined): Promise<boolean> {
    this.status = new Map();
    this.holdRemovals = false;
    for (const entry of await this.store.syncStatus.listPair(this.pair)) this.status.set(entry.identity, entry);
    this.bases = await this.store.syncBase.listPair<CardFields>(this.pair);
    ({ contacts: this.contacts, selected: this.selected } = await loadContacts(this.store, this.spec, this.status.values()));

    const { remote, listed, failures } = await readCards(changes.changed, changes.failed, this.spec.maxCardBytes, (uid) => this.status.get(uid)?.remote.ref ?? null);
    this.pendingFailures = failures;
    const versions = [...remote.values()].map((r) => r.card.version);
    if (versions.length > 0) this.newVersion = versions.filter((v) => v === '4.0').length > versions.length / 2 ? '4.0' : '3.0';
    else if (cursorVersion !== undefined) this.newVersion = cursorVersion;

    let believeDeletions = true;
    const gone = this.goneEntries(full, listed, new Set(changes.deleted), remote);
    if (full && looksEmptied(listed.size, gone.length)) {
      believeDeletions = false;
      await this.failures.record(null, 'CONFLICT', `address book ${this.book.href} looks empty but ${gone.length} synced cards were in it: nothing is deleted or restored; reset the contacts of ${this.spec.userId} if the address book was emptied on purpose`);
    }
    if (believeDeletions) for (const entry of gone) await this.failures.guard('item', entry.remote.ref, () => this.syncLinked(entry, undefined, true));

    // The same rail on the CRM side: a filter (or store) that suddenly selects nothing does not
    // empty the user's address book of every card the bridge delivered.
    const removals = [...this.status.values()].filter((e) => e.origin === 'crm' && !e.tombstone && e.crm.ref !== null && !this.selected.has(e.crm.ref)).length;
    if (looksEmptied(this.selected.size, removals)) {
      this.holdRemovals = true;
      await this.failures.record(null, 'CONFLICT', `the CRM selects no contact for ${this.spec.userId} but ${removals} delivered cards would be removed from ${this.book.href}: nothing is removed; check users[].contacts.filter, or delete the address book if this is intended`);
    }

    // Cards unknown before this pass (decided now: linked cards handled below may leave the status).
    const fresh = [...remote.values()].filter((card) => !this.status.has(card.card.uid));
    const goneIds = new Set(gone.map((e) => e.identity));
    for (const entry of [...this.status.values()]) {
      if (this.signal.aborted) break;
      if (goneIds.has(entry.identity) || entry.crm.ref === null) continue;
      const card = remote.get(entry.identity);
      await this.failures.guard('item', (entry.tombstone ? card?.href : entry.remote.ref) ?? entry.identity, () => this.syncLinked(entry, card));
    }

    await this.newRemoteCards(fresh);
    await this.newCrmContacts();
    return believeDeletions;
  }

  /**
   * After writing, read the changes since the pass's token once more: when they are only the
   * bridge's own writes (same href and ETag as recorded), their token is stored, so the next pass
   * without changes is one REPORT instead of re-reading our own cards. Anything else keeps the
   * older token, and the next pass sees it.
   */
  private async tokenAfterOwnWrites(token: string | null): Promise<string | null> {
    // The second round's own writes: kept only when they are all that happened meanwhile.
    if (this.remoteWrites === 0 || token === null) return token;
    const after = await this.session.changes(this.book, token);
    return onlyOwnWrites(after, [...this.status.values()].map((entry) => entry.remote), this.remoteDeletes) ? after.syncToken : token;
  }

  private holdRemovals = false;
  private remoteWrites = 0;
  /** Keys (hrefKey) of the cards this pass PUT and DELETEd. */
  private readonly remotePuts = new Set<string>();
  private readonly remoteDeletes = new Set<string>();

  private wrote(href: string): void {
    this.remoteWrites++;
    this.remotePuts.add(hrefKey(href));
  }

  /**
   * The changes since the token the pass read with, read again after its writes, with the cards
   * the server forgot added as deleted: a card we PUT after that token that the second read
   * reports neither as changed nor as deleted was deleted meanwhile (RFC 6578 §3.5.2 lets a
   * server leave out a member created and deleted after the token; Xandikos does).
   */
  private async changesAfterOwnWrites(token: string): Promise<DavChanges> {
    const after = await this.session.changes(this.book, token);
    const reported = new Set([...after.changed.map((object) => object.href), ...after.deleted, ...after.failed.map((failure) => failure.href)].map(hrefKey));
    const expected = new Map<string, string>();
    for (const entry of this.status.values()) if (entry.remote.ref !== null && this.remotePuts.has(hrefKey(entry.remote.ref))) expected.set(hrefKey(entry.remote.ref), entry.remote.ref);
    const vanished = [...expected].filter(([key]) => !reported.has(key) && !this.remoteDeletes.has(key)).map(([, href]) => href);
    return vanished.length === 0 ? after : { ...after, deleted: [...after.deleted, ...vanished] };
  }

  // ------------------------------------------------------------------------------- opening

  private async open(cursor: BookCursor | null): Promise<void> {
    if (cursor !== null) {
      this.session = this.deps.connector.resume(this.spec.server, { principalUrl: cursor.principalUrl, addressbookHomeUrl: cursor.addressbookHomeUrl }, this.abort);
      this.book = { href: cursor.href, displayName: cursor.name, components: [], kind: 'addressbook', ctag: null, syncToken: null, readOnly: false, color: null };
      return;
    }
    this.session = await this.deps.connector.connect(this.spec.server, this.abort);
    const name = this.spec.addressBook;
    const books = await this.session.listAddressBooks();
    const isUrl = /^https?:\/\//i.test(name);
    const found =
      books.find((b) => (isUrl ? sameHref(b.href, name) : b.displayName === name)) ??
      books.find((b) => !isUrl && decodedLastSegment(b.href) === name);
    this.book = found ?? (await this.session.createAddressBook(name));
    if (found === undefined) this.log.info({ addressBook: this.book.href }, 'address book created');
  }

  // ------------------------------------------------------------------------------- CRM side

  // ---------------------------------------------------------------------------- remote side

  /** Cards this pass could not take (broken, oversized, duplicate UID, capped lists): recorded with the new cards. */
  private pendingFailures: CardFailure[] = [];

  private goneEntries(full: boolean, listed: ReadonlySet<string>, deleted: ReadonlySet<string>, remote: ReadonlyMap<string, RemoteCard>): SyncStatusEntry[] {
    const listedKeys = new Set([...listed].map((h) => hrefKey(h)));
    const deletedKeys = new Set([...deleted].map((h) => hrefKey(h)));
    const out: SyncStatusEntry[] = [];
    for (const entry of this.status.values()) {
      if (entry.tombstone || entry.remote.ref === null || entry.pending === 'create' || remote.has(entry.identity)) continue;
      const key = hrefKey(entry.remote.ref);
      if (full ? !listedKeys.has(key) : deletedKeys.has(key)) out.push(entry);
    }
    return out;
  }

  /** What this pass knows of a linked CRM contact. */
  private contactState(contactId: string | null): ContactState {
    const contact = contactId === null ? undefined : this.contacts.get(contactId);
    if (contact === undefined) return 'missing';
    if (!contact.active) return 'inactive';
    return this.selected.has(contact.id) ? 'selected' : 'unselected';
  }

  /**
   * One linked card: the ownership rules (plan-card.ts) decide, this applies. `card`: as read in
   * this pass (undefined: not reported); `gone`: it vanished from the address book.
   */
  private async syncLinked(entry: SyncStatusEntry, card: RemoteCard | undefined, gone = false): Promise<void> {
    const action = planLinkedCard({
      origin: entry.origin,
      tombstone: entry.tombstone,
      pendingCreate: entry.pending === 'create',
      hasHref: entry.remote.ref !== null,
      cardListed: card !== undefined,
      cardGone: gone,
      contact: this.contactState(entry.crm.ref),
      direction: this.spec.direction,
      holdRemovals: this.holdRemovals,
    });
    const contact = entry.crm.ref === null ? undefined : this.contacts.get(entry.crm.ref);
    const href = card?.href ?? entry.remote.ref ?? this.hrefFor(entry.identity);
    switch (action.type) {
      case 'none':
        return;
      case 'relink':
        await this.syncLinked({ ...entry, tombstone: false, remote: { ref: href, version: null, hash: null } }, card);
        return;
      case 'restore-card':
        await this.restoreCard(entry, contact as Contact);
        return;
      case 'tombstone':
        if (gone) {
          // The card stays deleted in the client until the CRM contact is reset (POST /api/v1/users/:id/reset).
          await this.store.syncStatus.put({ ...entry, remote: { ref: null, version: null, hash: null }, tombstone: true, pending: null });
          this.log.info({ contact: entry.crm.ref, uid: entry.identity }, 'card deleted in the client; the CRM contact stays');
        } else {
          await this.store.syncStatus.put({ ...entry, tombstone: true, pending: null });
          this.log.info({ contact: entry.crm.ref, uid: entry.identity }, 'contact deleted or deactivated in the CRM; the client card stays');
        }
        return;
      case 'remove-card':
        await this.session.remove(href, card?.etag ?? (entry.pending === 'create' ? null : entry.remote.version));
        this.remoteWrites++;
        this.remoteDeletes.add(hrefKey(href));
        await this.store.atomically(async (tx) => {
          await tx.syncStatus.remove(this.pair, entry.identity);
          await tx.syncBase.remove(this.pair, entry.identity);
        });
        this.status.delete(entry.identity);
        this.changed++;
        return;
      case 'create-card':
        await this.createRemote(entry, contact as Contact);
        return;
      case 'reconcile':
        await this.reconcile(entry, contact as Contact, this.bases.get(entry.identity) ?? null, card ?? null);
        return;
    }
  }

  /** crm-to-client: the address book mirrors the CRM, so a deleted card is put back and the deletion reported. */
  private async restoreCard(entry: SyncStatusEntry, contact: Contact): Promise<void> {
    const base = this.bases.get(entry.identity);
    const fields = fieldsOfContact(contact);
    const text = renderCard({ base: base?.data ?? null, uid: entry.identity, version: this.newVersion, fields, selected: this.spec.fields, phoneRegion: this.spec.phoneRegion });
    const href = entry.remote.ref ?? this.hrefFor(entry.identity);
    const { etag } = await this.session.put(href, text, null);
    this.wrote(href);
    await this.saveLinked(entry, contact, fields, { href, etag, text });
    this.changed++;
    await this.failures.record(href, 'CONFLICT', `contact ${contact.id} "${contact.displayName}" was deleted in the client and restored (direction crm-to-client)`);
  }

  /**
   * Bring one linked contact and its card together. `card` is the card as read this pass (null: not
   * changed since the last pass, the base stands for it).
   */
  private async reconcile(entry: SyncStatusEntry, contact: Contact, base: SyncBaseEntry<CardFields> | null, card: RemoteCard | null): Promise<void> {
    const { fields, phoneRegion, direction } = this.spec;
    let current = card;
    let crm = contact;
    for (let attempt = 1; ; attempt++) {
      const crmFields = fieldsOfContact(crm);
      const crmChanged = this.crmHash(crmFields) !== entry.crm.hash;
      const remoteFields = current?.card.fields ?? base?.fields ?? crmFields;
      const remoteChanged = current !== null && current.etag !== entry.remote.version && (base === null || differingFields(base.fields, remoteFields, fields, phoneRegion).length > 0);
      const href = current?.href ?? entry.remote.ref ?? this.hrefFor(entry.identity);
      const etag = current?.etag ?? entry.remote.version;
      const remoteText = current?.data ?? base?.data ?? null;

      if (!crmChanged && !remoteChanged && entry.remote.version !== null && base !== null) {
        if (current !== null && (current.etag !== entry.remote.version || !sameHref(current.href, entry.remote.ref ?? ''))) {
          await this.saveLinked(entry, crm, base.fields, { href: current.href, etag: current.etag, text: current.data });
        }
        return;
      }

      let target: CardFields;
      if (direction === 'crm-to-client') {
        target = crmFields;
        const reverted = current === null ? [] : differingFields(remoteFields, crmFields, fields, phoneRegion);
        if (remoteChanged && reverted.length > 0) {
          await this.failures.record(href, 'CONFLICT', `contact ${crm.id} "${crm.displayName}": client edits of ${reverted.join(', ')} reverted (direction crm-to-client)`);
        }
      } else {
        const result = mergeCardFields(base?.fields ?? null, crmFields, remoteFields, fields, phoneRegion);
        target = result.merged;
        if (result.conflicts.length > 0) {
          await this.failures.record(href, 'CONFLICT', `contact ${crm.id} "${crm.displayName}": ${result.conflicts.join(', ')} changed in the CRM and in the client since the last sync; the CRM value was kept`);
        }
        const toCrm = differingFields(crmFields, target, fields, phoneRegion);
        if (toCrm.length > 0) {
          crm = await this.store.contacts.update(crm.id, this.patchOf(target, toCrm));
          this.contacts.set(crm.id, crm);
          this.changed++;
        }
      }

      // A field made secure after its card was written (the secure list is part of the CRM hash, so
      // that change brings every card here once): take it out of cards the CRM created.
      const cardFields = current?.card.fields ?? (remoteText !== null && (this.spec.secureFields ?? []).length > 0 ? parseCard(remoteText).fields : null);
      const leaked = entry.origin === 'crm' && cardFields !== null ? (this.spec.secureFields ?? []).filter((field) => hasValue(cardFields[field])) : [];
      const needsWrite = remoteText === null || leaked.length > 0 || differingFields(remoteFields, target, fields, phoneRegion).length > 0;
      if (!needsWrite) {
        await this.saveLinked(entry, crm, target, { href, etag: etag ?? '', text: remoteText });
        return;
      }
      const text = renderCard({ base: remoteText, uid: entry.identity, version: current?.card.version ?? this.newVersion, fields: target, selected: fields, phoneRegion, withheld: leaked });
      try {
        const written = await this.session.put(href, text, etag);
        this.wrote(href);
        await this.saveLinked(entry, crm, target, { href, etag: written.etag, text });
        this.changed++;
        return;
      } catch (error) {
        if (!retryAfterConflict(error, attempt)) throw error;
        // RFC 7232 §4.2: someone changed the card meanwhile. Re-read it and merge again; what this
        // attempt wrote to the CRM is now the CRM side (its hash no longer matches the status).
        const [fresh] = await this.session.fetch(this.book, [href]);
        if (fresh === undefined) throw new BridgeError('PRECONDITION_FAILED', `${href} vanished while being written`);
        current = { ...fresh, card: parseCard(fresh.data) };
        if (base === null) base = { fields: crmFields, data: null };
      }
    }
  }

  private patchOf(target: CardFields, keys: readonly ContactFieldKey[]): ContactPatch {
    const patch: Record<string, unknown> = {};
    for (const key of keys) {
      if (key === 'emails') patch['emails'] = target.emails.filter((e) => e.includes('@'));
      else if (key === 'phones') patch['phones'] = target.phones;
      else if (key === 'displayName') patch['displayName'] = target.displayName;
      else patch[key] = target[key] === null || target[key].trim() === '' ? null : target[key].trim();
    }
    return patch as ContactPatch;
  }

  /** The CRM side's hash: the synced fields, and the secure list when there is one (so making a field secure revisits every card once). */
  private crmHash(fields: CardFields): string {
    const hash = fieldsHash(fields, this.spec.fields, this.spec.phoneRegion);
    const secure = this.spec.secureFields ?? [];
    return secure.length === 0 ? hash : `${hash}:secure=${[...secure].sort().join(',')}`;
  }

  private async saveLinked(entry: SyncStatusEntry, contact: Contact, fields: CardFields, remote: { href: string; etag: string; text: string | null }, store: Store = this.store): Promise<void> {
    const next: Omit<SyncStatusEntry, 'updatedAt'> = {
      pair: this.pair,
      identity: entry.identity,
      crm: { ref: contact.id, version: contact.updatedAt, hash: this.crmHash(fieldsOfContact(contact)) },
      remote: { ref: remote.href, version: remote.etag, hash: remote.text === null ? null : textHash(remote.text) },
      origin: entry.origin,
      tombstone: false,
      pending: null,
    };
    await store.atomically(async (tx) => {
      await tx.syncStatus.put(next);
      await tx.syncBase.put(this.pair, entry.identity, { fields, data: remote.text });
    });
    this.status.set(entry.identity, { ...next, updatedAt: new Date().toISOString() });
    this.bases.set(entry.identity, { fields, data: remote.text });
  }

  // ------------------------------------------------------------------------------- new cards

  private async newRemoteCards(cards: readonly RemoteCard[]): Promise<void> {
    for (const failure of this.pendingFailures) await this.failures.record(failure.href, failure.code, failure.message);
    if (cards.length === 0) return;
    const linked = new Set<string>([...this.status.values()].map((e) => e.crm.ref).filter((id): id is string => id !== null));
    const byBridgeUid = new Map<string, Contact>();
    for (const contact of this.selected.values()) if (!linked.has(contact.id)) byBridgeUid.set(bridgeUid(contact.id), contact);
    const matcher = new ContactMatcher(
      [...this.selected.values()].filter((c) => !linked.has(c.id)).map((c) => ({ id: c.id, fields: fieldsOfContact(c) })),
      this.spec.phoneRegion,
    );
    for (const card of cards) {
      if (this.signal.aborted) return;
      await this.failures.guard('item', card.href, async () => {
        const fields = card.card.fields;
        const own = byBridgeUid.get(card.card.uid.replace(/^urn:uuid:/i, ''));
        const ownContact = own !== undefined && !linked.has(own.id);
        let outcome: MatchOutcome = { kind: 'none' };
        if (!ownContact) {
          outcome = matcher.match(fields);
          if (outcome.kind === 'none') outcome = await this.matchOutsideSelection(fields, linked);
        }
        const action = planNewCard({ ownContact, match: outcome.kind, direction: this.spec.direction });
        switch (action.type) {
          case 'link-own':
            if (own === undefined) return;
            await this.link(card, own, 'crm');
            linked.add(own.id);
            matcher.remove(own.id);
            return;
          case 'link-match': {
            if (outcome.kind !== 'match') return;
            const contact = (this.selected.get(outcome.contactId) ?? this.contacts.get(outcome.contactId)) as Contact;
            this.log.info({ contact: contact.id, uid: card.card.uid, by: outcome.by }, 'card matched to an existing CRM contact');
            await this.link(card, contact, 'remote');
            linked.add(contact.id);
            matcher.remove(contact.id);
            return;
          }
          case 'report-ambiguous':
            if (outcome.kind !== 'ambiguous') return;
            await this.failures.record(card.href, 'CONFLICT', `card "${fields.displayName}" (UID ${card.card.uid}) matches ${outcome.contactIds.length} CRM contacts by ${outcome.by} (${outcome.contactIds.join(', ')}): not linked and not imported; merge the duplicates in the CRM or edit the card`);
            return;
          case 'refuse-import':
            await this.failures.record(card.href, 'CONFLICT', `card "${fields.displayName}" (UID ${card.card.uid}) was created in the client and is not imported (direction crm-to-client)`);
            return;
          case 'import':
            linked.add(await this.importCard(card));
            return;
        }
      });
    }
  }

  /**
   * A card that matches none of the selected contacts may still be a person the CRM knows under
   * another owner: looked up by e-mail address (indexed) among all active contacts not linked in this
   * address book yet, so it is linked (and keeps syncing, as a card from the client) rather than
   * imported a second time.
   */
  private async matchOutsideSelection(fields: CardFields, linked: ReadonlySet<string>): Promise<MatchOutcome> {
    const found = new Map<string, Contact>();
    for (const email of fields.emails) {
      for (const contact of await this.store.contacts.findByEmail(email)) if (contact.active && !linked.has(contact.id)) found.set(contact.id, contact);
    }
    if (found.size === 0) return { kind: 'none' };
    if (found.size > 1) return { kind: 'ambiguous', contactIds: [...found.keys()].sort(), by: 'email' };
    const [contact] = found.values() as unknown as [Contact];
    this.contacts.set(contact.id, contact);
    return { kind: 'match', contactId: contact.id, by: 'email' };
  }

  /** A card already in the address book stands for `contact`: link them and merge without a base. */
  private async link(card: RemoteCard, contact: Contact, origin: 'crm' | 'remote'): Promise<void> {
    const entry: SyncStatusEntry = {
      pair: this.pair,
      identity: card.card.uid,
      crm: { ref: contact.id, version: null, hash: null },
      remote: { ref: card.href, version: null, hash: null },
      origin,
      tombstone: false,
      pending: null,
      updatedAt: '',
    };
    await this.reconcile(entry, contact, null, card);
  }

  /** A card made in the client becomes a CRM contact owned by the user: contact, status and base in one transaction. */
  private async importCard(card: RemoteCard): Promise<string> {
    const f = card.card.fields;
    const keep = new Set(this.spec.fields);
    const input = {
      displayName: f.displayName,
      firstName: keep.has('firstName') ? f.firstName : null,
      lastName: keep.has('lastName') ? f.lastName : null,
      emails: keep.has('emails') ? f.emails.filter((e) => e.includes('@')) : [],
      phones: keep.has('phones') ? f.phones : [],
      company: keep.has('company') ? f.company : null,
      title: keep.has('title') ? f.title : null,
      owner: this.spec.userId,
    };
    const contact = await this.store.atomically(async (tx) => {
      const created = await tx.contacts.create(input);
      const entry: SyncStatusEntry = { pair: this.pair, identity: card.card.uid, crm: { ref: created.id, version: null, hash: null }, remote: { ref: card.href, version: card.etag, hash: null }, origin: 'remote', tombstone: false, pending: null, updatedAt: '' };
      await this.saveLinked(entry, created, fieldsOfContact(created), { href: card.href, etag: card.etag, text: card.data }, tx);
      return created;
    });
    this.contacts.set(contact.id, contact);
    this.changed++;
    return contact.id;
  }

  private async newCrmContacts(): Promise<void> {
    const linked = new Set([...this.status.values()].map((e) => e.crm.ref));
    for (const contact of this.selected.values()) {
      if (this.signal.aborted) return;
      if (linked.has(contact.id)) continue;
      const uid = bridgeUid(contact.id);
      const existing = this.status.get(uid);
      if (existing !== undefined) continue; // linked under its UID to something else: leave it
      const entry: SyncStatusEntry = { pair: this.pair, identity: uid, crm: { ref: contact.id, version: null, hash: null }, remote: { ref: this.hrefFor(uid), version: null, hash: null }, origin: 'crm', tombstone: false, pending: 'create', updatedAt: '' };
      await this.failures.guard('item', entry.remote.ref, () => this.createRemote(entry, contact));
    }
  }

  /** Crash-safe create (DESIGN.md principle 3): the intent is stored before the PUT; a repeated PUT gets 412 and adopts the card. */
  private async createRemote(entry: SyncStatusEntry, contact: Contact): Promise<void> {
    const fields = fieldsOfContact(contact);
    const href = entry.remote.ref ?? this.hrefFor(entry.identity);
    const text = renderCard({ base: null, uid: entry.identity, version: this.newVersion, fields, selected: this.spec.fields, phoneRegion: this.spec.phoneRegion });
    const intent: Omit<SyncStatusEntry, 'updatedAt'> = { ...entry, remote: { ref: href, version: null, hash: null }, pending: 'create' };
    await this.store.atomically(async (tx) => {
      await tx.syncStatus.put(intent);
      await tx.syncBase.put(this.pair, entry.identity, { fields, data: text });
    });
    this.status.set(entry.identity, { ...intent, updatedAt: '' });
    const outcome = await createOrAdopt(
      () => this.session.put(href, text, null),
      async () => (await this.session.fetch(this.book, [href]))[0] ?? null,
    );
    if (outcome.kind === 'created') {
      this.wrote(href);
      await this.saveLinked(intent as SyncStatusEntry, contact, fields, { href, etag: outcome.etag, text });
      this.changed++;
      return;
    }
    // Already there: an earlier attempt's PUT landed, or the card survived a reset. Adopt it.
    const card = { ...outcome.current, card: parseCard(outcome.current.data) };
    if (card.card.uid !== entry.identity) throw new BridgeError('CONFLICT', `${href} holds another card (UID ${card.card.uid}) than contact ${contact.id}'s`);
    await this.reconcile({ ...(intent as SyncStatusEntry), pending: null }, contact, null, card);
  }

  private hrefFor(uid: string): string {
    return new URL(`${encodeURIComponent(uid)}.vcf`, this.book.href).href;
  }
}

/** Whether a card field holds anything (a non-empty text or list). */
function hasValue(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return typeof value === 'string' && value.trim() !== '';
}
