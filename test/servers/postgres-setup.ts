// vitest global setup for the `unit-postgres` project: one private PostgreSQL for the run, and a
// template database with every migration applied, so each test's store is a fresh
// `CREATE DATABASE ... TEMPLATE` (test/support/memory-store.ts) instead of a migration run.

import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { migrateToLatest, openDatabase } from '../../src/store/database.js';
import { adminQuery, startPostgres, type PostgresInfo } from './postgres.js';

export const TEMPLATE_DATABASE = 'bridge_template';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres();
  await adminQuery(server.info, `create database ${TEMPLATE_DATABASE}`);
  const template = openDatabase(`${server.info.baseUrl}${TEMPLATE_DATABASE}`);
  try {
    await migrateToLatest(template.db);
  } finally {
    await template.close();
  }
  project.provide('postgres', server.info);
  return () => server.stop();
}
