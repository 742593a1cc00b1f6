/**
 * Which CRM contacts go to a user's address book (issue 6 point 2): the contacts the user owns,
 * those of accounts the user owns, or (both off) every contact; narrowed by an optional filter
 * expression from the configuration, e.g. `company = "Acme GmbH" and emailDomain != example.org`.
 * Inactive contacts are never delivered.
 *
 * Expression grammar: clause ("and" clause)*; clause: field op value; op: `=`, `!=`, `~` (contains,
 * case-insensitive); value: a bare word or a "double-quoted" string; `=` and `!=` ignore case too.
 */
import type { Contact } from '../domain/contact.js';

export const filterFields = ['owner', 'company', 'title', 'firstName', 'lastName', 'displayName', 'email', 'emailDomain', 'phone', 'accountId'] as const;
export type FilterField = (typeof filterFields)[number];

export interface FilterClause {
  field: FilterField;
  op: '=' | '!=' | '~';
  value: string;
}

export interface ContactFilter {
  /** Contacts whose owner is the user. */
  owned: boolean;
  /** Contacts of accounts the user owns. */
  accounts: boolean;
  where: FilterClause[];
}

const CLAUSE = /^\s*([A-Za-z]+)\s*(!=|=|~)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))\s*/;

/** Parse an expression; throws Error with a readable message (the config loader shows it with its key path). */
export function parseFilterExpression(expression: string): FilterClause[] {
  const clauses: FilterClause[] = [];
  let rest = expression.trim();
  if (rest === '') return clauses;
  for (;;) {
    const m = CLAUSE.exec(rest);
    if (m === null) throw new Error(`cannot read "${rest.slice(0, 40)}": expected field = value, field != value or field ~ value`);
    const field = m[1] as string;
    if (!(filterFields as readonly string[]).includes(field)) throw new Error(`unknown field "${field}" (expected one of ${filterFields.join(', ')})`);
    clauses.push({ field: field as FilterField, op: m[2] as FilterClause['op'], value: m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] as string) });
    rest = rest.slice(m[0].length);
    if (rest === '') return clauses;
    const and = /^and\s+/i.exec(rest);
    if (and === null) throw new Error(`expected "and" before "${rest.slice(0, 40)}"`);
    rest = rest.slice(and[0].length);
  }
}

function valuesOf(contact: Contact, field: FilterField): string[] {
  switch (field) {
    case 'email':
      return contact.emails;
    case 'emailDomain':
      return contact.emails.map((e) => e.slice(e.lastIndexOf('@') + 1));
    case 'phone':
      return contact.phones;
    default: {
      const value = contact[field];
      return value === null ? [] : [value];
    }
  }
}

function clauseMatches(contact: Contact, clause: FilterClause): boolean {
  const wanted = clause.value.toLowerCase();
  const values = valuesOf(contact, clause.field).map((v) => v.toLowerCase());
  switch (clause.op) {
    case '=':
      return values.includes(wanted);
    case '!=':
      return !values.includes(wanted);
    case '~':
      return values.some((v) => v.includes(wanted));
  }
}

/** Whether `contact` belongs in `userId`'s address book; `accountOwners` maps account id -> owner. */
export function contactSelected(contact: Contact, userId: string, filter: ContactFilter, accountOwners: ReadonlyMap<string, string | null>): boolean {
  if (!contact.active) return false;
  const owned = filter.owned && contact.owner === userId;
  const viaAccount = filter.accounts && contact.accountId !== null && accountOwners.get(contact.accountId) === userId;
  if ((filter.owned || filter.accounts) && !owned && !viaAccount) return false;
  return filter.where.every((clause) => clauseMatches(contact, clause));
}
