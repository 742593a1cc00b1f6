import type { DavServerSettings } from './dav.js';

/**
 * Asking a CalDAV server for other people's free/busy time (RFC 6638 §5: a VFREEBUSY REQUEST POSTed
 * to the organizer's schedule outbox). adapters/caldav implements it; the API only sees this port.
 */
export interface ScheduleFreeBusyRequest {
  /** The asking calendar user (a configured user): ORGANIZER of the request. */
  organizer: { email: string; name: string | null };
  /** E-mail addresses whose busy time is wanted. */
  attendees: readonly string[];
  start: Date;
  end: Date;
}

export interface ScheduleFreeBusyAnswer {
  /** As asked (lower-cased e-mail address). */
  attendee: string;
  /** RFC 6638 §3.2.10 request-status: `2.0` success, `3.7` invalid calendar user, `3.8` no authority ... */
  requestStatus: string;
  /** The VFREEBUSY text when the status is a success (2.x). */
  calendarData: string | null;
}

export interface ScheduleFreeBusy {
  /** null when the server offers no schedule outbox (RFC 6638 §2.1: no schedule-outbox-URL on the principal). */
  query(server: DavServerSettings, request: ScheduleFreeBusyRequest): Promise<ScheduleFreeBusyAnswer[] | null>;
}
