import { z } from 'zod';
import { domainName, nullable, recordId, shortText, timestamp, userId } from './fields.js';

/** A company or organisation the CRM does business with. `domains` resolve unknown senders. */
export const accountSchema = z
  .object({
    id: recordId,
    name: shortText,
    domains: z.array(z.string()),
    owner: nullable(userId),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Account' });

export const accountInputSchema = z
  .object({
    name: shortText.min(1),
    domains: z.array(domainName).max(100).optional(),
    owner: nullable(userId).optional(),
  })
  .strict()
  .meta({ id: 'AccountInput' });

export const accountPatchSchema = accountInputSchema.partial().strict().meta({ id: 'AccountPatch' });

export type Account = z.infer<typeof accountSchema>;
export type AccountInput = z.infer<typeof accountInputSchema>;
export type AccountPatch = z.infer<typeof accountPatchSchema>;
