import { z } from 'zod';
import { firstControlCharacter } from './control-characters.js';

/**
 * Field schemas shared by the CRM records. They live in the domain because they are the rules of
 * the model (what an e-mail address or a timestamp is); the API validates with the same schemas
 * and generates its OpenAPI document from them.
 */
export const recordId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:@-]+$/, 'expected an id of letters, digits and _ . : @ -');
export const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time');
/** A timestamp, or a bare date taken as midnight UTC of that day (all-day items, query windows). */
export const dayOrTimestamp = z.union([timestamp, z.iso.date().transform((day) => `${day}T00:00:00.000Z`)]).describe('ISO 8601 date-time, or a date (midnight UTC)');
export const emailAddress = z.email().max(320);
/**
 * A single-line field (name, subject, company, location, ...): no control character but TAB
 * (src/domain/control-characters.ts), since a line break would end the content line it is written
 * into (iCalendar RFC 5545 §3.1, vCard RFC 6350 §3.2, a mail header RFC 5322 §2.2).
 */
export const shortText = z
  .string()
  .max(500)
  .check((ctx) => {
    const found = firstControlCharacter(ctx.value);
    if (found !== null) ctx.issues.push({ code: 'custom', input: ctx.value, message: `must be a single line without control characters (found ${found})` });
  });
/** Multi-line text (descriptions, notes, bodies): line breaks are kept. */
export const longText = z.string().max(1_000_000);
export const userId = recordId.describe('id of a CRM user (users[].id in the configuration)');
export const domainName = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'expected a domain name such as example.com')
  .transform((value) => value.toLowerCase());

export const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();

/** Lower-cased, trimmed form used to compare e-mail addresses (RFC 5321 §2.4 allows case-sensitive
 * local parts, but every mail system in practice treats them case-insensitively). */
export function normalizeEmail(address: string): string {
  return address.trim().toLowerCase();
}
