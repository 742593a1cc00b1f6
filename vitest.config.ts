import { defineConfig } from 'vitest/config';

// Four projects: fast unit tests over pure logic and in-memory fakes (and those over the store again
// on PostgreSQL), integration tests against
// the real servers that test/servers/global-setup.ts starts on loopback ports, and the admin UI e2e.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // PostgreSQL-only behaviour (several processes on one database) runs in unit-postgres.
          exclude: ['test/unit/postgres/**'],
          environment: 'node',
        },
      },
      {
        // The store, the API and the sync engines again, on a private PostgreSQL (issue 14).
        test: {
          name: 'unit-postgres',
          // Every unit test that opens a store (test/support/memory-store.ts, api-server.ts).
          include: ['test/unit/{store,api,admin,webhooks,sync,oauth,postgres}/**/*.test.ts', 'test/unit/mail/{ingest-attachments,message-identity}.test.ts'],
          environment: 'node',
          env: { TEST_DATABASE: 'postgres' },
          globalSetup: ['test/servers/postgres-setup.ts'],
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // PostgreSQL too: several `serve` processes on one database (test/integration/scale-out).
          globalSetup: ['test/servers/global-setup.ts', 'test/servers/postgres-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The sync engines and the command line against the real servers again, with the store on
        // PostgreSQL (issue 14): tests that open a store through test/support/memory-store.ts, and
        // CLI tests whose configuration (test/support/cli.ts writeConfig) then names a PostgreSQL
        // database. Left to `integration`: what is about SQLite itself (the file, its kill test),
        // the adapters and servers (no store), and the free/busy reader check.
        test: {
          name: 'integration-postgres',
          include: ['test/integration/{calendar,contacts,mail,sync}/**/*.test.ts', 'test/integration/{contract-surface,mail-contract}.test.ts'],
          exclude: ['test/integration/mail/exactly-once.test.ts', 'test/integration/calendar/vfb-python-icalendar.test.ts'],
          environment: 'node',
          env: { TEST_DATABASE: 'postgres' },
          globalSetup: ['test/servers/global-setup.ts', 'test/servers/postgres-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The admin UI in headless Chromium (Debian `chromium`, driven by playwright-core), against the same real servers.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/servers/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The admin UI again with its store on PostgreSQL (issue 14).
        test: {
          name: 'e2e-postgres',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          env: { TEST_DATABASE: 'postgres' },
          globalSetup: ['test/servers/global-setup.ts', 'test/servers/postgres-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
