import { randomBytes } from 'node:crypto';

/**
 * Record identifiers: a type prefix plus a time-ordered, ULID-style body (48-bit millisecond time
 * and 80 random bits in Crockford base32). Sorting ids sorts by creation time, which makes them a
 * stable key for cursor pagination without a second ordering column.
 */
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < 10; i += 1) {
    out = alphabet[rest % 32]! + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function freshRandom(): number[] {
  return [...randomBytes(16)].map((byte) => byte % 32);
}

/** Increment the random part so ids made within one millisecond stay strictly ordered. */
function increment(digits: number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i -= 1) {
    if (next[i]! < 31) {
      next[i] = next[i]! + 1;
      return next;
    }
    next[i] = 0;
  }
  return freshRandom();
}

export function newId(prefix: string, now: number = Date.now()): string {
  if (now === lastTime) {
    lastRandom = increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = freshRandom();
  }
  return `${prefix}_${encodeTime(now)}${lastRandom.map((digit) => alphabet[digit]).join('')}`;
}

export const idPrefixes = {
  account: 'acc',
  contact: 'con',
  lead: 'led',
  opportunity: 'opp',
  activity: 'act',
  attachment: 'att',
  webhook: 'whk',
} as const;
