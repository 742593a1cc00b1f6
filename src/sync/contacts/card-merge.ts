/**
 * The contact's rules for the engine's three-way merge (src/sync/engine/merge.ts), against the
 * fields both sides agreed on at the last sync (the base):
 * - a field both sides changed to different values is a conflict, and the CRM's value wins, so a
 *   client holding old data never overwrites newer CRM data;
 * - e-mail and phone lists merge element-wise (by normalised address, by E.164 number), so an
 *   address added in the client and another added in the CRM both survive;
 * - fields compare as sync sees them (text trimmed, null = empty, lists as sets);
 * - without a base (a first-sync match) the CRM's values win and the lists are united.
 */
import { itemKey, sameField, type CardFields, type ContactFieldKey } from '../../contacts/card-fields.js';
import { mergeFields } from '../engine/merge.js';

export interface CardMergeResult {
  merged: CardFields;
  /** Fields both sides changed differently (the CRM value was kept). */
  conflicts: ContactFieldKey[];
}

export function mergeCardFields(base: CardFields | null, crm: CardFields, remote: CardFields, fields: readonly ContactFieldKey[], region: string | null): CardMergeResult {
  const result = mergeFields<CardFields>({
    base,
    crm: { ...crm, emails: [...crm.emails], phones: [...crm.phones] },
    remote,
    fields,
    policy: 'crm-wins',
    crmModifiedAt: null,
    remoteModifiedAt: null,
    same: (field, a, b) => sameField(field, a, b, region),
    listKey: (field) => (field === 'emails' || field === 'phones' ? (value: string) => itemKey(field, value, region) : undefined),
  });
  const merged = result.merged;
  // A card must have a name (RFC 6350 §6.2.1 FN is required).
  if (merged.displayName.trim() === '') merged.displayName = crm.displayName || remote.displayName;
  return { merged, conflicts: result.conflicts as ContactFieldKey[] };
}
