import { davSettings } from '../../config/server-settings.js';
import type { Logger } from 'pino';
import { contactFieldKeys, type ContactFieldKey } from '../../contacts/card-fields.js';
import { parseFilterExpression } from '../../contacts/filter.js';
import type { Config } from '../../config/schema.js';
import { BridgeError } from '../../domain/errors.js';
import type { Store } from '../../store/store.js';
import type { SourceRunner, SyncSource } from '../../ports/source.js';
import { syncAddressBook, type ContactSyncSpec } from './address-book-sync.js';
import type { AddressBookConnector } from '../../ports/address-book.js';

/** The fields that sync for a user: the configured ones minus the secure ones; displayName always. */
export function syncedFields(fields: readonly ContactFieldKey[], secure: readonly ContactFieldKey[]): ContactFieldKey[] {
  return contactFieldKeys.filter((key) => key === 'displayName' || (fields.includes(key) && !secure.includes(key)));
}

export function contactSyncSpecOf(config: Config, source: SyncSource): ContactSyncSpec {
  const user = config.users.find((entry) => entry.id === source.ownerId);
  if (!user?.carddav) throw new BridgeError('CONFIG', `${source.id}: no CardDAV settings`);
  const c = user.contacts;
  return {
    sourceId: source.id,
    userId: user.id,
    // Radicale builds its item cache on the first request that reads a large collection and its
    // sync state on the first sync-collection (84 s and 12 s for 10,000 cards in
    // bench/carddav-sync): the default sync.commandTimeoutSeconds (120) lets that finish, and the
    // next pass finds it warm.
    server: davSettings(user.carddav, { type: 'user', id: user.id, kind: 'carddav' }, { timeoutMs: config.sync.commandTimeoutSeconds * 1000, maxResponseBytes: config.sync.maxDavResponseBytes }),
    addressBook: c.addressBook,
    direction: c.direction,
    filter: { owned: c.filter.owned, accounts: c.filter.accounts, where: c.filter.where === undefined ? [] : parseFilterExpression(c.filter.where) },
    fields: syncedFields(c.fields, c.secureFields),
    secureFields: [...c.secureFields],
    phoneRegion: c.phoneRegion ?? null,
    maxCardBytes: c.maxCardBytes,
  };
}

/** The `carddav` source runner: one address-book pass per user. */
export function contactRunner(config: Config, store: Store, connector: AddressBookConnector, log: Logger): SourceRunner {
  return {
    kind: 'carddav',
    runOnce: (source, signal, abort) => syncAddressBook(contactSyncSpecOf(config, source), { store, connector, log }, signal, abort),
  };
}
