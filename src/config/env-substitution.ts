/**
 * `${VAR}` substitution inside YAML string values, applied after parsing so that a value can never
 * change the structure of the document. Supported forms (the docker-compose subset):
 *   ${VAR}          the variable; an unset variable is an error naming the key path
 *   ${VAR:-default} the variable, or `default` when it is unset or empty
 *   $${             a literal `${`
 */
export interface SubstitutionError {
  path: string;
  message: string;
}

const reference = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function substituteString(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
  path: string,
  errors: SubstitutionError[],
): string {
  return value.replace(reference, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const found = env[name!];
    if (fallback !== undefined) return found === undefined || found === '' ? fallback : found;
    if (found === undefined) {
      errors.push({ path, message: `environment variable ${name} is not set` });
      return '';
    }
    return found;
  });
}

/** Walk a parsed YAML tree and substitute in every string, keeping the key path for errors. */
export function substituteTree(
  node: unknown,
  env: Readonly<Record<string, string | undefined>>,
  errors: SubstitutionError[],
  path = '',
): unknown {
  if (typeof node === 'string') return substituteString(node, env, path || '(root)', errors);
  if (Array.isArray(node)) return node.map((item, index) => substituteTree(item, env, errors, `${path}[${index}]`));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      out[key] = substituteTree(value, env, errors, path ? `${path}.${key}` : key);
    }
    return out;
  }
  return node;
}
