/**
 * Linked cards: a card and a CRM contact the sync status joins. The ownership rules
 * (plan-card.ts) decide; this applies them: a three-way field merge against the stored base,
 * conditional writes (If-Match) where a 412 re-reads, re-merges and retries, and the crash-safe
 * create of a CRM contact's card (intent row, then PUT If-None-Match: *, adopt on 412).
 */
import { differingFields, fieldsHash, fieldsOfContact, textHash, type CardFields, type ContactFieldKey } from '../../contacts/card-fields.js';
import { parseCard, renderCard } from '../../contacts/vcard.js';
import type { Contact, ContactPatch } from '../../domain/contact.js';
import { BridgeError } from '../../domain/errors.js';
import type { SyncBaseEntry } from '../../store/sync-base.js';
import type { Store } from '../../store/store.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import { mergeCardFields } from './card-merge.js';
import { planLinkedCard, type ContactState } from './plan-card.js';
import type { RemoteCard } from './read-cards.js';
import { createItem, mergeItem } from '../engine/conditional-write.js';
import { sameHref } from '../engine/href.js';
import type { BookPass } from './book-pass.js';

export class LinkedCards {
  constructor(private readonly pass: BookPass) {}

  /** What this pass knows of a linked CRM contact. */
  private contactState(contactId: string | null): ContactState {
    const contact = contactId === null ? undefined : this.pass.contacts.get(contactId);
    if (contact === undefined) return 'missing';
    if (!contact.active) return 'inactive';
    return this.pass.selected.has(contact.id) ? 'selected' : 'unselected';
  }

  /**
   * One linked card: the ownership rules (plan-card.ts) decide, this applies. `card`: as read in
   * this pass (undefined: not reported); `gone`: it vanished from the address book.
   */
  async syncLinked(entry: SyncStatusEntry, card: RemoteCard | undefined, gone = false): Promise<void> {
    const action = planLinkedCard({
      origin: entry.origin,
      tombstone: entry.tombstone,
      pendingCreate: entry.pending === 'create',
      hasHref: entry.remote.ref !== null,
      cardListed: card !== undefined,
      cardGone: gone,
      contact: this.contactState(entry.crm.ref),
      direction: this.pass.spec.direction,
      holdRemovals: this.pass.holdRemovals,
    });
    const contact = entry.crm.ref === null ? undefined : this.pass.contacts.get(entry.crm.ref);
    const href = card?.href ?? entry.remote.ref ?? this.hrefFor(entry.identity);
    switch (action.type) {
      case 'none':
        return;
      case 'relink':
        await this.syncLinked({ ...entry, tombstone: false, remote: { ref: href, version: null, hash: null } }, card);
        return;
      case 'restore-card':
        await this.restoreCard(entry, contact as Contact);
        return;
      case 'tombstone':
        if (gone) {
          // The card stays deleted in the client until the CRM contact is reset (POST /api/v1/users/:id/reset).
          await this.pass.store.syncStatus.put({ ...entry, remote: { ref: null, version: null, hash: null }, tombstone: true, pending: null });
          this.pass.log.info({ contact: entry.crm.ref, uid: entry.identity }, 'card deleted in the client; the CRM contact stays');
        } else {
          await this.pass.store.syncStatus.put({ ...entry, tombstone: true, pending: null });
          this.pass.log.info({ contact: entry.crm.ref, uid: entry.identity }, 'contact deleted or deactivated in the CRM; the client card stays');
        }
        return;
      case 'remove-card':
        await this.pass.session.remove(href, card?.etag ?? (entry.pending === 'create' ? null : entry.remote.version));
        this.pass.writes.deleted(href);
        await this.pass.store.atomically(async (tx) => {
          await tx.syncStatus.remove(this.pass.pair, entry.identity);
          await tx.syncBase.remove(this.pass.pair, entry.identity);
        });
        this.pass.status.delete(entry.identity);
        this.pass.changed++;
        return;
      case 'create-card':
        await this.createRemote(entry, contact as Contact);
        return;
      case 'reconcile':
        await this.reconcile(entry, contact as Contact, this.pass.bases.get(entry.identity) ?? null, card ?? null);
        return;
    }
  }

