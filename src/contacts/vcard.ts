/**
 * vCard 3.0 (RFC 2426) and 4.0 (RFC 6350) <-> the synced contact fields, with ical.js.
 *
 * ical.js picks its design set from the first property: `VERSION:4.0` first means vCard 4, anything
 * else is read and written as vCard 3 (RFC 6350 §6.7.9 requires VERSION first only in 4.0). Writing
 * starts from the card the server holds (the merge base) and changes only the mapped properties, so
 * unknown properties, parameters and groups (`item1.ADR` + `item1.X-ABLabel`, RFC 6350 §3.3) survive;
 * ical.js upper-cases group names, which RFC 6350 §3.3 defines as case-insensitive.
 */
import ICAL from 'ical.js';
import { serializeSafely } from '../calendar/safe-serialize.js';
import { MAX_CONTACT_EMAILS, MAX_CONTACT_PHONES } from '../domain/contact.js';
import { BridgeError } from '../domain/errors.js';
import { itemKey, type CardFields, type ContactFieldKey } from './card-fields.js';

export type VCardVersion = '3.0' | '4.0';

/** A list property with more values than a contact may hold: only the first `kept` are synced. */
export interface CappedList {
  property: 'EMAIL' | 'TEL';
  total: number;
  kept: number;
}

export interface ParsedCard {
  version: VCardVersion;
  uid: string;
  fields: CardFields;
  /** Lists cut to the API's caps (src/domain/contact.ts); absent for ordinary cards. */
  capped?: CappedList[];
}

/** The API's caps, by vCard property (RFC 6350 §6.4.1 TEL, §6.4.2 EMAIL). */
const LIST_CAPS = { email: MAX_CONTACT_EMAILS, tel: MAX_CONTACT_PHONES } as const;

function invalid(message: string, cause?: unknown): BridgeError {
  return new BridgeError('INVALID_INPUT', `vCard: ${message}`, cause === undefined ? {} : { cause });
}

function joinValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(joinValue).filter((part) => part !== '').join(' ');
  return typeof value === 'string' ? value.trim() : value === null || value === undefined ? '' : String(value as number).trim();
}

function orNull(value: string): string | null {
  return value === '' ? null : value;
}

function structured(prop: ICAL.Property | null): unknown[] {
  if (prop === null) return [];
  const value = prop.getFirstValue() as unknown;
  return Array.isArray(value) ? value : [value];
}

/** TEL in vCard 4 may be a `tel:` URI (RFC 6350 §6.4.1). */
function phoneText(value: unknown): string {
  return joinValue(value).replace(/^tel:/i, '');
}

export function parseVCardComponent(text: string): ICAL.Component {
  let jcard: unknown;
  try {
    jcard = ICAL.parse(text);
  } catch (error) {
    throw invalid(`cannot be parsed (${error instanceof Error ? error.message : String(error)})`, error);
  }
  const list = Array.isArray(jcard) && typeof jcard[0] === 'string' ? [jcard] : (jcard as unknown[]);
  const cards = (Array.isArray(list) ? list : []).filter((c) => Array.isArray(c) && c[0] === 'vcard');
  if (cards.length !== 1) throw invalid(cards.length === 0 ? 'no BEGIN:VCARD found' : `one resource holds ${cards.length} vCards (RFC 6352 §5.1 allows one)`);
  return new ICAL.Component(cards[0] as unknown[]);
}

export function versionOf(card: ICAL.Component): VCardVersion {
  return String(card.getFirstPropertyValue('version') ?? '').trim() === '4.0' ? '4.0' : '3.0';
}

