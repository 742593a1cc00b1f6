import { isBridgeError, type ErrorCode } from './errors.js';

/**
 * An error as log fields. A failure the bridge expects and names (a refused login, an unreachable
 * server, bad input: every BridgeError but INTERNAL) is its code and message, one line; a stack
 * trace would only bury it. Anything else (INTERNAL, a bug) keeps pino's full `err` with its stack.
 */
export function errorLogFields(error: unknown): { code: ErrorCode; reason: string } | { err: unknown } {
  if (isBridgeError(error) && error.code !== 'INTERNAL') return { code: error.code, reason: error.message };
  return { err: error };
}
