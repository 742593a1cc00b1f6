import { describe, expect, it } from 'vitest';
import { busyFromIcal, busyToFbType, busyToIcal, fbTypeToBusy } from '../../../src/calendar/busy-status.js';

const props = (transp: string | null, status: string | null, cdoBusyStatus: string | null) => ({ transp, status, cdoBusyStatus });

describe('busy status', () => {
  it('reads TRANSP, STATUS and X-MICROSOFT-CDO-BUSYSTATUS, standard properties first', () => {
    expect(busyFromIcal(props(null, null, null))).toBe('busy');
    expect(busyFromIcal(props('OPAQUE', 'CONFIRMED', null))).toBe('busy');
    expect(busyFromIcal(props('TRANSPARENT', null, null))).toBe('free');
    expect(busyFromIcal(props('transparent', null, 'OOF'))).toBe('free');
    expect(busyFromIcal(props('OPAQUE', null, 'OOF'))).toBe('oof');
    expect(busyFromIcal(props(null, 'TENTATIVE', null))).toBe('tentative');
    expect(busyFromIcal(props(null, null, 'TENTATIVE'))).toBe('tentative');
    expect(busyFromIcal(props(null, null, 'FREE'))).toBe('free');
    expect(busyFromIcal(props(null, null, 'WORKINGELSEWHERE'))).toBe('free');
    expect(busyFromIcal(props(null, null, 'BUSY'))).toBe('busy');
  });

  it('writes each status so that it reads back the same', () => {
    expect(busyToIcal('free')).toEqual({ transp: 'TRANSPARENT', tentative: false, cdoBusyStatus: null });
    expect(busyToIcal('tentative')).toEqual({ transp: 'OPAQUE', tentative: true, cdoBusyStatus: null });
    expect(busyToIcal('busy')).toEqual({ transp: 'OPAQUE', tentative: false, cdoBusyStatus: null });
    expect(busyToIcal('oof')).toEqual({ transp: 'OPAQUE', tentative: false, cdoBusyStatus: 'OOF' });
    for (const busy of ['free', 'tentative', 'busy', 'oof'] as const) {
      const written = busyToIcal(busy);
      expect(busyFromIcal(props(written.transp, written.tentative ? 'TENTATIVE' : null, written.cdoBusyStatus))).toBe(busy);
    }
  });

  it('maps to and from FBTYPE', () => {
    expect([busyToFbType('free'), busyToFbType('tentative'), busyToFbType('busy'), busyToFbType('oof'), busyToFbType(null)]).toEqual([null, 'BUSY-TENTATIVE', 'BUSY', 'BUSY-UNAVAILABLE', 'BUSY']);
    expect([fbTypeToBusy('FREE'), fbTypeToBusy('BUSY-TENTATIVE'), fbTypeToBusy('BUSY'), fbTypeToBusy('BUSY-UNAVAILABLE'), fbTypeToBusy('X-OTHER'), fbTypeToBusy(null)]).toEqual(['free', 'tentative', 'busy', 'oof', 'busy', 'busy']);
  });
});
