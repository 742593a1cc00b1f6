import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface StoredResponse {
  requestHash: string;
  status: number;
  body: unknown;
}

/** Responses remembered per API token and Idempotency-Key, so a retried request is answered, not redone. */
export class IdempotencyRepository {
  constructor(private readonly db: Kysely<Database>) {}

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
