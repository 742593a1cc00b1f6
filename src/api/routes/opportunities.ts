import { z } from 'zod';
import { opportunityInputSchema, opportunityPatchSchema, opportunityStages } from '../../domain/opportunity.js';
import type { ApiContext } from '../context.js';
import { crudRoutes } from '../crud.js';

export const opportunityRoutes = (ctx: ApiContext) =>
  crudRoutes({
    resource: 'opportunities',
    schemaId: 'Opportunity',
    noun: 'opportunity',
    input: opportunityInputSchema,
    patch: opportunityPatchSchema,
    filters: {
      owner: z.string().optional().describe('owner user id'),
      account: z.string().optional().describe('account id'),
      stage: z.enum(opportunityStages).optional(),
      contact: z.string().optional().describe('contact id'),
      email: z.string().optional().describe("opportunities whose contact has this address, or whose account it belongs to (see accounts' email filter)"),
    },
    toFilter: ({ account, contact, ...rest }) => ({ ...rest, accountId: account, contactId: contact }),
    repository: () => ctx.store.opportunities,
  });
