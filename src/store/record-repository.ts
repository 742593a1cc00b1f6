import type { Kysely, SelectQueryBuilder } from 'kysely';
import { BridgeError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { ChangeRepository, type ChangeEntity } from './changes.js';
import { decodeCursor, toPage, type Page, type PageRequest } from './pagination.js';
import type { Database } from './schema.js';

/** The part of the Store a repository needs: the current executor and a way to open a transaction. */
export interface UnitOfWork {
  readonly db: Kysely<Database>;
  transaction<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T>;
}

export type RecordTable = 'accounts' | 'contacts' | 'leads' | 'opportunities' | 'activities';

// A query over one record table that selects its `id` column; the filters differ per record type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type IdQuery = SelectQueryBuilder<Database, any, { id: string }>;

/**
 * Create/read/update/delete for one CRM record type, with the change feed written in the same
 * transaction as the change. Subclasses say how a record is stored (child tables, references);
 * the create/update/delete flow and the feed entries are the same for all of them.
 */
export abstract class RecordRepository<TRecord extends { id: string }, TInput, TPatch> {
  protected abstract readonly entity: ChangeEntity;
  protected abstract readonly table: RecordTable;
  protected abstract readonly idPrefix: string;

  constructor(protected readonly unit: UnitOfWork) {}

  /** Load records by id, in the order given, skipping ids that do not exist. */
  protected abstract loadMany(db: Kysely<Database>, ids: readonly string[]): Promise<TRecord[]>;
  protected abstract insert(db: Kysely<Database>, id: string, input: TInput, now: string): Promise<void>;
  protected abstract patch(db: Kysely<Database>, current: TRecord, patch: TPatch, now: string): Promise<void>;
  /** Throw INVALID_INPUT when the input points at users or records that do not exist. */
  protected abstract checkReferences(db: Kysely<Database>, input: TInput | TPatch): Promise<void>;
  /** The record insert() just wrote; read back unless a subclass can build it from the input. */
  protected async created(db: Kysely<Database>, id: string, _input: TInput, _now: string): Promise<TRecord> {
    return this.require(id, db);
  }
  /** Remove rows that only make sense with the record (child tables cascade on their own). */
  protected async beforeDelete(_db: Kysely<Database>, _record: TRecord): Promise<void> {}

  async get(id: string): Promise<TRecord | undefined> {
    const [record] = await this.loadMany(this.unit.db, [id]);
    return record;
  }

  async require(id: string, db: Kysely<Database> = this.unit.db): Promise<TRecord> {
    const [record] = await this.loadMany(db, [id]);
    if (!record) throw new BridgeError('NOT_FOUND', `${this.entity} ${id} not found`);
    return record;
  }

  /** One page of the records matched by `query`, in id (= creation) order. */
  protected async page(query: IdQuery, request: PageRequest): Promise<Page<TRecord>> {
    let paged = query;
    if (request.cursor) paged = paged.where(`${this.table}.id`, '>', decodeCursor(request.cursor));
    const rows = await paged.orderBy(`${this.table}.id`, 'asc').limit(request.limit + 1).execute();
    const records = await this.loadMany(this.unit.db, rows.map((row) => row.id));
    return toPage(records, request.limit);
  }

  async create(input: TInput, options: { id?: string; now?: string } = {}): Promise<TRecord> {
    return this.unit.transaction(async (db) => {
      await this.checkReferences(db, input);
      const now = options.now ?? new Date().toISOString();
      const id = options.id ?? newId(this.idPrefix);
      await this.insert(db, id, input, now);
      const record = await this.created(db, id, input, now);
      await new ChangeRepository(db).append(this.entity, id, 'created', record, now);
      return record;
    });
  }

  async update(id: string, changes: TPatch, options: { now?: string } = {}): Promise<TRecord> {
    return this.unit.transaction(async (db) => {
      const current = await this.require(id, db);
      await this.checkReferences(db, changes);
      const now = options.now ?? laterThan((current as { updatedAt?: unknown }).updatedAt, new Date());
      await this.patch(db, current, changes, now);
      const record = await this.require(id, db);
      await new ChangeRepository(db).append(this.entity, id, 'updated', record, now);
      return record;
    });
  }

  async delete(id: string, options: { now?: string } = {}): Promise<TRecord> {
    return this.unit.transaction(async (db) => {
      const current = await this.require(id, db);
      await this.beforeDelete(db, current);
      await db.deleteFrom(this.table).where('id', '=', id).execute();
      await new ChangeRepository(db).append(this.entity, id, 'deleted', null, options.now ?? new Date().toISOString());
      return current;
    });
  }
}

/**
 * `now`, or 1 ms after the record's last update when the clock has not moved past it (two writes in
 * one millisecond, or a clock step back): sync engines take `updatedAt` as the CRM version of a
 * record (DESIGN.md principle 1), so every update must change it.
 */
export function laterThan(previous: unknown, now: Date): string {
  const last = typeof previous === 'string' ? Date.parse(previous) : Number.NaN;
  return new Date(Number.isNaN(last) || now.getTime() > last ? now.getTime() : last + 1).toISOString();
}

/** The value to store for a patched column: the patch's value when the key was given, else the old one. */
export function patched<T>(patch: object, key: string, current: T): T {
  return key in patch ? ((patch as Record<string, unknown>)[key] as T) : current;
}
