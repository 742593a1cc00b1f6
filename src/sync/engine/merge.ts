/**
 * Three-way merge of one item, field by field, against the last synced base (DESIGN.md principle 4,
 * as in vdirsyncer's conflict resolution, but per field), for events, tasks and contacts alike:
 * - a field changed on one side only takes that side's value, so stale data of one side never
 *   overwrites a newer value of the other;
 * - a field changed on both sides to different values is a conflict and the policy decides;
 * - list fields with an element key (a contact's e-mail addresses and phone numbers) merge
 *   element by element: what either side added is kept, what either side removed goes;
 * - without a base (a first-sync match, or a reset) the CRM's values stand, and what the CRM
 *   lacks (an empty field, list elements) the client's copy fills in.
 * Pure.
 */
export type ConflictPolicy = 'crm-wins' | 'client-wins' | 'newest';

export interface MergeInput<F extends object> {
  base: F | null;
  crm: F;
  remote: F;
  fields: ReadonlyArray<keyof F & string>;
  policy: ConflictPolicy;
  /** For `newest`: when each side last changed (ISO; null when unknown). */
  crmModifiedAt: string | null;
  remoteModifiedAt: string | null;
  /** Whether a field holds the same on two sides (default: the same JSON). */
  same?: (name: keyof F & string, a: F, b: F) => boolean;
  /** For a list field merged element by element: the key of one element ('' drops it); undefined for other fields. */
  listKey?: (name: keyof F & string) => ((value: string) => string) | undefined;
}

export interface MergeResult<F extends object> {
  merged: F;
  /** Fields changed on both sides to different values. */
  conflicts: string[];
  /** Which side won the conflicts (none when there were none). */
  winner: 'crm' | 'client' | null;
  /** The merged item differs from the CRM's / the calendar's copy: that side must be written. */
  writeCrm: boolean;
  writeRemote: boolean;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '');
}

/** Who wins a conflict under a policy; `newest` falls back to the CRM when the times do not tell. */
export function conflictWinner(policy: ConflictPolicy, crmModifiedAt: string | null, remoteModifiedAt: string | null): 'crm' | 'client' {
  if (policy === 'crm-wins') return 'crm';
  if (policy === 'client-wins') return 'client';
  const crm = crmModifiedAt ? Date.parse(crmModifiedAt) : Number.NaN;
  const remote = remoteModifiedAt ? Date.parse(remoteModifiedAt) : Number.NaN;
  return Number.isFinite(remote) && (!Number.isFinite(crm) || remote > crm) ? 'client' : 'crm';
}

/**
 * A list field, element by element. Kept: the CRM's elements unless the client removed one both
 * had at the base; added: the client's elements not at the base (an element the CRM removed stays
 * removed). Without a base the two lists are united.
 */
export function mergeList(key: (value: string) => string, base: readonly string[] | null, crm: readonly string[], remote: readonly string[]): string[] {
  const baseKeys = new Set((base ?? []).map(key));
  const crmKeys = new Set(crm.map(key));
  const remoteKeys = new Set(remote.map(key));
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (value: string) => {
    const k = key(value);
    if (k === '' || seen.has(k)) return;
    seen.add(k);
    out.push(value);
  };
  for (const value of crm) if (!(baseKeys.has(key(value)) && !remoteKeys.has(key(value)))) add(value);
  for (const value of remote) if (!baseKeys.has(key(value)) || (base === null && !crmKeys.has(key(value)))) add(value);
  return out;
}

export function mergeFields<F extends object>(input: MergeInput<F>): MergeResult<F> {
  const merged = { ...input.crm };
  const values = merged as Record<string, unknown>;
  const conflicts: string[] = [];
  const winner = conflictWinner(input.policy, input.crmModifiedAt, input.remoteModifiedAt);
  const same = input.same ?? ((name: keyof F & string, a: F, b: F) => sameJson(a[name], b[name]));
  for (const name of input.fields) {
    const crm = input.crm[name];
    const remote = input.remote[name];
    const key = input.listKey?.(name);
    if (key !== undefined) {
      values[name] = mergeList(key, input.base === null ? null : (input.base[name] as unknown as string[]), crm as unknown as string[], remote as unknown as string[]);
      continue;
    }
    if (same(name, input.crm, input.remote)) continue;
    if (input.base === null) {
      if (isEmpty(crm)) values[name] = remote;
      continue;
    }
    // A field newer than the stored base (PERCENT-COMPLETE, the reminder were added later) counts as
    // unchanged in the CRM, which did not have it: the calendar's value, if any, is taken without a conflict.
    const base = name in input.base ? input.base : input.crm;
    if (same(name, input.crm, base)) values[name] = remote;
    else if (same(name, input.remote, base)) values[name] = crm;
    else {
      conflicts.push(name);
      values[name] = winner === 'crm' ? crm : remote;
    }
  }
  const differs = (side: F) => input.fields.some((name) => !sameJson(merged[name], side[name]));
  return { merged, conflicts, winner: conflicts.length > 0 ? winner : null, writeCrm: differs(input.crm), writeRemote: differs(input.remote) };
}
