import type { Account } from '../domain/account.js';
import type { Contact } from '../domain/contact.js';
import { normalizeEmail } from '../domain/fields.js';
import type { Lead } from '../domain/lead.js';
import type { Store } from './store.js';
import type { PartyDirectory } from '../domain/resolve-parties.js';

/**
 * PartyDirectory over the store, memoised for one sync pass: a mailbox full of mail from the same
 * few correspondents asks the same questions again and again. Create one per pass (or call
 * forget() after writing contacts/leads) so answers do not go stale.
 */
export class StoreDirectory implements PartyDirectory {
  private readonly contacts = new Map<string, Promise<Contact[]>>();
  private readonly leads = new Map<string, Promise<Lead[]>>();
  private readonly accounts = new Map<string, Promise<Account[]>>();

  constructor(
    private readonly store: Store,
    private readonly users: ReadonlyArray<{ id: string; email: string }>,
  ) {}

  userIdByEmail(address: string): string | undefined {
    const wanted = normalizeEmail(address);
    return this.users.find((user) => normalizeEmail(user.email) === wanted)?.id;
  }

  contactsByEmail(address: string): Promise<Contact[]> {
    return memo(this.contacts, normalizeEmail(address), (key) => this.store.contacts.findByEmail(key));
  }

  leadsByEmail(address: string): Promise<Lead[]> {
    return memo(this.leads, normalizeEmail(address), async (key) => (await this.store.leads.list({ email: key }, { limit: 5 })).items);
  }

  accountsByDomain(domain: string): Promise<Account[]> {
    return memo(this.accounts, domain.toLowerCase(), async (key) => (await this.store.accounts.list({ domain: key }, { limit: 5 })).items);
  }

  forget(address: string): void {
    const key = normalizeEmail(address);
    this.contacts.delete(key);
    this.leads.delete(key);
  }
}

function memo<T>(cache: Map<string, Promise<T>>, key: string, load: (key: string) => Promise<T>): Promise<T> {
  let found = cache.get(key);
  if (!found) {
    found = load(key);
    cache.set(key, found);
  }
  return found;
}
