// Shared set-up of the contact sync integration tests: a user with an address book on Radicale
// (a throwaway user) or Xandikos (one principal: each test uses its own address book), the CRM
// store, one sync pass through the real runner, and a "client" that edits the address book.

import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { CardDavConnector } from '../../../adapters/carddav/index.js';
import { configSchema, type Config } from '../../../src/config/schema.js';
import type { Store } from '../../../src/store/store.js';
import type { AddressBookConnector, AddressBookSession } from '../../../src/ports/address-book.js';
import { contactRunner } from '../../../src/sync/contacts/contacts-runner.js';
import type { DavCollection, DavObject, DavServerSettings } from '../../../src/ports/dav.js';
import type { SourceResult } from '../../../src/ports/source.js';
import { sourcesOf } from '../../../src/sync/sources.js';
import { createCyrusUser } from '../../servers/cyrus.js';
import { createSabreUser } from '../../servers/sabre.js';
import { createRadicaleUser } from '../../servers/users.js';
import type { TestServers } from '../../servers/types.js';

/** Every CardDAV server of the matrix (issue 15): sabre/dav 1.8 is the one without sync-collection, Cyrus the one with RFC 6638 scheduling. */
export type ServerName = 'radicale' | 'xandikos' | 'sabre' | 'cyrus';
export const serverNames: ServerName[] = ['radicale', 'xandikos', 'sabre', 'cyrus'];

export async function davAccount(servers: TestServers, server: ServerName): Promise<DavServerSettings> {
  if (server === 'radicale') {
    const user = await createRadicaleUser(servers, 'cards');
    return { url: servers.radicale.url, username: user.username, password: user.password, timeoutMs: 20_000 };
  }
  if (server === 'cyrus') {
    const user = await createCyrusUser(servers, 'cards');
    return { url: servers.cyrus.url, username: user.username, password: user.password, timeoutMs: 20_000 };
  }
  if (server === 'sabre') {
    const user = createSabreUser(servers, 'cards');
    return { url: servers.sabre.url, username: user.username, password: user.password, timeoutMs: 20_000 };
  }
  return { url: servers.xandikos.principalUrl, username: 'anyone', password: 'anything', timeoutMs: 20_000 };
}

export function contactsConfig(settings: DavServerSettings, contacts: Record<string, unknown>, userId = 'alice'): Config {
  return configSchema.parse({
    users: [{ id: userId, name: 'Alice Example', email: `${userId}@example.com`, carddav: { url: settings.url, username: settings.username, password: settings.password }, contacts }],
  });
}

export function uniqueBookName(): string {
  return `CRM ${randomBytes(4).toString('hex')}`;
}

/** One pass of the `carddav` source of `userId` through the real runner. */
export async function syncContacts(store: Store, config: Config, connector: AddressBookConnector = new CardDavConnector(), userId = 'alice'): Promise<Omit<SourceResult, 'source' | 'reached'>> {
  for (const user of config.users) await store.users.upsert(user);
  const source = sourcesOf(config).find((entry) => entry.id === `carddav:${userId}`);
  if (!source) throw new Error(`no carddav source for ${userId}`);
  return contactRunner(config, store, connector, pino({ level: 'silent' })).runOnce(source, new AbortController().signal);
}

export function vcard(uid: string, fn: string, lines: string[] = [], version: '3.0' | '4.0' = '3.0'): string {
  const [first, ...rest] = fn.split(' ');
  return ['BEGIN:VCARD', `VERSION:${version}`, `UID:${uid}`, `FN:${fn}`, `N:${rest.join(' ')};${first ?? ''};;;`, ...lines, 'END:VCARD', ''].join('\r\n');
}

/** What a user's phone or desktop client does to the address book. */
export class Client {
  private constructor(
    readonly session: AddressBookSession,
    readonly book: DavCollection,
  ) {}

  static async open(settings: DavServerSettings, name: string): Promise<Client> {
    const session = await new CardDavConnector().connect(settings);
    const book = (await session.listAddressBooks()).find((b) => b.displayName === name);
    if (!book) throw new Error(`address book ${name} not found`);
    return new Client(session, book);
  }

  async cards(): Promise<DavObject[]> {
    return (await this.session.changes(this.book, null)).changed;
  }

  async byUid(uid: string): Promise<DavObject | undefined> {
    return (await this.cards()).find((c) => new RegExp(`^UID:${uid.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\r?$`, 'm').test(c.data));
  }

  async byFn(fn: string): Promise<DavObject[]> {
    return (await this.cards()).filter((c) => c.data.includes(`\nFN:${fn}\r`) || c.data.includes(`\nFN:${fn}\n`));
  }

  async create(text: string, name = `${randomUUID()}.vcf`): Promise<string> {
    const href = new URL(name, this.book.href).href;
    await this.session.put(href, text, null);
    return href;
  }

  async edit(card: DavObject, change: (text: string) => string): Promise<void> {
    await this.session.put(card.href, change(card.data), card.etag);
  }

  async remove(card: DavObject): Promise<void> {
    await this.session.remove(card.href, card.etag);
  }
}

/** A connector whose sessions run `hooks` around writes: for lost races and crashes. */
export function hookedConnector(hooks: { beforePut?: (href: string) => Promise<void>; afterPut?: (href: string) => Promise<void> }): AddressBookConnector {
  const inner = new CardDavConnector();
  const wrap = (session: AddressBookSession): AddressBookSession =>
    Object.assign(Object.create(session) as AddressBookSession, {
      put: async (href: string, data: string, etag: string | null) => {
        await hooks.beforePut?.(href);
        const result = await session.put(href, data, etag);
        await hooks.afterPut?.(href);
        return result;
      },
    });
  return {
    connect: async (settings) => wrap(await inner.connect(settings)),
    resume: (settings, account) => wrap(inner.resume(settings, account)),
  };
}
