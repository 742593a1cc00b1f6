import { z } from 'zod';
import { accountInputSchema, accountPatchSchema } from '../../domain/account.js';
import type { ApiContext } from '../context.js';
import { crudRoutes } from '../crud.js';

export const accountRoutes = (ctx: ApiContext) =>
  crudRoutes({
    resource: 'accounts',
    schemaId: 'Account',
    noun: 'account',
    input: accountInputSchema,
    patch: accountPatchSchema,
    filters: {
      owner: z.string().optional().describe('owner user id'),
      domain: z.string().optional().describe('accounts with this e-mail domain'),
      name: z.string().optional().describe('exact name'),
      email: z.string().optional().describe("accounts this address belongs to: one of the account's contacts has it, or its domain is the account's"),
    },
    toFilter: (query) => query,
    repository: () => ctx.store.accounts,
  });
