// An in-memory CalDAV/CardDAV server behind both DAV ports (DavConnector for calendars and tasks,
// AddressBookConnector for contacts): collections, ETags, sync tokens with a change log
// (RFC 6578), conditional writes (If-Match / If-None-Match answer 412, RFC 7232 §3.1-3.2), and
// optional injected failures: a PUT whose answer is lost after the server stored it (the
// crash-safe create case), drawn from a seedable random source so a failing run replays.
// It stores whatever it is sent (no validation), like a lenient server.
import { BridgeError } from '../../src/domain/errors.js';
import type { AddressBookAccount, AddressBookConnector, AddressBookSession } from '../../src/ports/address-book.js';
import type { DavChanges, DavCollection, DavComponent, DavConnector, DavObject, DavSession } from '../../src/ports/dav.js';

interface MemoryCollection {
  info: DavCollection;
  objects: Map<string, { etag: string; data: string }>;
  log: Array<{ seq: number; href: string; created: boolean }>;
}

/** One session object serves both ports: the engines see only the part of their port. */
export type MemoryDavSession = DavSession & AddressBookSession;

export class MemoryDav implements DavConnector, AddressBookConnector {
  readonly principalUrl = 'https://dav.test/alice/';
  readonly calendarHomeUrl = 'https://dav.test/alice/';
  readonly addressbookHomeUrl = 'https://dav.test/alice/contacts/';
  readonly collections = new Map<string, MemoryCollection>();
  private seq = 0;
  /** Probability that a PUT is stored but its answer is lost (TEMPORARY). */
  lostAnswers = 0;
  /** Objects listed but not readable (as the adapter reports an item over sync.maxDavResponseBytes): changes() returns them in `failed`. */
  readonly unreadable = new Map<string, BridgeError>();
  random: () => number = Math.random;
  /**
   * Like Xandikos: sync-collection since a token reports nothing for a resource created and
   * deleted after that token (RFC 6578 §3.5.2 only requires reporting members that existed).
   */
  forgetsCreatedThenDeleted = false;
  /**
   * Client actions that happen while a pass runs: each one runs right before the next PUT or
   * DELETE through a session (between the bridge's read and its conditional write, the race
   * that If-Match exists for).
   */
  readonly beforeBridgeWrite: Array<() => Promise<void> | void> = [];
  /** Session calls made (discovery, listings, reads and writes alike). */
  requests = 0;
  /** connect() calls (discoveries). */
  connects = 0;

  /** A reproducible random source (a linear congruential generator) for lost answers. */
  seed(seed: number): void {
    let state = seed;
    this.random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  }

  connect(): Promise<MemoryDavSession> {
    this.connects += 1;
    return Promise.resolve(this.session());
  }

  resume(_settings: unknown, _account: AddressBookAccount): AddressBookSession {
    return this.session();
  }

  private session(): MemoryDavSession {
    const counted =
      <A extends unknown[], R>(call: (...args: A) => R) =>
      (...args: A): R => {
        this.requests += 1;
        return call(...args);
      };
    const listOf = (kind: DavCollection['kind']) => [...this.collections.values()].filter((c) => c.info.kind === kind).map((c) => ({ ...c.info, syncToken: String(this.seq) }));
    return {
      principalUrl: this.principalUrl,
      calendarHomeUrl: this.calendarHomeUrl,
      addressbookHomeUrl: this.addressbookHomeUrl,
      listCalendars: counted(() => Promise.resolve(listOf('calendar'))),
      listAddressBooks: counted(() => Promise.resolve(listOf('addressbook'))),
      createCalendar: counted((name: string, components: DavComponent[]) => Promise.resolve(this.createCalendar(name, components))),
      createAddressBook: counted((name: string) => Promise.resolve(this.createAddressBook(name))),
      changes: counted((collection: DavCollection, token: string | null) => {
        try {
          return Promise.resolve(this.changes(collection.href, token));
        } catch (error) {
          return Promise.reject(error as Error);
        }
      }),
      listEtags: counted((collection: DavCollection) => Promise.resolve([...this.get(collection.href).objects].map(([href, o]) => ({ href, etag: o.etag })))),
      fetch: counted((_collection: DavCollection, hrefs: readonly string[]) => Promise.resolve(hrefs.flatMap((href) => this.object(href) ?? []))),
      put: counted(async (href: string, data: string, etag: string | null) => {
        await this.beforeBridgeWrite.shift()?.();
        return this.put(href, data, etag);
      }),
      remove: counted(async (href: string, etag: string | null) => {
        await this.beforeBridgeWrite.shift()?.();
        return this.remove(href, etag);
      }),
      freeBusy: counted(() => Promise.resolve(null)),
    };
  }

