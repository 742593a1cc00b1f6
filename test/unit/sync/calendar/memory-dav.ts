// An in-memory CalDAV server behind the DavSession port: collections, ETags, sync tokens with a
// change log, conditional writes (412), and optional injected failures: a PUT whose answer is
// lost after the server stored it (the crash-safe create case).
import { BridgeError } from '../../../../src/domain/errors.js';
import type { DavChanges, DavCollection, DavComponent, DavConnector, DavObject, DavSession } from '../../../../src/ports/dav.js';

interface MemoryCollection {
  info: DavCollection;
  objects: Map<string, { etag: string; data: string }>;
  log: Array<{ seq: number; href: string }>;
}

export class MemoryDav implements DavConnector {
  readonly principalUrl = 'https://dav.test/alice/';
  readonly calendarHomeUrl = 'https://dav.test/alice/';
  readonly addressbookHomeUrl = null;
  readonly collections = new Map<string, MemoryCollection>();
  private seq = 0;
  /** Probability that a PUT is stored but its answer is lost (TEMPORARY). */
  lostAnswers = 0;
  /** Objects listed but not readable (as the adapter reports an item over sync.maxDavResponseBytes): changes() returns them in `failed`. */
  readonly unreadable = new Map<string, BridgeError>();
  random: () => number = Math.random;

  connect(): Promise<DavSession> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const server = this;
    const session: DavSession = {
      principalUrl: this.principalUrl,
      calendarHomeUrl: this.calendarHomeUrl,
      addressbookHomeUrl: null,
      listCalendars: () => Promise.resolve([...server.collections.values()].map((c) => ({ ...c.info, syncToken: String(server.seq) }))),
      listAddressBooks: () => Promise.resolve([]),
      createCalendar: (name: string, components: DavComponent[]) => Promise.resolve(server.createCalendar(name, components)),
      changes: (collection: DavCollection, token: string | null) => Promise.resolve(server.changes(collection.href, token)),
      listEtags: (collection: DavCollection) => Promise.resolve([...server.get(collection.href).objects].map(([href, o]) => ({ href, etag: o.etag }))),
      fetch: (collection: DavCollection, hrefs: readonly string[]) => Promise.resolve(hrefs.flatMap((href) => server.object(href) ?? [])),
      put: (href: string, data: string, etag: string | null) => server.put(href, data, etag),
      remove: (href: string, etag: string | null) => server.remove(href, etag),
      freeBusy: () => Promise.resolve(null),
    };
    return Promise.resolve(session);
  }

  createCalendar(name: string, components: DavComponent[]): DavCollection {
    const href = `${this.calendarHomeUrl}${encodeURIComponent(name.toLowerCase())}/`;
    const info: DavCollection = { href, displayName: name, components, kind: 'calendar', ctag: null, syncToken: null, readOnly: false, color: null };
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
    const touched = new Set(collection.log.filter((entry) => entry.seq > since).map((entry) => entry.href));
    const changed: DavObject[] = [];
    const deleted: string[] = [];
    for (const href of touched) {
      const object = collection.objects.get(href);
      if (object) changed.push({ href, ...object });
      else deleted.push(href);
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
    collection.log.push({ seq: this.seq, href });
    return newEtag;
  }

  delete(href: string): void {
    const collection = this.collectionOf(href);
    if (!collection.objects.delete(href)) return;
    this.seq += 1;
    collection.log.push({ seq: this.seq, href });
  }

  put(href: string, data: string, etag: string | null): Promise<{ etag: string }> {
    const newEtag = this.write(href, data, etag);
    if (this.lostAnswers > 0 && this.random() < this.lostAnswers) return Promise.reject(new BridgeError('TEMPORARY', 'connection reset after the PUT was stored'));
    return Promise.resolve({ etag: newEtag });
  }

  remove(href: string, etag: string | null): Promise<void> {
    const current = this.object(href);
    if (current && etag !== null && current.etag !== etag) return Promise.reject(new BridgeError('PRECONDITION_FAILED', `${href} changed`));
    this.delete(href);
    return Promise.resolve();
  }
}
