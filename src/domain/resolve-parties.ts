import type { PartyInput, partyRoles } from './activity.js';
import type { Account } from './account.js';
import type { Contact } from './contact.js';
import { normalizeEmail } from './fields.js';
import type { Lead } from './lead.js';
import type { MailAddress } from './mail-address.js';

/** Lookups party resolution needs; src/store/party-directory.ts answers them from the store. */
export interface PartyDirectory {
  userIdByEmail(address: string): string | undefined;
  contactsByEmail(address: string): Promise<Contact[]>;
  leadsByEmail(address: string): Promise<Lead[]>;
  accountsByDomain(domain: string): Promise<Account[]>;
  /** Drop what is remembered about an address (a lead or contact was just created for it). */
  forget(address: string): void;
}

export type PartyRole = (typeof partyRoles)[number];

export interface AddressWithRole extends MailAddress {
  role: PartyRole;
}

/**
 * Match each address to a CRM user, contact (any of its addresses; active ones first), lead, and
 * account (the contact's account, else the account whose domains contain the address's domain).
 * Unresolved addresses are kept as they are, so nothing about the mail is lost.
 */
export async function resolveParties(addresses: readonly AddressWithRole[], directory: PartyDirectory): Promise<PartyInput[]> {
  const parties: PartyInput[] = [];
  const seen = new Set<string>();
  for (const entry of addresses) {
    const address = entry.address.trim();
    const key = `${entry.role}\u0000${normalizeEmail(address)}`;
    if (!address.includes('@') || seen.has(key)) continue;
    seen.add(key);
    const userId = directory.userIdByEmail(address) ?? null;
    const contacts = await directory.contactsByEmail(address);
    const contact = contacts.find((candidate) => candidate.active) ?? contacts[0];
    const lead = contact ? undefined : (await directory.leadsByEmail(address))[0];
    let accountId = contact?.accountId ?? null;
    if (!accountId && !userId) {
      const accounts = await directory.accountsByDomain(domainOf(address));
      // Only an unambiguous domain match names the account.
      if (accounts.length === 1) accountId = accounts[0]!.id;
    }
    parties.push({
      role: entry.role,
      address,
      name: entry.name,
      contactId: contact?.id ?? null,
      accountId,
      leadId: lead?.id ?? null,
      userId,
    });
  }
  return parties;
}

export function domainOf(address: string): string {
  return normalizeEmail(address).split('@').pop() ?? '';
}

/** A party the CRM knows (not the mailbox owner's colleagues): a contact, lead or account. */
export function isKnownParty(party: PartyInput): boolean {
  return Boolean(party.contactId || party.leadId || party.accountId);
}
