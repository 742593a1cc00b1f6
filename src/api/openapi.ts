import { z } from 'zod';
import type { AnyRoute } from './route.js';

/**
 * The OpenAPI 3.0 document, generated from the route list and the very zod schemas that validate
 * requests: component schemas come from every schema registered with `.meta({ id })`.
 */
type JsonSchema = Record<string, unknown>;

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error', 'code'],
  properties: {
    error: { type: 'string', description: 'what is wrong, naming the field when there is one' },
    code: { type: 'string', description: 'stable error code', enum: ['INVALID_INPUT', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'PRECONDITION_FAILED', 'PAYLOAD_TOO_LARGE', 'TEMPORARY', 'UNSUPPORTED', 'AUTH', 'CONFIG', 'INTERNAL'] },
    details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
};

const errorDescriptions: Record<number, string> = {
  400: 'invalid input; `details` names each offending field',
  401: 'missing or invalid bearer token',
  404: 'no such record',
  409: 'conflicts with the current state',
  413: 'request body too large',
  500: 'internal error',
};

function componentSchemas(): Record<string, JsonSchema> {
  const uri = (id: string) => `#/components/schemas/${id}`;
  const output = z.toJSONSchema(z.globalRegistry, { target: 'openapi-3.0', io: 'output', uri, unrepresentable: 'any' }).schemas;
  const input = z.toJSONSchema(z.globalRegistry, { target: 'openapi-3.0', io: 'input', uri, unrepresentable: 'any' }).schemas;
  const schemas: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(output)) {
    // Request bodies are described as the client sends them (before defaults and transforms).
    const chosen = (/(Input|Patch)$/.test(id) ? input[id] : schema) as JsonSchema;
    const { $id: _id, ...rest } = chosen;
    schemas[id] = rest;
  }
  schemas['Error'] = errorSchema;
  return schemas;
}

function schemaOf(schema: z.ZodType): JsonSchema {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: `#/components/schemas/${id}` };
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parametersOf(route: AnyRoute): JsonSchema[] {
  const parameters: JsonSchema[] = [];
  for (const [location, schema] of [['path', route.params], ['query', route.query]] as const) {
    if (!schema) continue;
    const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const { description, ...propertySchema } = property;
      parameters.push({
        name,
        in: location,
        required: location === 'path' || (json.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: propertySchema,
      });
    }
  }
  return parameters;
}

const errorResponse = (description: string): JsonSchema => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

/**
 * The routes outside the JSON API router (src/api/app.ts, src/api/freebusy-file.ts): the
 * description itself, the free/busy file and the probes. CONTRACT.md: the document describes them too.
 */
function servicePaths(): Record<string, Record<string, JsonSchema>> {
  const open = { security: [] };
  return {
    '/api/v1/openapi.json': {
      get: { operationId: 'getOpenApi', tags: ['service'], summary: 'This OpenAPI document (no token needed)', ...open, responses: { '200': { description: 'the OpenAPI 3.0 document', content: { 'application/json': { schema: { type: 'object' } } } } } },
    },
    '/freebusy/{user}.vfb': {
      get: {
        operationId: 'getFreeBusyFile',
        tags: ['freebusy'],
        summary: "The user's free/busy time as a VFREEBUSY (RFC 5545 §3.6.4), usable as Outlook's Internet Free/Busy search path `/freebusy/%NAME%@%SERVER%.vfb?token=...`",
        description: 'Window: freebusy.daysBefore days ago to freebusy.daysAfter days ahead (default 7 and 60). Authorised by the user\'s free/busy token (`?token=` or as the Basic auth password, shown in the admin UI) or an API bearer token.',
        security: [{ bearer: [] }, { freeBusyToken: [] }, { freeBusyBasic: [] }],
        parameters: [
          { name: 'user', in: 'path', required: true, description: 'user id or e-mail address', schema: { type: 'string' } },
          { name: 'token', in: 'query', required: false, description: "the user's free/busy token", schema: { type: 'string' } },
        ],
        responses: {
          '200': { description: 'VCALENDAR with one VFREEBUSY', content: { 'text/calendar': { schema: { type: 'string' } } } },
          '401': errorResponse('no valid free/busy token or API token'),
          '404': errorResponse('no such user'),
        },
      },
    },
    '/healthz': {
      get: { operationId: 'getHealthz', tags: ['service'], summary: 'Liveness: the process answers', ...open, responses: { '200': { description: 'alive', content: { 'application/json': { schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] }, version: { type: 'string' } } } } } } } },
    },
    '/readyz': {
      get: {
        operationId: 'getReadyz',
        tags: ['service'],
        summary: 'Readiness: the database answers',
        ...open,
        responses: { '200': { description: 'ready', content: { 'application/json': { schema: { type: 'object', properties: { status: { type: 'string' }, database: { type: 'string' } } } } } }, '503': errorResponse('the database is unreachable') },
      },
    },
    '/metrics': {
      get: { operationId: 'getMetrics', tags: ['service'], summary: 'Prometheus metrics (text exposition format; needs an API token when server.metricsRequireToken is set)', security: [{}, { bearer: [] }], responses: { '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } } },
    },
  };
}

export function buildOpenApiDocument(routes: readonly AnyRoute[], info: { version: string; serverUrl?: string | undefined }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = `/api/v1${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
    const status = String(route.status ?? 200);
    const responses: Record<string, JsonSchema> = {
      [status]: route.response.schema && status !== '204'
        ? { description: route.response.description, content: { 'application/json': { schema: route.response.schema } } }
        : { description: route.response.description },
    };
    for (const code of [400, 401, ...(route.errors ?? []), 500]) {
      responses[String(code)] = { description: errorDescriptions[code] ?? 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const operation: JsonSchema = {
      operationId: `${route.method}${route.path.replace(/[/:]+(\w)/g, (_m, c: string) => c.toUpperCase())}`,
      tags: [route.tag],
      summary: route.summary,
      parameters: [
        ...parametersOf(route),
        ...(route.headers ?? []).map((header) => ({ name: header.name, in: 'header', required: false, description: header.description, schema: { type: 'string' } })),
      ],
      responses,
    };
    if (route.body) operation['requestBody'] = { required: true, content: { 'application/json': { schema: schemaOf(route.body) } } };
    (paths[path] ??= {})[route.method] = operation;
  }
  Object.assign(paths, servicePaths());
  return {
    openapi: '3.0.3',
    info: {
      title: 'crm-bridge API',
      version: info.version,
      description: 'CRM records, activities, the change feed and webhooks of crm-bridge. Every route needs `Authorization: Bearer <token>` (api.tokens in the configuration).',
    },
    servers: info.serverUrl ? [{ url: info.serverUrl }] : [],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, freeBusyToken: { type: 'apiKey', in: 'query', name: 'token' }, freeBusyBasic: { type: 'http', scheme: 'basic' } },
      schemas: componentSchemas(),
    },
  };
}
