import { z } from 'zod';
import { emailAddress, nullable, recordId, shortText, timestamp, userId } from './fields.js';

/** A person at an account (or on their own). Several e-mail addresses and phone numbers; inactive
 * contacts are kept for history but are not delivered to address books. */
export const contactSchema = z
  .object({
    id: recordId,
    firstName: nullable(z.string()),
    lastName: nullable(z.string()),
    displayName: z.string(),
    emails: z.array(z.string()),
    phones: z.array(z.string()),
    company: nullable(z.string()),
    title: nullable(z.string()),
    accountId: nullable(recordId),
    owner: nullable(userId),
    active: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Contact' });

/** Most e-mail addresses and phone numbers a contact holds: through the API, and on import from a vCard. */
export const MAX_CONTACT_EMAILS = 50;
export const MAX_CONTACT_PHONES = 50;

const phoneNumber = z.string().trim().min(1).max(64).regex(/^[0-9+()./ \-extEXT#*]+$/, 'expected a phone number');

const contactFields = {
  firstName: nullable(shortText).optional(),
  lastName: nullable(shortText).optional(),
  displayName: shortText.min(1).optional(),
  emails: z.array(emailAddress).max(MAX_CONTACT_EMAILS).optional(),
  phones: z.array(phoneNumber).max(MAX_CONTACT_PHONES).optional(),
  company: nullable(shortText).optional(),
  title: nullable(shortText).optional(),
  accountId: nullable(recordId).optional(),
  owner: nullable(userId).optional(),
  active: z.boolean().optional(),
};

/** A contact needs something to show: a display name, a first or last name, or an address. */
export const contactInputSchema = z
  .object(contactFields)
  .strict()
  .refine((input) => Boolean(input.displayName || input.firstName || input.lastName || input.emails?.length), {
    message: 'a contact needs a displayName, a firstName, a lastName or an e-mail address',
    path: ['displayName'],
  })
  .meta({ id: 'ContactInput' });

export const contactPatchSchema = z.object(contactFields).partial().strict().meta({ id: 'ContactPatch' });

export type Contact = z.infer<typeof contactSchema>;
export type ContactInput = z.infer<typeof contactInputSchema>;
export type ContactPatch = z.infer<typeof contactPatchSchema>;

/** The name shown when none was given: "First Last", else the first e-mail address. */
export function deriveDisplayName(contact: { firstName?: string | null | undefined; lastName?: string | null | undefined; emails?: readonly string[] | undefined }): string {
  const name = [contact.firstName, contact.lastName].filter((part) => part && part.trim() !== '').join(' ').trim();
  return name || contact.emails?.[0] || '';
}
