/**
 * What the admin audit log may hold: secret-looking fields (password, secret, token) never reach it,
 * neither as values nor, for an update, as the old and new value of a changed secret.
 */

const secretKey = /password|secret|token/i;

/** A copy of `value` with every secret-looking field replaced, so no password reaches the audit log. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, secretKey.test(key) ? (item === '' || item === undefined ? item : '[redacted]') : redact(item)]));
  }
  return value;
}

export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

function flatten(value: unknown, path: string, out: Map<string, unknown>): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [key, item] of Object.entries(value)) flatten(item, path ? `${path}.${key}` : key, out);
  } else if (path) out.set(path, value);
}

/** What an update changed, key path by key path; a changed secret shows as changed, never its value. */
export function changesBetween(before: unknown, after: unknown): FieldChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before, '', a);
  flatten(after, '', b);
  const changes: FieldChange[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const from = a.get(path);
    const to = b.get(path);
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    const secret = secretKey.test(path.split('.').at(-1) ?? '');
    changes.push(secret ? { path, from: from === undefined ? undefined : '[redacted]', to: to === undefined ? undefined : '[changed]' } : { path, from, to });
  }
  return changes;
}
