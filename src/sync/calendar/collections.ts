/**
 * The CRM calendar and the CRM task list of a user: found among the calendars discovered
 * (RFC 4791 §6.2.1) by href or display name, else created with MKCALENDAR (RFC 4791 §5.3.1),
 * one collection for both when the configuration names the same one (VEVENT + VTODO).
 */
import type { Logger } from 'pino';
import { BridgeError } from '../../domain/errors.js';
import type { DavCollection, DavSession } from '../../ports/dav.js';
import { sameHref } from '../engine/href.js';

/** A configured calendar: an href or path, else a display name (exact, then ignoring case). */
export function resolveCollection(calendars: readonly DavCollection[], wanted: string): DavCollection | undefined {
  if (/^https?:\/\//i.test(wanted) || wanted.startsWith('/')) {
    return calendars.find((calendar) => sameHref(calendar.href, wanted));
  }
  return calendars.find((calendar) => calendar.displayName === wanted) ?? calendars.find((calendar) => calendar.displayName?.toLowerCase() === wanted.toLowerCase());
}

export interface CrmCollections {
  /** Every calendar of the user, with the ones just created. */
  calendars: DavCollection[];
  crmCalendar: DavCollection;
  taskList: DavCollection;
}

export async function ensureCrmCollections(session: DavSession, spec: { sourceId: string; crmCalendar: string; crmTaskList: string }, calendars: readonly DavCollection[], log: Logger): Promise<CrmCollections> {
  const all = [...calendars];
  const sameName = spec.crmCalendar === spec.crmTaskList;
  // Two calendars may carry the name (a client's events-only "CRM" and the task list the bridge
  // made next to it): the events go to one that holds events.
  let crmCalendar = resolveCollection(all.filter((calendar) => calendar.components.includes('VEVENT')), spec.crmCalendar) ?? resolveCollection(all, spec.crmCalendar);
  if (!crmCalendar) {
    // A configured URL names a calendar that must exist: the bridge creates only by name.
    if (/^https?:\/\//i.test(spec.crmCalendar)) throw new BridgeError('NOT_FOUND', `${spec.sourceId}: calendar ${spec.crmCalendar} does not exist`);
    crmCalendar = await session.createCalendar(spec.crmCalendar, sameName ? ['VEVENT', 'VTODO'] : ['VEVENT']);
    all.push(crmCalendar);
    log.info({ source: spec.sourceId, href: crmCalendar.href }, 'created the CRM calendar');
  }
  let taskList: DavCollection | undefined = sameName && crmCalendar.components.includes('VTODO') ? crmCalendar : resolveCollection(all.filter((calendar) => calendar.components.includes('VTODO')), spec.crmTaskList);
  if (!taskList) {
    if (/^https?:\/\//i.test(spec.crmTaskList)) throw new BridgeError('NOT_FOUND', `${spec.sourceId}: task list ${spec.crmTaskList} does not exist`);
    taskList = await session.createCalendar(spec.crmTaskList, ['VTODO']);
    all.push(taskList);
    log.info({ source: spec.sourceId, href: taskList.href }, 'created the CRM task list');
  }
  return { calendars: all, crmCalendar, taskList };
}
