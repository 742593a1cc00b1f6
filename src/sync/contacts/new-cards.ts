/**
 * What only one side has: cards new to the bridge are re-linked by the bridge's own UID, else
 * matched to a CRM contact (e-mail, phone, name + company), else imported (two-way); CRM contacts
 * without a card get one (linked-cards.ts createRemote).
 */
import { fieldsOfContact, type CardFields } from '../../contacts/card-fields.js';
import { ContactMatcher, type MatchOutcome } from '../../contacts/match.js';
import type { Contact } from '../../domain/contact.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import { planNewCard } from './plan-card.js';
import type { CardFailure, RemoteCard } from './read-cards.js';
import { contactUid as bridgeUid } from '../engine/bridge-uid.js';
import type { BookPass } from './book-pass.js';
import type { LinkedCards } from './linked-cards.js';

export class NewCards {
  constructor(
    private readonly pass: BookPass,
    private readonly cards: LinkedCards,
  ) {}

  async newRemoteCards(cards: readonly RemoteCard[], failures: readonly CardFailure[]): Promise<void> {
    for (const failure of failures) await this.pass.failures.record(failure.href, failure.code, failure.message);
    if (cards.length === 0) return;
    const linked = new Set<string>([...this.pass.status.values()].map((e) => e.crm.ref).filter((id): id is string => id !== null));
    const byBridgeUid = new Map<string, Contact>();
    for (const contact of this.pass.selected.values()) if (!linked.has(contact.id)) byBridgeUid.set(bridgeUid(contact.id), contact);
    const matcher = new ContactMatcher(
      [...this.pass.selected.values()].filter((c) => !linked.has(c.id)).map((c) => ({ id: c.id, fields: fieldsOfContact(c) })),
      this.pass.spec.phoneRegion,
    );
    for (const card of cards) {
      if (this.pass.signal.aborted) return;
      await this.pass.failures.guard('item', card.href, async () => {
        const fields = card.card.fields;
        const own = byBridgeUid.get(card.card.uid.replace(/^urn:uuid:/i, ''));
        const ownContact = own !== undefined && !linked.has(own.id);
        let outcome: MatchOutcome = { kind: 'none' };
        if (!ownContact) {
          outcome = matcher.match(fields);
          if (outcome.kind === 'none') outcome = await this.matchOutsideSelection(fields, linked);
        }
        const action = planNewCard({ ownContact, match: outcome.kind, direction: this.pass.spec.direction });
        switch (action.type) {
          case 'link-own':
            if (own === undefined) return;
            await this.link(card, own, 'crm');
            linked.add(own.id);
            matcher.remove(own.id);
            return;
          case 'link-match': {
            if (outcome.kind !== 'match') return;
            const contact = (this.pass.selected.get(outcome.contactId) ?? this.pass.contacts.get(outcome.contactId)) as Contact;
            this.pass.log.info({ contact: contact.id, uid: card.card.uid, by: outcome.by }, 'card matched to an existing CRM contact');
            await this.link(card, contact, 'remote');
            linked.add(contact.id);
            matcher.remove(contact.id);
            return;
          }
          case 'report-ambiguous':
            if (outcome.kind !== 'ambiguous') return;
            await this.pass.failures.record(card.href, 'CONFLICT', `card "${fields.displayName}" (UID ${card.card.uid}) matches ${outcome.contactIds.length} CRM contacts by ${outcome.by} (${outcome.contactIds.join(', ')}): not linked and not imported; merge the duplicates in the CRM or edit the card`);
            return;
          case 'refuse-import':
            await this.pass.failures.record(card.href, 'CONFLICT', `card "${fields.displayName}" (UID ${card.card.uid}) was created in the client and is not imported (direction crm-to-client)`);
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
      for (const contact of await this.pass.store.contacts.findByEmail(email)) if (contact.active && !linked.has(contact.id)) found.set(contact.id, contact);
    }
    if (found.size === 0) return { kind: 'none' };
    if (found.size > 1) return { kind: 'ambiguous', contactIds: [...found.keys()].sort(), by: 'email' };
    const [contact] = found.values() as unknown as [Contact];
    this.pass.contacts.set(contact.id, contact);
    return { kind: 'match', contactId: contact.id, by: 'email' };
  }

  /** A card already in the address book stands for `contact`: link them and merge without a base. */
  private async link(card: RemoteCard, contact: Contact, origin: 'crm' | 'remote'): Promise<void> {
    const entry: SyncStatusEntry = {
      pair: this.pass.pair,
      identity: card.card.uid,
      crm: { ref: contact.id, version: null, hash: null },
      remote: { ref: card.href, version: null, hash: null },
      origin,
      tombstone: false,
      pending: null,
      updatedAt: '',
    };
    await this.cards.reconcile(entry, contact, null, card);
  }

  /** A card made in the client becomes a CRM contact owned by the user: contact, status and base in one transaction. */
  private async importCard(card: RemoteCard): Promise<string> {
    const f = card.card.fields;
    const keep = new Set(this.pass.spec.fields);
    const input = {
      displayName: f.displayName,
      firstName: keep.has('firstName') ? f.firstName : null,
      lastName: keep.has('lastName') ? f.lastName : null,
      emails: keep.has('emails') ? f.emails.filter((e) => e.includes('@')) : [],
      phones: keep.has('phones') ? f.phones : [],
      company: keep.has('company') ? f.company : null,
      title: keep.has('title') ? f.title : null,
      owner: this.pass.spec.userId,
    };
    const contact = await this.pass.store.atomically(async (tx) => {
      const created = await tx.contacts.create(input);
      const entry: SyncStatusEntry = { pair: this.pass.pair, identity: card.card.uid, crm: { ref: created.id, version: null, hash: null }, remote: { ref: card.href, version: card.etag, hash: null }, origin: 'remote', tombstone: false, pending: null, updatedAt: '' };
      await this.cards.saveLinked(entry, created, fieldsOfContact(created), { href: card.href, etag: card.etag, text: card.data }, tx);
      return created;
    });
    this.pass.contacts.set(contact.id, contact);
    this.pass.changed++;
    return contact.id;
  }

  async newCrmContacts(): Promise<void> {
    const linked = new Set([...this.pass.status.values()].map((e) => e.crm.ref));
    for (const contact of this.pass.selected.values()) {
      if (this.pass.signal.aborted) return;
      if (linked.has(contact.id)) continue;
      const uid = bridgeUid(contact.id);
      const existing = this.pass.status.get(uid);
      if (existing !== undefined) continue; // linked under its UID to something else: leave it
      const entry: SyncStatusEntry = { pair: this.pass.pair, identity: uid, crm: { ref: contact.id, version: null, hash: null }, remote: { ref: this.cards.hrefFor(uid), version: null, hash: null }, origin: 'crm', tombstone: false, pending: 'create', updatedAt: '' };
      await this.pass.failures.guard('item', entry.remote.ref, () => this.cards.createRemote(entry, contact));
    }
  }
}