  /** crm-to-client: the address book mirrors the CRM, so a deleted card is put back and the deletion reported. */
  private async restoreCard(entry: SyncStatusEntry, contact: Contact): Promise<void> {
    const base = this.pass.bases.get(entry.identity);
    const fields = fieldsOfContact(contact);
    const text = renderCard({ base: base?.data ?? null, uid: entry.identity, version: this.pass.newVersion, fields, selected: this.pass.spec.fields, phoneRegion: this.pass.spec.phoneRegion });
    const href = entry.remote.ref ?? this.hrefFor(entry.identity);
    const { etag } = await this.pass.session.put(href, text, null);
    this.pass.writes.put(href);
    await this.saveLinked(entry, contact, fields, { href, etag, text });
    this.pass.changed++;
    await this.pass.failures.record(href, 'CONFLICT', `contact ${contact.id} "${contact.displayName}" was deleted in the client and restored (direction crm-to-client)`);
  }

  /**
   * Bring one linked contact and its card together. `card` is the card as read this pass (null: not
   * changed since the last pass, the base stands for it).
   */
  async reconcile(entry: SyncStatusEntry, contact: Contact, start: SyncBaseEntry<CardFields> | null, card: RemoteCard | null): Promise<void> {
    const { fields, phoneRegion, direction } = this.pass.spec;
    let base = start;
    let crm = contact;
    let crmFields = fieldsOfContact(crm);
    await mergeItem<RemoteCard | null>(
      card,
      {
        round: async (current) => {
          crmFields = fieldsOfContact(crm);
          const crmChanged = this.crmHash(crmFields) !== entry.crm.hash;
          const remoteFields = current?.card.fields ?? base?.fields ?? crmFields;
          const remoteChanged = current !== null && current.etag !== entry.remote.version && (base === null || differingFields(base.fields, remoteFields, fields, phoneRegion).length > 0);
          const href = current?.href ?? entry.remote.ref ?? this.hrefFor(entry.identity);
          const etag = current?.etag ?? entry.remote.version;
          const remoteText = current?.data ?? base?.data ?? null;

          if (!crmChanged && !remoteChanged && entry.remote.version !== null && base !== null) {
            if (current !== null && (current.etag !== entry.remote.version || !sameHref(current.href, entry.remote.ref ?? ''))) {
              await this.saveLinked(entry, crm, base.fields, { href: current.href, etag: current.etag, text: current.data });
            }
            return null;
          }

          let target: CardFields;
          if (direction === 'crm-to-client') {
            target = crmFields;
            const reverted = current === null ? [] : differingFields(remoteFields, crmFields, fields, phoneRegion);
            if (remoteChanged && reverted.length > 0) {
              await this.pass.failures.record(href, 'CONFLICT', `contact ${crm.id} "${crm.displayName}": client edits of ${reverted.join(', ')} reverted (direction crm-to-client)`);
            }
          } else {
            const result = mergeCardFields(base?.fields ?? null, crmFields, remoteFields, fields, phoneRegion);
            target = result.merged;
            if (result.conflicts.length > 0) {
              await this.pass.failures.record(href, 'CONFLICT', `contact ${crm.id} "${crm.displayName}": ${result.conflicts.join(', ')} changed in the CRM and in the client since the last sync; the CRM value was kept`);
            }
            const toCrm = differingFields(crmFields, target, fields, phoneRegion);
            if (toCrm.length > 0) {
              crm = await this.pass.store.contacts.update(crm.id, this.patchOf(target, toCrm));
              this.pass.contacts.set(crm.id, crm);
              this.pass.changed++;
            }
          }

          // A field made secure after its card was written (the secure list is part of the CRM hash, so
          // that change brings every card here once): take it out of cards the CRM created.
          const cardFields = current?.card.fields ?? (remoteText !== null && (this.pass.spec.secureFields ?? []).length > 0 ? parseCard(remoteText).fields : null);
          const leaked = entry.origin === 'crm' && cardFields !== null ? (this.pass.spec.secureFields ?? []).filter((field) => hasValue(cardFields[field])) : [];
          const needsWrite = remoteText === null || leaked.length > 0 || differingFields(remoteFields, target, fields, phoneRegion).length > 0;
          if (!needsWrite) {
            await this.saveLinked(entry, crm, target, { href, etag: etag ?? '', text: remoteText });
            return null;
          }
          const text = renderCard({ base: remoteText, uid: entry.identity, version: current?.card.version ?? this.pass.newVersion, fields: target, selected: fields, phoneRegion, withheld: leaked });
          return {
            href,
            put: () => this.pass.session.put(href, text, etag),
            settle: async (written) => {
              await this.saveLinked(entry, crm, target, { href, etag: written, text });
              this.pass.changed++;
            },
          };
        },
        reread: async (href) => {
          // What the last round wrote to the CRM is now the CRM side (its hash no longer matches the status).
          const [fresh] = await this.pass.session.fetch(this.pass.book, [href]);
          if (fresh === undefined) return null;
          if (base === null) base = { fields: crmFields, data: null };
          return { ...fresh, card: parseCard(fresh.data) };
        },
      },
      this.pass.writes,
    );
  }

