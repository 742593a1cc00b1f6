/**
 * Three-way, field-by-field merge of a contact (DESIGN.md principle 4) against the fields both sides
 * agreed on at the last sync (the base):
 * - a field only one side changed takes that side's value;
 * - a field both sides changed to different values is a conflict, and the CRM's value wins, so a
 *   client holding old data never overwrites newer CRM data;
 * - e-mail and phone lists merge element-wise: what either side added is kept, what either side
 *   removed goes, so an address added in the client and another added in the CRM both survive.
 * Without a base (a first-sync match) the CRM's values win and the lists are united.
 */
import { itemKey, sameField, type CardFields, type ContactFieldKey } from './card-fields.js';

export interface MergeResult {
  merged: CardFields;
  /** Fields both sides changed differently (the CRM value was kept). */
  conflicts: ContactFieldKey[];
}

function isEmpty(fields: CardFields, field: ContactFieldKey): boolean {
  const value = fields[field];
  return Array.isArray(value) ? value.length === 0 : value === null || value.trim() === '';
}

function mergeList(field: 'emails' | 'phones', base: readonly string[] | null, crm: readonly string[], remote: readonly string[], region: string | null): string[] {
  const key = (value: string) => itemKey(field, value, region);
  const baseKeys = new Set((base ?? []).map(key));
  const crmKeys = new Set(crm.map(key));
  const remoteKeys = new Set(remote.map(key));
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (value: string) => {
    const k = key(value);
    if (k === '' || seen.has(k)) return;
    seen.add(k);
    out.push(value);
  };
  // Kept by the CRM, unless the client removed something both had at the base.
  for (const value of crm) if (!(baseKeys.has(key(value)) && !remoteKeys.has(key(value)))) add(value);
  // Added by the client (not at the base); a value the CRM removed stays removed.
  for (const value of remote) if (!baseKeys.has(key(value)) || (base === null && !crmKeys.has(key(value)))) add(value);
  return out;
}

export function mergeFields(base: CardFields | null, crm: CardFields, remote: CardFields, fields: readonly ContactFieldKey[], region: string | null): MergeResult {
  const merged: CardFields = { ...crm, emails: [...crm.emails], phones: [...crm.phones] };
  const conflicts: ContactFieldKey[] = [];
  for (const field of fields) {
    if (field === 'emails' || field === 'phones') {
      merged[field] = mergeList(field, base === null ? null : base[field], crm[field], remote[field], region);
      continue;
    }
    if (sameField(field, crm, remote, region)) continue;
    if (base === null) {
      if (isEmpty(crm, field)) (merged as unknown as Record<string, unknown>)[field] = remote[field];
      continue;
    }
    const crmChanged = !sameField(field, base, crm, region);
    const remoteChanged = !sameField(field, base, remote, region);
    if (remoteChanged && !crmChanged) (merged as unknown as Record<string, unknown>)[field] = remote[field];
    else if (remoteChanged && crmChanged) conflicts.push(field);
  }
  if (merged.displayName.trim() === '') merged.displayName = crm.displayName || remote.displayName;
  return { merged, conflicts };
}
