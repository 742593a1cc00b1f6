import { randomBytes } from 'node:crypto';

/**
 * `${VAR}` substitution in the configuration (the docker-compose subset):
 *   ${VAR}          the variable; an unset variable is an error naming the key path
 *   ${VAR:-default} the variable, or `default` when it is unset or empty
 *   $${             a literal `${`
 *
 * It works in two steps so that a value can never change the structure of the document, and so
 * that references are allowed where YAML would otherwise choke on the braces (CONTRACT.md writes
 * `{ name: crm, token: ${CRM_BRIDGE_API_TOKEN} }`, where `{` and `}` are YAML flow indicators):
 * `protectReferences` swaps every reference for an alphanumeric placeholder before parsing, and
 * `substituteTree` resolves the placeholders inside the parsed string values.
 */
export interface SubstitutionError {
  path: string;
  message: string;
}

export interface ProtectedText {
  text: string;
  /** Placeholder -> the reference it stands for (`{ name, fallback }`, or `literal` for `$${`). */
  references: Map<string, { name?: string; fallback?: string; literal?: string }>;
  pattern: RegExp;
}

const reference = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}\n]*))?\}/g;

export function protectReferences(source: string): ProtectedText {
  const nonce = randomBytes(6).toString('hex');
  const references: ProtectedText['references'] = new Map();
  let counter = 0;
  const text = source.replace(reference, (match, name: string | undefined, fallback: string | undefined) => {
    const placeholder = `crmenv${nonce}x${counter}x`;
    counter += 1;
    references.set(placeholder, match === '$${' ? { literal: '${' } : { name: name!, ...(fallback === undefined ? {} : { fallback }) });
    return placeholder;
  });
  return { text, references, pattern: new RegExp(`crmenv${nonce}x\\d+x`, 'g') };
}

export function substituteString(value: string, env: Readonly<Record<string, string | undefined>>, protectedText: ProtectedText, path: string, errors: SubstitutionError[]): string {
  return value.replace(protectedText.pattern, (placeholder) => {
    const ref = protectedText.references.get(placeholder);
    if (!ref) return placeholder;
    if (ref.literal !== undefined) return ref.literal;
    const found = env[ref.name!];
    if (ref.fallback !== undefined) return found === undefined || found === '' ? ref.fallback : found;
    if (found === undefined) {
      errors.push({ path, message: `environment variable ${ref.name} is not set` });
      return '';
    }
    return found;
  });
}

/** Walk a parsed YAML tree and resolve placeholders in every string, keeping the key path for errors. */
export function substituteTree(node: unknown, env: Readonly<Record<string, string | undefined>>, protectedText: ProtectedText, errors: SubstitutionError[], path = ''): unknown {
  if (typeof node === 'string') return substituteString(node, env, protectedText, path || '(root)', errors);
  if (Array.isArray(node)) return node.map((item, index) => substituteTree(item, env, protectedText, errors, `${path}[${index}]`));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) out[key] = substituteTree(value, env, protectedText, errors, path ? `${path}.${key}` : key);
    return out;
  }
  return node;
}
