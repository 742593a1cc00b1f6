/**
 * Busy status between the CRM (free | tentative | busy | oof) and iCalendar.
 *
 * iCalendar has no single busy property. A VEVENT blocks time unless TRANSP:TRANSPARENT
 * (RFC 5545 §3.8.2.7); STATUS:TENTATIVE (§3.8.1.11) marks a tentative event; "out of office" has no
 * standard property and Outlook/Exchange carry it as X-MICROSOFT-CDO-BUSYSTATUS:OOF. In free/busy
 * these become FBTYPE values (§3.2.9): BUSY, BUSY-TENTATIVE and BUSY-UNAVAILABLE.
 */
import type { busyStatuses } from '../domain/activity.js';

export type BusyStatus = (typeof busyStatuses)[number];
export type FreeBusyType = 'BUSY' | 'BUSY-TENTATIVE' | 'BUSY-UNAVAILABLE';

/** The properties of a VEVENT that carry its busy status (upper-case values, or null when absent). */
export interface BusyProperties {
  transp: string | null;
  status: string | null;
  cdoBusyStatus: string | null;
}

/**
 * Read the busy status. Standard properties win over the Microsoft one, because clients other than
 * Outlook change TRANSP and STATUS and leave X- properties alone: a stale X-MICROSOFT-CDO-BUSYSTATUS
 * must not undo what the user did in Apple Calendar. OOF has no standard form, so it is taken from
 * the X- property whenever the event is not transparent.
 */
export function busyFromIcal(properties: BusyProperties): BusyStatus {
  const transp = properties.transp?.toUpperCase() ?? 'OPAQUE';
  const status = properties.status?.toUpperCase() ?? null;
  const cdo = properties.cdoBusyStatus?.toUpperCase() ?? null;
  if (transp === 'TRANSPARENT') return 'free';
  if (cdo === 'OOF') return 'oof';
  if (status === 'TENTATIVE' || cdo === 'TENTATIVE') return 'tentative';
  // WORKINGELSEWHERE is Outlook's "working elsewhere", which does not block time.
  if (cdo === 'FREE' || cdo === 'WORKINGELSEWHERE') return 'free';
  return 'busy';
}

/**
 * Properties to write for a busy status. STATUS is only decided for tentative (a non-tentative
 * event keeps whatever CONFIRMED/absent STATUS it had; CANCELLED is the activity status's business);
 * X-MICROSOFT-CDO-BUSYSTATUS is written only for OOF and removed otherwise, so that it can never
 * contradict TRANSP and STATUS.
 */
export function busyToIcal(busy: BusyStatus | null): { transp: 'OPAQUE' | 'TRANSPARENT'; tentative: boolean; cdoBusyStatus: 'OOF' | null } {
  switch (busy) {
    case 'free':
      return { transp: 'TRANSPARENT', tentative: false, cdoBusyStatus: null };
    case 'tentative':
      return { transp: 'OPAQUE', tentative: true, cdoBusyStatus: null };
    case 'oof':
      return { transp: 'OPAQUE', tentative: false, cdoBusyStatus: 'OOF' };
    default:
      // busy, and no status at all: RFC 5545 §3.8.2.7 makes OPAQUE the default.
      return { transp: 'OPAQUE', tentative: false, cdoBusyStatus: null };
  }
}

/** FBTYPE of a busy status (RFC 5545 §3.2.9); null for time that is not busy. */
export function busyToFbType(busy: BusyStatus | null): FreeBusyType | null {
  switch (busy) {
    case 'free':
      return null;
    case 'tentative':
      return 'BUSY-TENTATIVE';
    case 'oof':
      return 'BUSY-UNAVAILABLE';
    default:
      return 'BUSY';
  }
}

/** Busy status of an FBTYPE read from a VFREEBUSY (RFC 5545 §3.2.9: unknown types are BUSY). */
export function fbTypeToBusy(fbType: string | null): BusyStatus {
  switch (fbType?.toUpperCase() ?? 'BUSY') {
    case 'FREE':
      return 'free';
    case 'BUSY-TENTATIVE':
      return 'tentative';
    case 'BUSY-UNAVAILABLE':
      return 'oof';
    default:
      return 'busy';
  }
}