  createCalendar(name: string, components: DavComponent[]): DavCollection {
    return this.createCollection(this.calendarHomeUrl, name, 'calendar', components);
  }

  /** The new address book, or the one already there under that name (as the port says). */
  createAddressBook(name: string): DavCollection {
    return this.createCollection(this.addressbookHomeUrl, name, 'addressbook', []);
  }

  private createCollection(home: string, name: string, kind: DavCollection['kind'], components: DavComponent[]): DavCollection {
    const href = `${home}${encodeURIComponent(name.toLowerCase())}/`;
    const existing = this.collections.get(href);
    if (existing) return existing.info;
    const info: DavCollection = { href, displayName: name, components, kind, ctag: null, syncToken: null, readOnly: false, color: null };
    this.collections.set(href, { info, objects: new Map(), log: [] });
    return info;
  }

  private get(collectionHref: string): MemoryCollection {
    const found = this.collections.get(collectionHref);
    if (!found) throw new BridgeError('NOT_FOUND', `no collection ${collectionHref}`);
    return found;
  }

  private collectionOf(href: string): MemoryCollection {
    return this.get(href.replace(/[^/]*$/, ''));
  }

  object(href: string): DavObject | undefined {
    const found = this.collectionOf(href).objects.get(href);
    return found ? { href, ...found } : undefined;
  }

  objects(collectionHref: string): DavObject[] {
    return [...this.get(collectionHref).objects].map(([href, o]) => ({ href, ...o }));
  }

  changes(collectionHref: string, token: string | null): DavChanges {
    const collection = this.get(collectionHref);
    if (token === null) return this.withUnreadable({ changed: this.objects(collectionHref), deleted: [], failed: [], syncToken: String(this.seq), fullResync: false });
    const since = Number(token);
    const after = collection.log.filter((entry) => entry.seq > since);
    const touched = new Set(after.map((entry) => entry.href));
    const changed: DavObject[] = [];
    const deleted: string[] = [];
    for (const href of touched) {
      const object = collection.objects.get(href);
      if (object) changed.push({ href, ...object });
      else if (!(this.forgetsCreatedThenDeleted && after.find((entry) => entry.href === href)?.created)) deleted.push(href);
    }
    return this.withUnreadable({ changed, deleted, failed: [], syncToken: String(this.seq), fullResync: false });
  }

  private withUnreadable(changes: DavChanges): DavChanges {
    const failed = changes.changed.filter((o) => this.unreadable.has(o.href)).map((o) => ({ href: o.href, error: this.unreadable.get(o.href) as BridgeError }));
    return { ...changes, changed: changes.changed.filter((o) => !this.unreadable.has(o.href)), failed };
  }

  /** A write by the client or the bridge; unconditional when `etag` is undefined. */
  write(href: string, data: string, etag?: string | null): string {
    const collection = this.collectionOf(href);
    const current = collection.objects.get(href);
    if (etag === null && current) throw new BridgeError('PRECONDITION_FAILED', `${href} exists`);
    if (typeof etag === 'string' && current?.etag !== etag) throw new BridgeError('PRECONDITION_FAILED', `${href} changed`);
    this.seq += 1;
    const newEtag = `"${this.seq}"`;
    collection.objects.set(href, { etag: newEtag, data });
    collection.log.push({ seq: this.seq, href, created: current === undefined });
    return newEtag;
  }

  delete(href: string): void {
    const collection = this.collectionOf(href);
    if (!collection.objects.delete(href)) return;
    this.seq += 1;
    collection.log.push({ seq: this.seq, href, created: false });
  }

  put(href: string, data: string, etag: string | null): Promise<{ etag: string }> {
    let newEtag: string;
    try {
      newEtag = this.write(href, data, etag);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (this.lostAnswers > 0 && this.random() < this.lostAnswers) return Promise.reject(new BridgeError('TEMPORARY', 'connection reset after the PUT was stored', { connectionLost: true }));
    return Promise.resolve({ etag: newEtag });
  }

  remove(href: string, etag: string | null): Promise<void> {
    const current = this.object(href);
    if (current && etag !== null && current.etag !== etag) return Promise.reject(new BridgeError('PRECONDITION_FAILED', `${href} changed`));
    this.delete(href);
    return Promise.resolve();
  }
}
