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
import type { CardFields } from '../../contacts/card-fields.js';
import { CURSOR_COLLECTION, readBookCursor, sameServer, type BookCursor } from './book-cursor.js';
import { davPair } from '../engine/keys.js';
import { loadContacts } from './load-contacts.js';
import { readCards, type RemoteCard } from './read-cards.js';
import type { VCardVersion } from '../../contacts/vcard.js';
import type { Contact } from '../../domain/contact.js';
import { isBridgeError } from '../../domain/errors.js';
import type { SyncBaseEntry } from '../../store/sync-base.js';
import type { Store } from '../../store/store.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import type { DavChanges, DavCollection, DavObject } from '../../ports/dav.js';
import type { AddressBookConnector, AddressBookSession } from '../../ports/address-book.js';
import { PassFailures } from '../engine/failure.js';
import { contactUid } from '../engine/bridge-uid.js';
import { hrefKey, sameHref } from '../engine/href.js';
import { looksEmptied } from '../engine/mass-deletion.js';
import { OwnWrites, type StoredToken } from '../engine/own-write-rounds.js';
import { readSince, runPair, type CollectionRead, type PairCodec } from '../engine/run-pair.js';
import type { BookPass, ContactSyncSpec } from './book-pass.js';
import { LinkedCards } from './linked-cards.js';
import { NewCards } from './new-cards.js';

export type { ContactSyncSpec } from './book-pass.js';

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

class AddressBookPass implements BookPass, PairCodec {
  readonly pair: string;
  readonly store: Store;
  readonly log: Logger;
  changed = 0;
  /** Per-card failures (recorded, the pass goes on) and what ends the pass: failure.ts decides. */
  readonly failures: PassFailures;
  readonly writes = new OwnWrites();
  session!: AddressBookSession;
  book!: DavCollection;
  status = new Map<string, SyncStatusEntry>();
  bases = new Map<string, SyncBaseEntry<CardFields>>();
  selected = new Map<string, Contact>();
  contacts = new Map<string, Contact>();
  newVersion: VCardVersion = '3.0';
  holdRemovals = false;
  private readonly cards = new LinkedCards(this);
  private readonly newCards = new NewCards(this, this.cards);

  constructor(
    readonly spec: ContactSyncSpec,
    private readonly deps: ContactSyncDeps,
    readonly signal: AbortSignal,
    /** The pass deadline: closes the DAV connection at once (src/sync/source-deadline.ts). */
    private readonly abort?: AbortSignal,
  ) {
    this.pair = davPair('contacts', spec.userId);
    this.store = deps.store;
    this.log = deps.log.child({ source: spec.sourceId });
    this.failures = new PassFailures(deps.store.syncErrors, spec.sourceId, deps.log);
  }

  async run(): Promise<ContactSyncResult> {
    const stored = await this.store.syncCursors.get(this.pair, CURSOR_COLLECTION);
    // A changed url or account in the configuration means discovering again: syncing on with the
    // remembered address book would keep talking to the old server and report it reached.
    const found = readBookCursor(stored);
    const cursor = found && found.name === this.spec.addressBook && sameServer(found, this.spec.server) ? found : null;
    let read;
    try {
      await this.open(cursor);
      this.newVersion = cursor?.version ?? '3.0';
      // Cards settled after the stored token was read that the server does not report are looked
      // up (own-write-rounds.ts withUnconfirmedGone); cursors from before confirmedUntil have savedAt.
      read = await readSince(this, this.book, { syncToken: cursor?.syncToken ?? null, confirmedUntil: cursor?.confirmedUntil ?? cursor?.savedAt });
    } catch (error) {
      // The remembered address book is gone (deleted or renamed on the server): discover again.
      if (cursor === null || !isBridgeError(error) || error.code !== 'NOT_FOUND') throw error;
      await this.open(null);
      this.newVersion = '3.0';
      read = await readSince(this, this.book, { syncToken: null });
    }
    // A client edit made during the pass is synced in a second round from the same read (run-pair.ts).
    if (read !== null) await runPair(this, [read], this.writes, this.signal);
    return this.result();
  }

  // PairCodec (src/sync/engine/run-pair.ts): the one address book of the pair.

  changes(book: DavCollection, token: string | null): Promise<DavChanges> {
    return this.session.changes(book, token);
  }

  fetch(book: DavCollection, hrefs: string[]): Promise<DavObject[]> {
    return this.session.fetch(book, hrefs);
  }

  statuses(): Promise<SyncStatusEntry[]> {
    return this.store.syncStatus.listPair(this.pair);
  }

  /** An address book that cannot be read ends the pass (failure.ts scopes it; a NOT_FOUND rediscovers). */
  unreadable(error: unknown): Promise<void> {
    return Promise.reject(error);
  }

  async round(reads: readonly CollectionRead[]): Promise<ReadonlySet<string> | null> {
    const believed = new Set<string>();
    for (const read of reads) if (await this.syncChanges(read.changes, read.complete)) believed.add(read.collection.href);
    return this.signal.aborted ? null : believed;
  }

  private result(): ContactSyncResult {
    return { changed: this.changed, itemErrors: this.failures.count };
  }

  async saveCursor(_book: DavCollection, { syncToken, confirmedUntil }: StoredToken): Promise<void> {
    const next: BookCursor = {
      href: this.book.href,
      name: this.spec.addressBook,
      principalUrl: this.session.principalUrl,
      addressbookHomeUrl: this.session.addressbookHomeUrl,
      syncToken,
      confirmedUntil,
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
  private async syncChanges(changes: DavChanges, full: boolean): Promise<boolean> {
    this.status = new Map();
    this.holdRemovals = false;
    for (const entry of await this.store.syncStatus.listPair(this.pair)) this.status.set(entry.identity, entry);
    this.bases = await this.store.syncBase.listPair<CardFields>(this.pair);
    ({ contacts: this.contacts, selected: this.selected } = await loadContacts(this.store, this.spec, this.status.values()));

    const { remote, listed, failures } = await readCards(changes.changed, changes.failed, this.spec.maxCardBytes, (uid) => this.status.get(uid)?.remote.ref ?? null);
    const versions = [...remote.values()].map((r) => r.card.version);
    // New cards take the version most cards have (else the one stored with the cursor stays).
    if (versions.length > 0) this.newVersion = versions.filter((v) => v === '4.0').length > versions.length / 2 ? '4.0' : '3.0';

    let believeDeletions = true;
    const gone = this.goneEntries(full, listed, new Set(changes.deleted), remote);
    if (full && looksEmptied(listed.size, gone.length)) {
      believeDeletions = false;
      await this.failures.record(null, 'CONFLICT', `address book ${this.book.href} looks empty but ${gone.length} synced cards were in it: nothing is deleted or restored; reset the contacts of ${this.spec.userId} if the address book was emptied on purpose`);
    }
    if (believeDeletions) for (const entry of gone) await this.failures.guard('item', entry.remote.ref, () => this.cards.syncLinked(entry, undefined, true));

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
      await this.failures.guard('item', (entry.tombstone ? card?.href : entry.remote.ref) ?? entry.identity, () => this.cards.syncLinked(entry, card));
    }

    await this.newCards.newRemoteCards(fresh, failures);
    await this.newCards.newCrmContacts();
    return believeDeletions;
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

}
