import { z } from 'zod';
import { emailAddress, nullable, recordId, shortText, timestamp, userId } from './fields.js';

export const leadStatuses = ['open', 'qualified', 'disqualified'] as const;

/** A prospective customer not yet qualified into an account and contact (shared mailboxes create
 * leads for unknown senders). */
export const leadSchema = z
  .object({
    id: recordId,
    firstName: nullable(z.string()),
    lastName: nullable(z.string()),
    email: nullable(z.string()),
    company: nullable(z.string()),
    source: nullable(z.string()),
    status: z.enum(leadStatuses),
    owner: nullable(userId),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Lead' });

const leadFields = {
  firstName: nullable(shortText).optional(),
  lastName: nullable(shortText).optional(),
  email: nullable(emailAddress).optional(),
  company: nullable(shortText).optional(),
  source: nullable(shortText).optional(),
  status: z.enum(leadStatuses).optional(),
  owner: nullable(userId).optional(),
};

export const leadInputSchema = z
  .object(leadFields)
  .strict()
  .refine((input) => Boolean(input.email || input.lastName || input.firstName || input.company), {
    message: 'a lead needs an email, a name or a company',
    path: ['email'],
  })
  .meta({ id: 'LeadInput' });

export const leadPatchSchema = z.object(leadFields).partial().strict().meta({ id: 'LeadPatch' });

export type Lead = z.infer<typeof leadSchema>;
export type LeadInput = z.infer<typeof leadInputSchema>;
export type LeadPatch = z.infer<typeof leadPatchSchema>;
