import { davSettings } from '../../config/server-settings.js';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { BridgeError } from '../../domain/errors.js';
import type { Store } from '../../store/store.js';
import type { DavConnector } from '../../ports/dav.js';
import type { SourceRunner, SyncSource } from '../../ports/source.js';
import { syncCalendars, type CalendarSpec } from './calendar-sync.js';

/** What a `caldav:<user>` source stands for, from the configuration. */
export function calendarSpecOf(config: Config, source: SyncSource): CalendarSpec {
  const user = config.users.find((entry) => entry.id === source.ownerId);
  if (!user?.caldav) throw new BridgeError('CONFIG', `${source.id}: no CalDAV settings`);
  return {
    sourceId: source.id,
    userId: user.id,
    userEmail: user.email,
    userName: user.name,
    // Radicale builds its item cache on the first request to a large collection (a PROPFIND of
    // a 6,000-item home took over 30 s in bench/caldav-sync); each request gets
    // sync.commandTimeoutSeconds (default two minutes).
    server: davSettings(user.caldav, { type: 'user', id: user.id, kind: 'caldav' }, { timeoutMs: config.sync.commandTimeoutSeconds * 1000, maxResponseBytes: config.sync.maxDavResponseBytes }),
    crmCalendar: user.calendar.crmCalendar,
    trackCategory: user.calendar.trackCategory,
    crmTaskList: user.tasks.crmTaskList,
    eventPolicy: user.calendar.conflictPolicy ?? config.sync.conflictPolicy,
    taskPolicy: user.tasks.conflictPolicy ?? config.sync.conflictPolicy,
    busyStatusMap: user.calendar.busyStatusMap,
    maxObjectBytes: user.calendar.maxObjectBytes,
  };
}

/** The `caldav` source runner: each user's calendars and task lists, both ways. */
export function calendarRunner(config: Config, store: Store, connector: DavConnector, log: Logger): SourceRunner {
  const users = config.users.map((user) => ({ id: user.id, email: user.email }));
  return {
    kind: 'caldav',
    runOnce: (source, signal, abort) => syncCalendars(calendarSpecOf(config, source), { store, connector, log, users }, signal, abort),
  };
}
