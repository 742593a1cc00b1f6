/**
 * Small edits of ical.js components that leave everything else alone.
 *
 * The rule for writing back (DESIGN.md principle 9): a property the CRM models is changed only when
 * its CRM value differs from what we read; everything else (X- properties, parameters, ATTACH,
 * VALARMs, RRULE/EXDATE, override components) stays as the calendar sent it.
 */
import ICAL from 'ical.js';
import type { CalendarObject } from './ical-parse.js';
import { serializeSafely } from './safe-serialize.js';

export const PRODID = '-//crm-bridge//EN';

/** First value of a text property, or null. */
export function textOf(component: ICAL.Component, name: string): string | null {
  const value = component.getFirstPropertyValue(name);
  return typeof value === 'string' ? value : null;
}

/**
 * Set a text property (SUMMARY, LOCATION, DESCRIPTION, ...). An unchanged value keeps the property
 * as it was; a changed one keeps its parameters (LANGUAGE, X- parameters) except ALTREP, which
 * points to the old text (RFC 5545 §3.2.1).
 */
export function setText(component: ICAL.Component, name: string, value: string | null): void {
  const existing = component.getFirstProperty(name);
  if (value === null || value === '') {
    component.removeAllProperties(name);
    return;
  }
  if (existing) {
    if (existing.getFirstValue() === value) return;
    existing.removeParameter('altrep');
    existing.setValue(value);
    return;
  }
  component.addPropertyWithValue(name, value);
}

/** Replace a property with `property` unless it already has the same value and parameters. */
export function replaceProperty(component: ICAL.Component, property: ICAL.Property): void {
  const existing = component.getAllProperties(property.name);
  if (existing.length === 1 && JSON.stringify(existing[0]!.toJSON()) === JSON.stringify(property.toJSON())) return;
  component.removeAllProperties(property.name);
  component.addProperty(property);
}

/** All CATEGORIES values (the property is multi-valued and may repeat, RFC 5545 §3.8.1.2). */
export function categoriesOf(component: ICAL.Component): string[] {
  const values: string[] = [];
  for (const property of component.getAllProperties('categories')) {
    for (const value of property.getValues()) if (typeof value === 'string' && value !== '') values.push(value);
  }
  return values;
}

/**
 * Write CATEGORIES: `replace` (when the CRM sends a list) replaces them all, otherwise the calendar's
 * own categories stay and `add` (the configured track category) is added when missing.
 */
export function setCategories(component: ICAL.Component, replace: readonly string[] | undefined, add: string | undefined): void {
  const current = categoriesOf(component);
  const wanted = replace ? [...replace] : [...current];
  if (add && !wanted.some((value) => value.toLowerCase() === add.toLowerCase())) wanted.push(add);
  const unique = wanted.filter((value, index) => value !== '' && wanted.indexOf(value) === index);
  if (JSON.stringify(unique) === JSON.stringify(current)) return;
  component.removeAllProperties('categories');
  if (unique.length === 0) return;
  const property = new ICAL.Property('categories');
  property.setValues(unique);
  component.addProperty(property);
}

/** DTSTAMP (RFC 5545 §3.8.7.2, always UTC) and LAST-MODIFIED (§3.8.7.3); CREATED for new components. */
export function stamp(component: ICAL.Component, now: Date, isNew: boolean): void {
  const value = `${now.toISOString().slice(0, 19)}Z`;
  replaceProperty(component, new ICAL.Property(['dtstamp', {}, 'date-time', value]));
  if (isNew) replaceProperty(component, new ICAL.Property(['created', {}, 'date-time', value]));
  replaceProperty(component, new ICAL.Property(['last-modified', {}, 'date-time', value]));
}

/** A VCALENDAR to write into: a deep copy of the base object, or a new one (RFC 5545 §3.4, §3.7). */
export function startCalendar(base: CalendarObject | null): ICAL.Component {
  if (!base) {
    const root = new ICAL.Component('vcalendar');
    // VERSION is always 2.0 (§3.7.4); PRODID names the product that wrote the text (§3.7.3).
    root.addPropertyWithValue('version', '2.0');
    root.addPropertyWithValue('prodid', PRODID);
    return root;
  }
  const root = new ICAL.Component(structuredClone(base.raw.toJSON()) as unknown[]);
  root.updatePropertyWithValue('prodid', PRODID);
  root.updatePropertyWithValue('version', '2.0');
  return root;
}

/** The component to edit in a copied calendar: the master, or (when the object has none) the first. */
export function mainComponent(root: ICAL.Component, name: 'vevent' | 'vtodo'): ICAL.Component | null {
  const all = root.getAllSubcomponents(name);
  return all.find((component) => !component.hasProperty('recurrence-id')) ?? all[0] ?? null;
}

/** Serialized VCALENDAR with CRLF line ends and a final CRLF (RFC 5545 §3.1), no CRM value able to
 * start a line of its own (safe-serialize.ts). ical.js folds long lines at 75 octets itself. */
export function serialize(root: ICAL.Component): string {
  const text = serializeSafely(root).replace(/\r?\n/g, '\r\n');
  return text.endsWith('\r\n') ? text : `${text}\r\n`;
}

/** Cut text to at most `max` UTF-16 units without splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
