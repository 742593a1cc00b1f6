/**
 * Capped exponential backoff with ±20 % jitter: 1 s, 2 s, 4 s, ... up to `maxSeconds`.
 * Used for webhook retries and for reconnecting to groupware servers.
 */
export function backoffSeconds(attempt: number, maxSeconds: number, random: () => number = Math.random): number {
  const base = Math.min(maxSeconds, 2 ** Math.max(0, attempt - 1));
  return Math.min(maxSeconds, base * (0.8 + 0.4 * random()));
}
