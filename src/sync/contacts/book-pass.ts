/**
 * What the pieces of one address-book pass share (address-book-sync.ts reads and orchestrates,
 * linked-cards.ts brings linked cards and contacts together, new-cards.ts links, imports and
 * delivers what only one side has): the spec, the store, the session and what the round knows.
 */
import type { Logger } from 'pino';
import type { CardFields, ContactFieldKey } from '../../contacts/card-fields.js';
import type { ContactFilter } from '../../contacts/filter.js';
import type { VCardVersion } from '../../contacts/vcard.js';
import type { Contact } from '../../domain/contact.js';
import type { SyncBaseEntry } from '../../store/sync-base.js';
import type { Store } from '../../store/store.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import type { DavCollection, DavServerSettings } from '../../ports/dav.js';
import type { AddressBookSession } from '../../ports/address-book.js';
import type { PassFailures } from '../engine/failure.js';
import type { OwnWrites } from '../engine/own-write-rounds.js';

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

export interface BookPass {
  readonly pair: string;
  readonly spec: ContactSyncSpec;
  readonly store: Store;
  readonly log: Logger;
  readonly failures: PassFailures;
  /** What this pass PUT and DELETEd (own-write-rounds.ts). */
  readonly writes: OwnWrites;
  readonly signal: AbortSignal;
  readonly session: AddressBookSession;
  readonly book: DavCollection;
  /** The round's sync status by identity (kept current as items settle). */
  status: Map<string, SyncStatusEntry>;
  bases: Map<string, SyncBaseEntry<CardFields>>;
  /** Contacts the filter selects, by id. */
  selected: Map<string, Contact>;
  /** Every contact the pass knows (selected + linked), by id. */
  contacts: Map<string, Contact>;
  /** Version of new cards: what the address book mostly holds, else 3.0 (widest client support). */
  newVersion: VCardVersion;
  /** The CRM side looked emptied: no delivered card is removed this round. */
  holdRemovals: boolean;
  /** Items changed on either side. */
  changed: number;
}
