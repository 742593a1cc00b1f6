/**
 * Three-way merge of one item, field by field, against the last synced base (DESIGN.md principle 4,
 * as in vdirsyncer's conflict resolution, but per field): a field changed on one side only takes
 * that side's value, so stale data of one side never overwrites a newer value of the other; a field
 * changed on both sides to different values is a conflict and the policy decides. Pure.
 */
export type ConflictPolicy = 'crm-wins' | 'client-wins' | 'newest';

export interface MergeInput<F extends object> {
  base: F;
  crm: F;
  remote: F;
  fields: ReadonlyArray<keyof F & string>;
  policy: ConflictPolicy;
  /** For `newest`: when each side last changed (ISO; null when unknown). */
  crmModifiedAt: string | null;
  remoteModifiedAt: string | null;
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

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Who wins a conflict under a policy; `newest` falls back to the CRM when the times do not tell. */
export function conflictWinner(policy: ConflictPolicy, crmModifiedAt: string | null, remoteModifiedAt: string | null): 'crm' | 'client' {
  if (policy === 'crm-wins') return 'crm';
  if (policy === 'client-wins') return 'client';
  const crm = crmModifiedAt ? Date.parse(crmModifiedAt) : Number.NaN;
  const remote = remoteModifiedAt ? Date.parse(remoteModifiedAt) : Number.NaN;
  return Number.isFinite(remote) && (!Number.isFinite(crm) || remote > crm) ? 'client' : 'crm';
}

export function mergeFields<F extends object>(input: MergeInput<F>): MergeResult<F> {
  const merged = { ...input.crm };
  const conflicts: string[] = [];
  const winner = conflictWinner(input.policy, input.crmModifiedAt, input.remoteModifiedAt);
  for (const name of input.fields) {
    // A field newer than the stored base (PERCENT-COMPLETE, the reminder were added later) counts as unchanged in
    // the CRM, which did not have it: the calendar's value, if any, is taken without a conflict.
    const base = name in input.base ? input.base[name] : input.crm[name];
    const crm = input.crm[name];
    const remote = input.remote[name];
    if (same(crm, remote)) continue;
    if (same(crm, base)) merged[name] = remote;
    else if (same(remote, base)) merged[name] = crm;
    else {
      conflicts.push(name);
      merged[name] = winner === 'crm' ? crm : remote;
    }
  }
  const differs = (side: F) => input.fields.some((name) => !same(merged[name], side[name]));
  return { merged, conflicts, winner: conflicts.length > 0 ? winner : null, writeCrm: differs(input.crm), writeRemote: differs(input.remote) };
}
