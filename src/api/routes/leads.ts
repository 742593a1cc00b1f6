import { z } from 'zod';
import { leadInputSchema, leadPatchSchema, leadStatuses } from '../../domain/lead.js';
import type { ApiContext } from '../context.js';
import { crudRoutes } from '../crud.js';

export const leadRoutes = (ctx: ApiContext) =>
  crudRoutes({
    resource: 'leads',
    schemaId: 'Lead',
    noun: 'lead',
    input: leadInputSchema,
    patch: leadPatchSchema,
    filters: {
      email: z.string().optional().describe('leads with this e-mail address (case-insensitive)'),
      owner: z.string().optional().describe('owner user id'),
      status: z.enum(leadStatuses).optional(),
    },
    toFilter: (query) => query,
    repository: () => ctx.store.leads,
  });
