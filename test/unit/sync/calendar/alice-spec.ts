import type { CalendarSpec } from '../../../../src/sync/calendar/calendar-sync.js';

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
