import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { parseOrThrow } from '../domain/validation.js';

/**
 * One API route: its validation schemas, its documentation and its handler in one object, so the
 * OpenAPI document (openapi.ts) is generated from exactly the schemas that validate requests.
 */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  /** A JSON schema object, usually a `$ref` into components (see openapi.ts helpers). */
  schema?: Record<string, unknown>;
}

export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  /** Express-style path relative to /api/v1, e.g. `/contacts/:id`. */
  path: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** The status sent on success; 204 sends no body. */
  status?: 200 | 201 | 202 | 204;
  response: ResponseSpec;
  /** Extra error statuses this route can answer besides 400/401/500. */
  errors?: number[];
  headers?: Array<{ name: string; description: string }>;
  handler: (input: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; req: Request; res: Response }) => Promise<unknown>;
}

export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): AnyRoute {
  return spec as unknown as AnyRoute;
}

/** Validate params, query and body, run the handler, send its result as JSON. */
export function toExpressHandler(route: AnyRoute): RequestHandler {
  return async (req, res) => {
    const params = route.params ? parseOrThrow(route.params, req.params) : {};
    const query = route.query ? parseOrThrow(route.query, req.query) : {};
    const body = route.body ? parseOrThrow(route.body, req.body ?? {}) : undefined;
    const result = await route.handler({ params, query, body, req, res });
    if (res.headersSent) return;
    const status = route.status ?? 200;
    if (status === 204) res.status(204).end();
    else res.status(status).json(result);
  };
}
