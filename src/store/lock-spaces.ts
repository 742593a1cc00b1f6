/**
 * PostgreSQL advisory lock key spaces (the first int4 of the two-key form, `pg_advisory_lock(space,
 * key)`), one per kind of thing locked, so that no two kinds can ever collide on a key. All in one
 * file: a new space must not reuse a number. 0x43524d.. spells "CRM".
 */
/** One per live `serve` process (it counts the processes sharing the sources). */
export const PROCESS_LOCK_SPACE = 0x43524d01;
/** One per configured source (mailbox, shared mailbox, calendar, address book). */
export const SOURCE_LOCK_SPACE = 0x43524d02;
/** Process-wide duties that one process at a time performs (webhook delivery, the outbox). */
export const DUTY_LOCK_SPACE = 0x43524d03;
/** The change feed's single key: taken by every transaction that appends a change (store/changes.ts). */
export const CHANGE_FEED_LOCK_SPACE = 0x43524d04;
/** One per outbox entry while its SMTP transaction runs (store/outbox.ts). */
export const SEND_LOCK_SPACE = 0x43524d05;
/** One per OAuth2 grant while its refresh token is used (store/oauth-grants.ts). */
export const OAUTH_GRANT_LOCK_SPACE = 0x43524d06;
