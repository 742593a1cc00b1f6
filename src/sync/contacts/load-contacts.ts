/**
 * The CRM side of one address-book pass: the contacts the user's filter selects (owned, of the
 * user's accounts, or all, and the `where` expressions; src/contacts/filter.ts), read in pages,
 * plus every contact a status row links even when it is no longer selected (the ownership rules
 * need to know whether it still exists).
 */
import { contactSelected, type ContactFilter } from '../../contacts/filter.js';
import type { Contact } from '../../domain/contact.js';
import type { Store } from '../../store/store.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';

const PAGE = 500;

export interface LoadedContacts {
  /** Every contact the pass knows (selected + linked), by id. */
  contacts: Map<string, Contact>;
  /** Contacts the filter selects, by id. */
  selected: Map<string, Contact>;
}

export async function loadContacts(store: Store, spec: { userId: string; filter: ContactFilter }, status: Iterable<SyncStatusEntry>): Promise<LoadedContacts> {
  const { filter, userId } = spec;
  const contacts = new Map<string, Contact>();
  const selected = new Map<string, Contact>();
  const accountOwners = new Map<string, string | null>();
  const candidates: Contact[] = [];
  const pageAll = async (list: (cursor: string | undefined) => Promise<{ items: Contact[]; next: string | null }>) => {
    let cursor: string | undefined;
    do {
      const page = await list(cursor);
      candidates.push(...page.items);
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
  };
  if (filter.owned) await pageAll((cursor) => store.contacts.list({ owner: userId, active: true }, { limit: PAGE, cursor }));
  if (filter.accounts) {
    let cursor: string | undefined;
    do {
      const page = await store.accounts.list({ owner: userId }, { limit: PAGE, cursor });
      for (const account of page.items) {
        accountOwners.set(account.id, account.owner);
        await pageAll((c) => store.contacts.list({ accountId: account.id, active: true }, { limit: PAGE, cursor: c }));
      }
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
  }
  if (!filter.owned && !filter.accounts) await pageAll((cursor) => store.contacts.list({ active: true }, { limit: PAGE, cursor }));
  for (const contact of candidates) {
    contacts.set(contact.id, contact);
    if (contactSelected(contact, userId, filter, accountOwners)) selected.set(contact.id, contact);
  }
  for (const entry of status) {
    const id = entry.crm.ref;
    if (id === null || contacts.has(id)) continue;
    const contact = await store.contacts.get(id);
    if (contact !== undefined) contacts.set(id, contact);
  }
  return { contacts, selected };
}