  private patchOf(target: CardFields, keys: readonly ContactFieldKey[]): ContactPatch {
    const patch: Record<string, unknown> = {};
    for (const key of keys) {
      if (key === 'emails') patch['emails'] = target.emails.filter((e) => e.includes('@'));
      else if (key === 'phones') patch['phones'] = target.phones;
      else if (key === 'displayName') patch['displayName'] = target.displayName;
      else patch[key] = target[key] === null || target[key].trim() === '' ? null : target[key].trim();
    }
    return patch as ContactPatch;
  }

  /** The CRM side's hash: the synced fields, and the secure list when there is one (so making a field secure revisits every card once). */
  private crmHash(fields: CardFields): string {
    const hash = fieldsHash(fields, this.pass.spec.fields, this.pass.spec.phoneRegion);
    const secure = this.pass.spec.secureFields ?? [];
    return secure.length === 0 ? hash : `${hash}:secure=${[...secure].sort().join(',')}`;
  }

  async saveLinked(entry: SyncStatusEntry, contact: Contact, fields: CardFields, remote: { href: string; etag: string; text: string | null }, store: Store = this.pass.store): Promise<void> {
    const next: Omit<SyncStatusEntry, 'updatedAt'> = {
      pair: this.pass.pair,
      identity: entry.identity,
      crm: { ref: contact.id, version: contact.updatedAt, hash: this.crmHash(fieldsOfContact(contact)) },
      remote: { ref: remote.href, version: remote.etag, hash: remote.text === null ? null : textHash(remote.text) },
      origin: entry.origin,
      tombstone: false,
      pending: null,
    };
    await store.atomically(async (tx) => {
      await tx.syncStatus.put(next);
      await tx.syncBase.put(this.pass.pair, entry.identity, { fields, data: remote.text });
    });
    this.pass.status.set(entry.identity, { ...next, updatedAt: new Date().toISOString() });
    this.pass.bases.set(entry.identity, { fields, data: remote.text });
  }

  /** Crash-safe create (DESIGN.md principle 3): the intent is stored before the PUT; a repeated PUT gets 412 and adopts the card. */
  async createRemote(entry: SyncStatusEntry, contact: Contact): Promise<void> {
    const fields = fieldsOfContact(contact);
    const href = entry.remote.ref ?? this.hrefFor(entry.identity);
    const text = renderCard({ base: null, uid: entry.identity, version: this.pass.newVersion, fields, selected: this.pass.spec.fields, phoneRegion: this.pass.spec.phoneRegion });
    const intent: SyncStatusEntry = { ...entry, remote: { ref: href, version: null, hash: null }, pending: 'create' };
    await createItem(
      {
        href,
        recordIntent: async () => {
          await this.pass.store.atomically(async (tx) => {
            await tx.syncStatus.put(intent);
            await tx.syncBase.put(this.pass.pair, entry.identity, { fields, data: text });
          });
          this.pass.status.set(entry.identity, { ...intent, updatedAt: '' });
        },
        put: () => this.pass.session.put(href, text, null),
        settle: async (etag) => {
          await this.saveLinked(intent, contact, fields, { href, etag, text });
          this.pass.changed++;
        },
        reread: async () => (await this.pass.session.fetch(this.pass.book, [href]))[0] ?? null,
        // Already there: an earlier attempt's PUT landed, or the card survived a reset. Adopt it.
        adopt: async (current) => {
          const card = { ...current, card: parseCard(current.data) };
          if (card.card.uid !== entry.identity) throw new BridgeError('CONFLICT', `${href} holds another card (UID ${card.card.uid}) than contact ${contact.id}'s`);
          await this.reconcile({ ...intent, pending: null }, contact, null, card);
        },
      },
      this.pass.writes,
    );
  }

  hrefFor(uid: string): string {
    return new URL(`${encodeURIComponent(uid)}.vcf`, this.pass.book.href).href;
  }
}

/** Whether a card field holds anything (a non-empty text or list). */
function hasValue(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return typeof value === 'string' && value.trim() !== '';
}