/** Read the synced fields of one vCard; INVALID_INPUT without UID or FN (RFC 6350 §6.2.1 makes FN required). */
export function parseCard(text: string): ParsedCard {
  const card = parseVCardComponent(text);
  const uid = joinValue(card.getFirstPropertyValue('uid'));
  if (uid === '') throw invalid('no UID (RFC 6350 §6.7.6): the card cannot be synced without a stable identity');
  const displayName = joinValue(card.getFirstPropertyValue('fn'));
  if (displayName === '') throw invalid(`card ${uid} has no FN (RFC 6350 §6.2.1)`);
  const n = structured(card.getFirstProperty('n'));
  const org = structured(card.getFirstProperty('org'));
  const fields: CardFields = {
    // N: family; given; additional; prefixes; suffixes (RFC 6350 §6.2.2).
    firstName: orNull(joinValue(n[1])),
    lastName: orNull(joinValue(n[0])),
    displayName,
    emails: listValues(card, 'email'),
    phones: listValues(card, 'tel'),
    company: orNull(joinValue(org[0])),
    title: orNull(joinValue(card.getFirstPropertyValue('title'))),
  };
  // A contact holds at most as many addresses and numbers as the API lets it (one SQL row each):
  // a card with 30,000 is imported with the first ones, the rest stay in the card (reconcileList).
  const capped: CappedList[] = [];
  for (const [name, field] of [['email', 'emails'], ['tel', 'phones']] as const) {
    const total = fields[field].length;
    if (total > LIST_CAPS[name]) {
      fields[field] = fields[field].slice(0, LIST_CAPS[name]);
      capped.push({ property: name === 'email' ? 'EMAIL' : 'TEL', total, kept: LIST_CAPS[name] });
    }
  }
  return { version: versionOf(card), uid, fields, ...(capped.length > 0 ? { capped } : {}) };
}

function listValue(name: 'email' | 'tel', prop: ICAL.Property): string {
  return name === 'tel' ? phoneText(prop.getFirstValue()) : joinValue(prop.getFirstValue());
}

/** The non-empty values of a list property, in card order. */
function listValues(card: ICAL.Component, name: 'email' | 'tel'): string[] {
  return card.getAllProperties(name).map((p) => listValue(name, p)).filter((v) => v !== '');
}

export interface RenderInput {
  /** The card the server holds (merge base); null for a new card. */
  base: string | null;
  uid: string;
  /** Version of a new card; an existing card keeps its own. */
  version: VCardVersion;
  fields: CardFields;
  /** Fields to write; the others are left as the base has them. */
  selected: readonly ContactFieldKey[];
  phoneRegion: string | null;
  /** Fields to take out of the card (secure fields that an earlier configuration let out). */
  withheld?: readonly ContactFieldKey[];
}

/** Take the values of `fields` out of a card: whole properties, or their part of N and ORG. */
function withhold(card: ICAL.Component, fields: readonly ContactFieldKey[]): void {
  for (const field of fields) {
    if (field === 'title') card.removeAllProperties('title');
    else if (field === 'emails') card.removeAllProperties('email');
    else if (field === 'phones') card.removeAllProperties('tel');
    else if (field === 'company') card.removeAllProperties('org');
    else if (field === 'firstName' || field === 'lastName') {
      // N stays (vCard 3.0 requires it, RFC 2426 §3.1.2): only the name part is blanked.
      const prop = card.getFirstProperty('n');
      if (prop === null) continue;
      const parts = structured(prop).map((part) => (Array.isArray(part) ? part.join(',') : joinValue(part)));
      while (parts.length < 5) parts.push('');
      parts[field === 'lastName' ? 0 : 1] = '';
      prop.setValue(parts);
    }
  }
}

function setText(card: ICAL.Component, name: string, value: string | null): void {
  const existing = card.getFirstProperty(name);
  if (value === null || value.trim() === '') {
    if (existing !== null) card.removeAllProperties(name);
    return;
  }
  if (existing !== null) existing.setValue(value);
  else card.addPropertyWithValue(name, value);
}

/**
 * Make the list property `name` hold exactly `wanted`: keep matching ones (with their groups and
 * parameters), drop the rest, add the missing. Only the values the sync sees are touched: in a
 * card with more than the cap (parseCard), those past it stay as they are, after the synced ones.
 */
