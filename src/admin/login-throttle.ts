import type { LoginFailureLog } from '../ports/login-failures.js';

/**
 * Login rate limit (OWASP authentication cheat sheet): at most `maxFailures` failed logins per key
 * (client address, user name) within `windowMs`; while a key is over the limit every attempt is
 * refused, right or wrong, so guessing cannot go on. The failures are kept in the database, so with
 * several processes behind a load balancer a guesser gains nothing by being spread over them.
 */
export class LoginThrottle {
  private failuresSincePrune = 0;

  constructor(
    private readonly log: LoginFailureLog,
    private readonly maxFailures = 5,
    private readonly windowMs = 15 * 60_000,
  ) {}

  /** Seconds until the first of `keys` may try again, or 0 when none is blocked. */
  async retryAfter(keys: readonly string[], now = Date.now()): Promise<number> {
    let wait = 0;
    for (const recent of (await this.log.since(keys, now - this.windowMs + 1)).values()) {
      if (recent.length >= this.maxFailures) wait = Math.max(wait, Math.ceil((recent[recent.length - this.maxFailures]! + this.windowMs - now) / 1000));
    }
    return wait;
  }

  async fail(keys: readonly string[], now = Date.now()): Promise<void> {
    await this.log.add(keys, now);
    // Now and then, not on every failure: old rows only cost space.
    if ((this.failuresSincePrune += 1) >= 100) {
      this.failuresSincePrune = 0;
      await this.log.prune(now - this.windowMs);
    }
  }

  async succeed(keys: readonly string[]): Promise<void> {
    await this.log.clear(keys);
  }
}
