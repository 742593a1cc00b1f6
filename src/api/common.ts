import { z } from 'zod';
import { recordId } from '../domain/fields.js';
import { defaultPageSize, maxPageSize } from '../store/pagination.js';

export const idParams = z.object({ id: recordId });

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(maxPageSize).default(defaultPageSize).describe(`page size, 1-${maxPageSize}`),
  cursor: z.string().max(500).optional().describe('the `next` value of the previous page'),
};

/** A query value that must be a boolean spelled true/false. */
export const booleanQuery = z.enum(['true', 'false']).transform((value) => value === 'true');

export const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
export const listOf = (id: string) => ({
  type: 'object',
  required: ['items', 'next'],
  properties: {
    items: { type: 'array', items: ref(id) },
    next: { type: 'string', nullable: true, description: 'cursor for the next page; null on the last page' },
  },
});
