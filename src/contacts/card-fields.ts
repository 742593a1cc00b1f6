import { createHash } from 'node:crypto';
import type { Contact } from '../domain/contact.js';
import { normalizeEmail } from '../domain/fields.js';
import { phoneKey } from './phone.js';

/**
 * The contact fields that travel between the CRM and an address book, as plain values both the
 * vCard mapping and the CRM record can be compared by. Everything else in a vCard (addresses,
 * photos, notes, groups, vendor properties) stays in the card untouched.
 */
export const contactFieldKeys = ['firstName', 'lastName', 'displayName', 'emails', 'phones', 'company', 'title'] as const;
export type ContactFieldKey = (typeof contactFieldKeys)[number];

export interface CardFields {
  firstName: string | null;
  lastName: string | null;
  displayName: string;
  emails: string[];
  phones: string[];
  company: string | null;
  title: string | null;
}

export const listFields: ReadonlySet<ContactFieldKey> = new Set(['emails', 'phones']);

export function fieldsOfContact(contact: Contact): CardFields {
  return {
    firstName: contact.firstName,
    lastName: contact.lastName,
    displayName: contact.displayName,
    emails: [...contact.emails],
    phones: [...contact.phones],
    company: contact.company,
    title: contact.title,
  };
}

function text(value: string | null): string {
  return (value ?? '').trim();
}

/** The comparison key of one list element. */
export function itemKey(field: 'emails' | 'phones', value: string, region: string | null): string {
  return field === 'emails' ? normalizeEmail(value) : phoneKey(value, region);
}

function listKeys(field: 'emails' | 'phones', values: readonly string[], region: string | null): string[] {
  return [...new Set(values.map((v) => itemKey(field, v, region)).filter((k) => k !== ''))].sort();
}

/** Equal as far as sync cares: text trimmed, null = empty, lists as sets of normalised values. */
export function sameField(field: ContactFieldKey, a: CardFields, b: CardFields, region: string | null): boolean {
  if (field === 'emails' || field === 'phones') return listKeys(field, a[field], region).join('\n') === listKeys(field, b[field], region).join('\n');
  return text(a[field]) === text(b[field]);
}

export function differingFields(a: CardFields, b: CardFields, fields: readonly ContactFieldKey[], region: string | null): ContactFieldKey[] {
  return fields.filter((field) => !sameField(field, a, b, region));
}

/** A hash of the selected fields in their comparison form (sync_status crm_hash). */
export function fieldsHash(fields: CardFields, selected: readonly ContactFieldKey[], region: string | null): string {
  const canonical = selected.map((field) => (field === 'emails' || field === 'phones' ? listKeys(field, fields[field], region) : text(fields[field])));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 32);
}

export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
