import { z } from 'zod';
import { nullable, recordId, shortText, timestamp, userId } from './fields.js';

export const opportunityStages = ['open', 'won', 'lost'] as const;

/** A potential sale. Open opportunities get a `CRM/<name>` folder in their owner's mailbox. */
export const opportunitySchema = z
  .object({
    id: recordId,
    name: z.string(),
    accountId: nullable(recordId),
    contactId: nullable(recordId),
    stage: z.enum(opportunityStages),
    amount: nullable(z.number()),
    currency: nullable(z.string()),
    closeDate: nullable(z.string()),
    owner: nullable(userId),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Opportunity' });

const opportunityFields = {
  name: shortText.min(1),
  accountId: nullable(recordId).optional(),
  contactId: nullable(recordId).optional(),
  stage: z.enum(opportunityStages).optional(),
  amount: nullable(z.number().finite()).optional(),
  currency: nullable(z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code such as EUR')).optional(),
  closeDate: nullable(z.iso.date()).optional(),
  owner: nullable(userId).optional(),
};

export const opportunityInputSchema = z.object(opportunityFields).strict().meta({ id: 'OpportunityInput' });
export const opportunityPatchSchema = z.object(opportunityFields).partial().strict().meta({ id: 'OpportunityPatch' });

export type Opportunity = z.infer<typeof opportunitySchema>;
export type OpportunityInput = z.infer<typeof opportunityInputSchema>;
export type OpportunityPatch = z.infer<typeof opportunityPatchSchema>;
