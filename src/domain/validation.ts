import type { z } from 'zod';
import { BridgeError, type ErrorDetail } from './errors.js';
import { formatKeyPath } from './key-path.js';

/**
 * Turn zod issues into `{path, message}` details with readable messages: the key path first, then
 * what was expected, e.g. `users[0].imap.port: expected a number`.
 */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[], prefix: ReadonlyArray<PropertyKey> = []): ErrorDetail[] {
  return issues.flatMap((issue): ErrorDetail[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatKeyPath([...path, key]), message: 'unknown field' }));
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0 && !issue.message.startsWith('expected')) {
      // Report the branch that got furthest rather than zod's generic "Invalid input".
      const deepest = issue.errors.reduce((best, branch) => (branch.length > 0 && (best.length === 0 || branch[0]!.path.length > best[0]!.path.length) ? branch : best), [] as z.core.$ZodIssue[]);
      if (deepest.length > 0) return issuesToDetails(deepest, path);
    }
    return [{ path: formatKeyPath(path) || '(root)', message: readableMessage(issue) }];
  });
}

function readableMessage(issue: z.core.$ZodIssue): string {
  const generic = /^Invalid input: expected (\w+), received (\w+)$/.exec(issue.message);
  if (generic) {
    if (generic[2] === 'undefined') return 'is required';
    const noun = generic[1] === 'object' ? 'a mapping' : generic[1] === 'array' ? 'a list' : generic[1] === 'int' ? 'an integer' : `a ${generic[1]}`;
    return `expected ${noun}`;
  }
  return issue.message;
}

export function formatDetails(details: readonly ErrorDetail[]): string {
  return details.map((detail) => `${detail.path}: ${detail.message}`).join('; ');
}

/** Parse with a schema or throw INVALID_INPUT naming every offending field. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, prefix: ReadonlyArray<PropertyKey> = []): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = issuesToDetails(result.error.issues, prefix);
  throw new BridgeError('INVALID_INPUT', formatDetails(details), { details });
}
