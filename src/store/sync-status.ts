import type { Kysely } from 'kysely';
import { underPairs } from './pair-scope.js';
import type { Database, SyncStatusTable } from './schema.js';

/**
 * The sync status of DESIGN.md principle 1 (vdirsyncer's status, mbsync's sync state): per pair of
 * sides (e.g. `carddav:alice:CRM`) and stable identity (vCard UID, iCalendar UID, Message-ID), what
 * each side held at the last successful sync. An item changed only when version and hash changed.
 */
export interface SideState {
  ref: string | null;
  version: string | null;
  hash: string | null;
}

export interface SyncStatusEntry {
  pair: string;
  identity: string;
  crm: SideState;
  remote: SideState;
  origin: 'crm' | 'remote';
  tombstone: boolean;
  /** A remote write announced before it was made (crash-safe creates, DESIGN.md principle 3). */
  pending: 'create' | 'update' | 'delete' | null;
  updatedAt: string;
}

export class SyncStatusRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(pair: string, identity: string): Promise<SyncStatusEntry | undefined> {
    const row = await this.db.selectFrom('sync_status').selectAll().where('pair', '=', pair).where('identity', '=', identity).executeTakeFirst();
    return row ? toEntry(row) : undefined;
  }

  async listPair(pair: string): Promise<SyncStatusEntry[]> {
    const rows = await this.db.selectFrom('sync_status').selectAll().where('pair', '=', pair).orderBy('identity').execute();
    return rows.map(toEntry);
  }

  async findByRemoteRef(pair: string, ref: string): Promise<SyncStatusEntry | undefined> {
    const row = await this.db.selectFrom('sync_status').selectAll().where('pair', '=', pair).where('remote_ref', '=', ref).executeTakeFirst();
    return row ? toEntry(row) : undefined;
  }

  async findByCrmRef(pair: string, ref: string): Promise<SyncStatusEntry | undefined> {
    const row = await this.db.selectFrom('sync_status').selectAll().where('pair', '=', pair).where('crm_ref', '=', ref).executeTakeFirst();
    return row ? toEntry(row) : undefined;
  }

  async put(entry: Omit<SyncStatusEntry, 'updatedAt'>, now = new Date().toISOString()): Promise<void> {
    const row = {
      pair: entry.pair,
      identity: entry.identity,
      crm_ref: entry.crm.ref,
      crm_version: entry.crm.version,
      crm_hash: entry.crm.hash,
      remote_ref: entry.remote.ref,
      remote_version: entry.remote.version,
      remote_hash: entry.remote.hash,
      origin: entry.origin,
      tombstone: entry.tombstone ? 1 : 0,
      pending: entry.pending,
      updated_at: now,
    };
    const { pair: _pair, identity: _identity, ...changes } = row;
    await this.db.insertInto('sync_status').values(row).onConflict((oc) => oc.columns(['pair', 'identity']).doUpdateSet(changes)).execute();
  }

  async remove(pair: string, identity: string): Promise<void> {
    await this.db.deleteFrom('sync_status').where('pair', '=', pair).where('identity', '=', identity).execute();
  }

  /** Forget every mapping of `pair` and of the pairs below it (`<pair>:<collection>`); how many went. */
  async removeUnder(pair: string): Promise<number> {
    const result = await this.db.deleteFrom('sync_status').where(underPairs([pair])).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The pairs whose status holds CRM record `crmRef` (whoever owns it now, or owned it). */
  async pairsHolding(crmRef: string): Promise<string[]> {
    const rows = await this.db.selectFrom('sync_status').select('pair').where('crm_ref', '=', crmRef).execute();
    return rows.map((row) => row.pair);
  }
}

function toEntry(row: SyncStatusTable): SyncStatusEntry {
  return {
    pair: row.pair,
    identity: row.identity,
    crm: { ref: row.crm_ref, version: row.crm_version, hash: row.crm_hash },
    remote: { ref: row.remote_ref, version: row.remote_version, hash: row.remote_hash },
    origin: row.origin as SyncStatusEntry['origin'],
    tombstone: row.tombstone === 1,
    pending: row.pending as SyncStatusEntry['pending'],
    updatedAt: row.updated_at,
  };
}
