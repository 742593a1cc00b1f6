import { z } from 'zod';
import { contactInputSchema, contactPatchSchema } from '../../domain/contact.js';
import { booleanQuery } from '../common.js';
import type { ApiContext } from '../context.js';
import { crudRoutes } from '../crud.js';

export const contactRoutes = (ctx: ApiContext) =>
  crudRoutes({
    resource: 'contacts',
    schemaId: 'Contact',
    noun: 'contact',
    input: contactInputSchema,
    patch: contactPatchSchema,
    filters: {
      email: z.string().optional().describe('contacts having this address among their e-mails (case-insensitive)'),
      owner: z.string().optional().describe('owner user id'),
      account: z.string().optional().describe('account id'),
      active: booleanQuery.optional().describe('true or false'),
    },
    toFilter: ({ account, ...rest }) => ({ ...rest, accountId: account }),
    repository: () => ctx.store.contacts,
  });
