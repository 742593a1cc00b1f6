import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface StoredResponse {
  requestHash: string;
  status: number;
  body: unknown;
}

/** `status` of a key reserved by a request whose response is not recorded yet (the body names its activity). */
export const RESERVED_STATUS = 0;

/**
 * Responses remembered per API token and Idempotency-Key, so a retried request is answered, not
 * redone. A request first reserves its key in the transaction that creates what it makes (so two
 * processes given the same key at once cannot both make it), then records its response.
 */
export class IdempotencyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Reserve a key for the activity being created (call in its transaction); false: already taken. */
  async reserve(tokenName: string, key: string, requestHash: string, activityId: string, now = new Date().toISOString()): Promise<boolean> {
    const result = await this.db
      .insertInto('idempotency_keys')
      .values({ token_name: tokenName, key, request_hash: requestHash, status: RESERVED_STATUS, response_json: JSON.stringify({ activityId }), created_at: now })
      .onConflict((oc) => oc.columns(['token_name', 'key']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async get(tokenName: string, key: string): Promise<StoredResponse | undefined> {
    const row = await this.db.selectFrom('idempotency_keys').selectAll().where('token_name', '=', tokenName).where('key', '=', key).executeTakeFirst();
    return row ? { requestHash: row.request_hash, status: row.status, body: JSON.parse(row.response_json) as unknown } : undefined;
  }

  async put(tokenName: string, key: string, response: StoredResponse, now = new Date().toISOString()): Promise<void> {
    await this.db
      .insertInto('idempotency_keys')
      .values({ token_name: tokenName, key, request_hash: response.requestHash, status: response.status, response_json: JSON.stringify(response.body), created_at: now })
      .onConflict((oc) => oc.columns(['token_name', 'key']).doUpdateSet({ status: response.status, response_json: JSON.stringify(response.body) }))
      .execute();
  }
}
