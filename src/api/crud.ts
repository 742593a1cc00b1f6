import { z } from 'zod';
import type { Page, PageRequest } from '../store/pagination.js';
import { idParams, listOf, pageQuery, ref } from './common.js';
import { defineRoute, type AnyRoute } from './route.js';

/** What a record repository offers the generic routes. */
export interface CrudRepository<TRecord, TInput, TPatch, TFilter> {
  list(filter: TFilter, page: PageRequest): Promise<Page<TRecord>>;
  require(id: string): Promise<TRecord>;
  create(input: TInput): Promise<TRecord>;
  update(id: string, patch: TPatch): Promise<TRecord>;
  delete(id: string): Promise<TRecord>;
}

export interface CrudSpec<TRecord, TInput, TPatch, TFilter, F extends z.ZodRawShape> {
  /** URL segment, e.g. `contacts`. */
  resource: string;
  /** Component schema name of the record, e.g. `Contact`. */
  schemaId: string;
  noun: string;
  input: z.ZodType<TInput>;
  patch: z.ZodType<TPatch>;
  /** The list filters as query fields; the page fields are added here. */
  filters: F;
  toFilter: (query: z.output<z.ZodObject<F>>) => TFilter;
  repository: () => CrudRepository<TRecord, TInput, TPatch, TFilter>;
}

/** The five routes every CRM record type has: list, get, create, update, delete. */
export function crudRoutes<TRecord, TInput, TPatch, TFilter, F extends z.ZodRawShape>(spec: CrudSpec<TRecord, TInput, TPatch, TFilter, F>): AnyRoute[] {
  const base = `/${spec.resource}`;
  const tag = spec.resource;
  const listQuery = z.object({ ...spec.filters, ...pageQuery });
  return [
    defineRoute({
      method: 'get',
      path: base,
      tag,
      summary: `List ${spec.resource}`,
      query: listQuery,
      response: { description: `a page of ${spec.resource}`, schema: listOf(spec.schemaId) },
      handler: async ({ query }) => {
        const { limit, cursor, ...filters } = query as z.output<typeof listQuery> & { limit: number; cursor?: string };
        return spec.repository().list(spec.toFilter(filters as z.output<z.ZodObject<F>>), { limit, cursor });
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/:id`,
      tag,
      summary: `Get one ${spec.noun}`,
      params: idParams,
      errors: [404],
      response: { description: `the ${spec.noun}`, schema: ref(spec.schemaId) },
      handler: async ({ params }) => spec.repository().require(params.id),
    }),
    defineRoute({
      method: 'post',
      path: base,
      tag,
      summary: `Create a ${spec.noun}`,
      body: spec.input,
      status: 201,
      response: { description: `the created ${spec.noun}`, schema: ref(spec.schemaId) },
      handler: async ({ body }) => spec.repository().create(body),
    }),
    defineRoute({
      method: 'patch',
      path: `${base}/:id`,
      tag,
      summary: `Change some fields of a ${spec.noun}; fields not sent keep their value, null clears one`,
      params: idParams,
      body: spec.patch,
      errors: [404],
      response: { description: `the updated ${spec.noun}`, schema: ref(spec.schemaId) },
      handler: async ({ params, body }) => spec.repository().update(params.id, body),
    }),
    defineRoute({
      method: 'delete',
      path: `${base}/:id`,
      tag,
      summary: `Delete a ${spec.noun}`,
      params: idParams,
      status: 204,
      errors: [404],
      response: { description: 'deleted' },
      handler: async ({ params }) => {
        await spec.repository().delete(params.id);
      },
    }),
  ];
}
