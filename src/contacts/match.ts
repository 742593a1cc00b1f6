/**
 * Duplicate matching on a first sync (issue 6 point 6): a card already in the address book is
 * linked to the CRM contact it stands for instead of being imported a second time. Tried in order:
 * e-mail address, phone number (E.164), then name + company. A level that finds exactly one
 * contact decides; one that finds several is ambiguous and stops (reported for review, never
 * merged); one that finds none hands over to the next.
 */
import { normalizeEmail } from '../domain/fields.js';
import type { CardFields } from './card-fields.js';
import { toE164 } from './phone.js';

export type MatchOutcome =
  | { kind: 'match'; contactId: string; by: 'email' | 'phone' | 'name+company' }
  | { kind: 'ambiguous'; contactIds: string[]; by: 'email' | 'phone' | 'name+company' }
  | { kind: 'none' };

function nameKey(fields: CardFields): string {
  const fromParts = [fields.firstName, fields.lastName].filter((p) => p !== null && p.trim() !== '').join(' ');
  return (fromParts || fields.displayName).normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

function companyKey(fields: CardFields): string {
  return (fields.company ?? '').normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** An index over the CRM contacts that could still be matched (not linked yet). */
export class ContactMatcher {
  private readonly byEmail = new Map<string, Set<string>>();
  private readonly byPhone = new Map<string, Set<string>>();
  private readonly byNameCompany = new Map<string, Set<string>>();
  private readonly removed = new Set<string>();

  constructor(
    candidates: Iterable<{ id: string; fields: CardFields }>,
    private readonly region: string | null,
  ) {
    for (const { id, fields } of candidates) {
      for (const key of this.emailKeys(fields)) this.index(this.byEmail, key, id);
      for (const key of this.phoneKeys(fields)) this.index(this.byPhone, key, id);
      const nc = this.nameCompanyKey(fields);
      if (nc !== null) this.index(this.byNameCompany, nc, id);
    }
  }

  /** A contact linked meanwhile is no candidate any more. */
  remove(contactId: string): void {
    this.removed.add(contactId);
  }

  match(fields: CardFields): MatchOutcome {
    const levels = [
      ['email', this.lookup(this.byEmail, this.emailKeys(fields))],
      ['phone', this.lookup(this.byPhone, this.phoneKeys(fields))],
      ['name+company', this.lookup(this.byNameCompany, [this.nameCompanyKey(fields)].filter((k): k is string => k !== null))],
    ] as const;
    for (const [by, ids] of levels) {
      if (ids.length === 1) return { kind: 'match', contactId: ids[0] as string, by };
      if (ids.length > 1) return { kind: 'ambiguous', contactIds: ids, by };
    }
    return { kind: 'none' };
  }

  private emailKeys(fields: CardFields): string[] {
    return fields.emails.map(normalizeEmail).filter((k) => k !== '');
  }

  /** Only numbers placed in E.164: bare digits of unknown origin are too weak to link on. */
  private phoneKeys(fields: CardFields): string[] {
    return fields.phones.map((p) => toE164(p, this.region)).filter((k): k is string => k !== null);
  }

  /** Name + company only when both are known: a bare name links strangers too easily. */
  private nameCompanyKey(fields: CardFields): string | null {
    const name = nameKey(fields);
    const company = companyKey(fields);
    return name === '' || company === '' ? null : `${name}\u0000${company}`;
  }

  private index(map: Map<string, Set<string>>, key: string, id: string): void {
    let set = map.get(key);
    if (set === undefined) map.set(key, (set = new Set()));
    set.add(id);
  }

  private lookup(map: Map<string, Set<string>>, keys: readonly string[]): string[] {
    const ids = new Set<string>();
    for (const key of keys) for (const id of map.get(key) ?? []) if (!this.removed.has(id)) ids.add(id);
    return [...ids].sort();
  }
}