function reconcileList(card: ICAL.Component, name: 'email' | 'tel', wanted: readonly string[], region: string | null, version: VCardVersion): void {
  const field = name === 'email' ? 'emails' : 'phones';
  const wantedKeys = new Map<string, string>();
  for (const value of wanted) {
    const key = itemKey(field, value, region);
    if (key !== '' && !wantedKeys.has(key)) wantedKeys.set(key, value);
  }
  let synced = 0;
  const beyondCap: ICAL.Property[] = [];
  for (const prop of card.getAllProperties(name)) {
    const value = listValue(name, prop);
    if (value !== '' && synced >= LIST_CAPS[name]) {
      beyondCap.push(prop);
      continue;
    }
    if (value !== '') synced++;
    const key = itemKey(field, value, region);
    if (wantedKeys.has(key)) wantedKeys.delete(key);
    else card.removeProperty(prop);
  }
  // New values go before the ones past the cap, so the next read sees them among the synced ones.
  for (const prop of beyondCap) card.removeProperty(prop);
  for (const value of wantedKeys.values()) {
    const prop = new ICAL.Property(name, card);
    prop.setValue(value);
    // vCard 3 clients (Apple, older Android) expect the INTERNET type on addresses (RFC 2426 §3.3.2).
    if (name === 'email' && version === '3.0') prop.setParameter('type', 'INTERNET');
    card.addProperty(prop);
  }
  for (const prop of beyondCap) card.addProperty(prop);
}

/** The vCard text for `fields`, starting from `base` when there is one. */
export function renderCard(input: RenderInput): string {
  const card = input.base !== null ? parseVCardComponent(input.base) : newCard(input.uid, input.version);
  const version = versionOf(card);
  const selected = new Set(input.selected);
  const f = input.fields;
  if (card.getFirstProperty('uid') === null) card.addPropertyWithValue('uid', input.uid);
  if (selected.has('displayName') || card.getFirstProperty('fn') === null) setText(card, 'fn', f.displayName);
  if (selected.has('firstName') || selected.has('lastName') || (version === '3.0' && card.getFirstProperty('n') === null)) {
    const prop = card.getFirstProperty('n');
    const parts = structured(prop).map((part) => (Array.isArray(part) ? part.join(',') : joinValue(part)));
    while (parts.length < 5) parts.push('');
    if (selected.has('lastName') || prop === null) parts[0] = f.lastName ?? '';
    if (selected.has('firstName') || prop === null) parts[1] = f.firstName ?? '';
    if (prop !== null) prop.setValue(parts);
    else card.addPropertyWithValue('n', parts);
  }
  if (selected.has('emails')) reconcileList(card, 'email', f.emails, input.phoneRegion, version);
  if (selected.has('phones')) reconcileList(card, 'tel', f.phones, input.phoneRegion, version);
  if (selected.has('company')) {
    const prop = card.getFirstProperty('org');
    const parts = structured(prop).map(joinValue);
    if (f.company === null || f.company.trim() === '') {
      if (prop !== null && parts.slice(1).every((p) => p === '')) card.removeAllProperties('org');
      else if (prop !== null) prop.setValue(['', ...parts.slice(1)]);
    } else if (prop !== null) prop.setValue([f.company, ...parts.slice(1)]);
    else card.addPropertyWithValue('org', [f.company]);
  }
  if (selected.has('title')) setText(card, 'title', f.title);
  if (input.withheld !== undefined) withhold(card, input.withheld.filter((field) => !selected.has(field) && field !== 'displayName'));
  // No CRM value may start a content line of its own (RFC 6350 §3.2): see safe-serialize.ts.
  return serializeSafely(card) + '\r\n';
}

function newCard(uid: string, version: VCardVersion): ICAL.Component {
  const card = new ICAL.Component('vcard');
  // VERSION first: ical.js (and RFC 6350 §6.7.9 for 4.0) decide the version by it.
  card.addPropertyWithValue('version', version);
  card.addPropertyWithValue('prodid', '-//crm-bridge//contacts//EN');
  card.addPropertyWithValue('uid', uid);
  return card;
}
