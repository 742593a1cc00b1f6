import { pino } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import { syncCalendars, type CalendarSpec } from '../../../../src/sync/calendar/calendar-sync.js';
import { MemoryDav } from '../../../support/memory-dav.js';
import { createTestStore, type TestStore } from '../../../support/memory-store.js';

/** Alice's calendar source on the in-memory CalDAV server (test/support/memory-dav.ts), CRM wins conflicts. */
export const aliceSpec: CalendarSpec = {
  sourceId: 'caldav:alice',
  userId: 'alice',
  userEmail: 'alice@example.com',
  userName: 'Alice',
  server: { url: 'https://dav.test/', username: 'alice', password: 'x' },
  crmCalendar: 'CRM',
  trackCategory: 'CRM',
  crmTaskList: 'CRM',
  eventPolicy: 'crm-wins',
  taskPolicy: 'crm-wins',
};

/**
 * Alice, her store and an empty in-memory CalDAV server for each test of the file that calls it
 * (registers beforeEach/afterEach): `run` syncs her calendars once with `spec` (default aliceSpec).
 */
export function aliceOnMemoryDav() {
  const state = {} as { t: TestStore; dav: MemoryDav };
  beforeEach(async () => {
    state.t = await createTestStore();
    await state.t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
    state.dav = new MemoryDav();
  });
  afterEach(async () => state.t.close());
  const deps = () => ({ store: state.t.store, connector: state.dav, log: pino({ level: 'silent' }), users: [{ id: 'alice', email: 'alice@example.com' }] });
  return {
    get t() {
      return state.t;
    },
    get dav() {
      return state.dav;
    },
    deps,
    run: (spec: CalendarSpec = aliceSpec) => syncCalendars(spec, deps(), new AbortController().signal),
  };
}
