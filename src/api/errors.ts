import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { BridgeError, isBridgeError, type ErrorCode } from '../domain/errors.js';

/** HTTP status for each error code; the code itself is sent too, as the stable part of the contract. */
export const httpStatusOf: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  CONFIG: 500,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  AUTH: 502,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  TEMPORARY: 503,
  UNSUPPORTED: 501,
  INTERNAL: 500,
};

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new BridgeError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

/** body-parser and express raise their own errors; give them our codes. */
function normalise(error: unknown): BridgeError {
  if (isBridgeError(error)) return error;
  const http = error as { type?: string; status?: number; message?: string };
  if (http.type === 'entity.parse.failed') return new BridgeError('INVALID_INPUT', `request body is not valid JSON: ${http.message ?? ''}`.trim(), { details: [{ path: '(body)', message: 'not valid JSON' }] });
  if (http.type === 'entity.too.large') return new BridgeError('PAYLOAD_TOO_LARGE', 'request body is too large');
  if (http.type === 'encoding.unsupported' || http.type === 'charset.unsupported') return new BridgeError('INVALID_INPUT', http.message ?? 'unsupported body encoding');
  if (typeof http.status === 'number' && http.status >= 400 && http.status < 500) return new BridgeError('INVALID_INPUT', http.message ?? 'bad request');
  return new BridgeError('INTERNAL', 'internal error', { cause: error });
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const bridgeError = normalise(error);
    const status = httpStatusOf[bridgeError.code];
    if (status >= 500) log.error({ err: error, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) return;
    if (bridgeError.code === 'UNAUTHORIZED' && !res.hasHeader('WWW-Authenticate')) res.setHeader('WWW-Authenticate', 'Bearer realm="crm-bridge"');
    const body: Record<string, unknown> = { error: bridgeError.message, code: bridgeError.code };
    if (bridgeError.details.length > 0) body['details'] = bridgeError.details;
    res.status(status).json(body);
  };
}
