import type { LoginFailureLog } from '../ports/login-failures.js';

export interface LoginThrottleOptions {
  /** Failures older than this are forgotten. */
  windowMs: number;
  /** Failures from one client address before the delays start (an office behind one NAT mistypes too). */
  freePerAddress: number;
  /** Failures of one user name from one address before the delays start. */
  freePerUserAddress: number;
  /** The first delay; each further failure doubles it, up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = { windowMs: 15 * 60_000, freePerAddress: 10, freePerUserAddress: 3, firstDelayMs: 1000, maxDelayMs: 15 * 60_000 };

/**
 * Login throttle (OWASP authentication cheat sheet): failed logins are counted per client address
 * and per (user name, address), and past a few free ones each failure makes the next attempt from
 * there wait twice as long (1 s, 2 s, 4 s, ... up to 15 minutes). Nothing is counted per user name
 * alone: a guesser elsewhere never locks the admin out, and the right password from another address
 * always gets in. While a key waits every attempt is refused, right or wrong, so guessing cannot go
 * on. The failures are kept in the database, so with several processes behind a load balancer a
 * guesser gains nothing by being spread over them.
 */
export class LoginThrottle {
  private failuresSincePrune = 0;

  constructor(
    private readonly log: LoginFailureLog,
    private readonly options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE,
  ) {}

  /** The keys a login attempt of `username` from `address` is counted under. */
  keysFor(username: string, address: string): string[] {
    return [`ip:${address}`, `user:${username.toLowerCase()}@${address}`];
  }

  /** Seconds until the last of `keys` may try again, or 0 when none has to wait. */
  async retryAfter(keys: readonly string[], now = Date.now()): Promise<number> {
    const { windowMs, freePerAddress, freePerUserAddress, firstDelayMs, maxDelayMs } = this.options;
    let waitMs = 0;
    for (const [key, failures] of await this.log.since(keys, now - windowMs + 1)) {
      const free = key.startsWith('ip:') ? freePerAddress : freePerUserAddress;
      if (failures.length < free) continue;
      const delay = Math.min(firstDelayMs * 2 ** (failures.length - free), maxDelayMs);
      waitMs = Math.max(waitMs, failures[failures.length - 1]! + delay - now);
    }
    return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
  }

  async fail(keys: readonly string[], now = Date.now()): Promise<void> {
    await this.log.add(keys, now);
    // Now and then, not on every failure: old rows only cost space.
    if ((this.failuresSincePrune += 1) >= 100) {
      this.failuresSincePrune = 0;
      await this.log.prune(now - this.options.windowMs);
    }
  }

  /** A correct login forgets the failures of this user from this address (not the address's others). */
  async succeed(keys: readonly string[]): Promise<void> {
    await this.log.clear(keys.filter((key) => key.startsWith('user:')));
  }
}
