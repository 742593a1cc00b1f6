// UID sets for UID FETCH / STORE / MOVE (RFC 3501 §9 `sequence-set`). Always explicit numbers and
// ranges, never `*`: a `n:*` range includes the highest UID even when n is above it (RFC 3501
// §6.4.8), which would hand back a message the caller did not ask for.

import { BridgeError } from '../../src/domain/errors.js';

/** RFC 3501 §2.3.1.1: UIDs are 32-bit unsigned, non-zero. */
export const MAX_UID = 4_294_967_295;

/**
 * Command lines stay well below what servers accept (Dovecot: 64 KiB, RFC 7162 §4 asks clients
 * to stay under 8192 octets); a set longer than this is split over several commands.
 */
const MAX_SET_LENGTH = 4000;

export function isUid(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= MAX_UID;
}

/** Sorted, de-duplicated UIDs; INVALID_INPUT for anything that is not a UID. */
export function normalizeUids(uids: readonly number[], what: string): number[] {
  for (const uid of uids) {
    if (!isUid(uid)) throw new BridgeError('INVALID_INPUT', `${what}: ${String(uid)} is not an IMAP UID (1..${MAX_UID})`);
  }
  return [...new Set(uids)].sort((a, b) => a - b);
}

/**
 * Clamp [from, to] to valid UIDs; null when the range is empty (from > to, or to < 1), so the
 * caller can answer without a round trip.
 */
export function uidRange(from: number, to: number, what: string): { from: number; to: number } | null {
  if (!Number.isInteger(from) || !Number.isInteger(to)) {
    throw new BridgeError('INVALID_INPUT', `${what}: UID range ${String(from)}:${String(to)} must be whole numbers`);
  }
  const lo = Math.max(1, from);
  const hi = Math.min(MAX_UID, to);
  return lo <= hi ? { from: lo, to: hi } : null;
}

/**
 * Compact sets (`1:5,7,9:12`) for sorted, unique UIDs, split so that no set exceeds the command
 * length budget.
 */
export function uidSets(sortedUids: readonly number[]): string[] {
  const sets: string[] = [];
  let current = '';
  const push = (part: string): void => {
    if (current !== '' && current.length + part.length + 1 > MAX_SET_LENGTH) {
      sets.push(current);
      current = '';
    }
    current = current === '' ? part : `${current},${part}`;
  };
  let i = 0;
  while (i < sortedUids.length) {
    const start = sortedUids[i] as number;
    let end = start;
    while (i + 1 < sortedUids.length && sortedUids[i + 1] === end + 1) {
      end += 1;
      i += 1;
    }
    push(start === end ? String(start) : `${start}:${end}`);
    i += 1;
  }
  if (current !== '') sets.push(current);
  return sets;
}
