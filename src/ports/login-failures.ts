/** Failed logins as the throttle needs them; in the database (store/login-failures.ts), so every process sees them. */
export interface LoginFailureLog {
  /** The failure times (epoch ms) of each key at or after `since`, oldest first. */
  since(keys: readonly string[], since: number): Promise<Map<string, number[]>>;
  add(keys: readonly string[], at: number): Promise<void>;
  clear(keys: readonly string[]): Promise<void>;
  /** Forget failures before `before`. */
  prune(before: number): Promise<void>;
}
