import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { expandOccurrences } from '../../../src/calendar/expand.js';
import { type BusyPeriod, busyPeriod, foldLine, mergeBusy, renderVFreeBusy } from '../../../src/calendar/freebusy.js';
import { parseCalendarObject } from '../../../src/calendar/ical-parse.js';
import { fixture } from './fixtures.js';

const at = (time: string) => new Date(`2024-05-02T${time}:00Z`);
const period = (start: string, end: string, type: BusyPeriod['type']): BusyPeriod => ({ start: at(start), end: at(end), type });
const show = (periods: BusyPeriod[]) => periods.map((p) => `${p.type} ${p.start.toISOString().slice(11, 16)}-${p.end.toISOString().slice(11, 16)}`);

describe('mergeBusy', () => {
  it('joins overlapping and touching periods of one type', () => {
    expect(show(mergeBusy([period('09:00', '10:00', 'BUSY'), period('11:00', '12:00', 'BUSY'), period('09:30', '11:00', 'BUSY')]))).toEqual(['BUSY 09:00-12:00']);
  });

  it('gives overlapping time to the stronger type: BUSY-UNAVAILABLE > BUSY > BUSY-TENTATIVE', () => {
    expect(show(mergeBusy([period('08:00', '09:30', 'BUSY-TENTATIVE'), period('09:00', '10:00', 'BUSY'), period('09:15', '09:45', 'BUSY-UNAVAILABLE'), period('13:00', '14:00', 'BUSY-TENTATIVE')]))).toEqual([
      'BUSY-TENTATIVE 08:00-09:00',
      'BUSY 09:00-09:15',
      'BUSY-UNAVAILABLE 09:15-09:45',
      'BUSY 09:45-10:00',
      'BUSY-TENTATIVE 13:00-14:00',
    ]);
    expect(show(mergeBusy([period('09:00', '12:00', 'BUSY-TENTATIVE'), period('10:00', '11:00', 'BUSY')]))).toEqual(['BUSY-TENTATIVE 09:00-10:00', 'BUSY 10:00-11:00', 'BUSY-TENTATIVE 11:00-12:00']);
  });

  it('ignores empty periods and leaves free and cancelled time out', () => {
    expect(mergeBusy([period('09:00', '09:00', 'BUSY')])).toEqual([]);
    expect(busyPeriod({ start: '2024-05-02T09:00:00Z', end: '2024-05-02T10:00:00Z', busyStatus: 'free' })).toBeNull();
    expect(busyPeriod({ start: '2024-05-02T09:00:00Z', end: '2024-05-02T10:00:00Z', busyStatus: 'busy', cancelled: true })).toBeNull();
    expect(busyPeriod({ start: '2024-05-02T09:00:00Z', end: '2024-05-02T10:00:00Z', busyStatus: 'oof' })?.type).toBe('BUSY-UNAVAILABLE');
  });
});

describe('renderVFreeBusy', () => {
  const input = {
    organizer: { email: 'ann@example.com', name: 'Ann Owner' },
    uid: 'fb-1',
    start: new Date('2024-05-01T00:00:00Z'),
    end: new Date('2024-05-08T00:00:00Z'),
    periods: [period('09:00', '10:00', 'BUSY'), period('09:30', '11:00', 'BUSY-TENTATIVE'), period('14:00', '15:00', 'BUSY-UNAVAILABLE')],
    now: new Date('2024-04-30T12:34:56.789Z'),
  };

  it('writes exactly the expected VCALENDAR', () => {
    expect(renderVFreeBusy(input)).toBe(
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//crm-bridge//EN',
        'METHOD:PUBLISH',
        'BEGIN:VFREEBUSY',
        'UID:fb-1',
        'DTSTAMP:20240430T123456Z',
        'DTSTART:20240501T000000Z',
        'DTEND:20240508T000000Z',
        'ORGANIZER;CN=Ann Owner:mailto:ann@example.com',
        'FREEBUSY;FBTYPE=BUSY:20240502T090000Z/20240502T100000Z',
        'FREEBUSY;FBTYPE=BUSY-TENTATIVE:20240502T100000Z/20240502T110000Z',
        'FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20240502T140000Z/20240502T150000Z',
        'END:VFREEBUSY',
        'END:VCALENDAR',
        '',
      ].join('\r\n'),
    );
  });

  it('is read back by ical.js with the same periods and FBTYPEs', () => {
    const root = ICAL.Component.fromString(renderVFreeBusy(input));
    expect(root.getFirstPropertyValue('method')).toBe('PUBLISH');
    const freebusy = root.getFirstSubcomponent('vfreebusy')!;
    const read = freebusy.getAllProperties('freebusy').map((property) => {
      const value = property.getFirstValue() as ICAL.Period;
      return [property.getFirstParameter('fbtype'), value.start.toJSDate().toISOString(), value.getEnd().toJSDate().toISOString()];
    });
    expect(read).toEqual([
      ['BUSY', '2024-05-02T09:00:00.000Z', '2024-05-02T10:00:00.000Z'],
      ['BUSY-TENTATIVE', '2024-05-02T10:00:00.000Z', '2024-05-02T11:00:00.000Z'],
      ['BUSY-UNAVAILABLE', '2024-05-02T14:00:00.000Z', '2024-05-02T15:00:00.000Z'],
    ]);
    expect(freebusy.getFirstPropertyValue('organizer')).toBe('mailto:ann@example.com');
  });

  it('clips to the window, writes ATTENDEE for a reply and folds long lines at 75 octets', () => {
    const name = 'Ängelika Überlänge-Namensträgerin, Vertriebsleitung Süd; Region Österreich';
    const { organizer: _organizer, ...reply } = input;
    const text = renderVFreeBusy({ ...reply, attendee: { email: 'angelika@example.com', name }, start: at('09:30'), end: at('14:30') });
    for (const line of text.split('\r\n')) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    const unfolded = text.replace(/\r\n /g, '');
    expect(unfolded).toContain(`ATTENDEE;CN="${name}":mailto:angelika@example.com\r\n`);
    expect(unfolded).toContain('FREEBUSY;FBTYPE=BUSY:20240502T093000Z/20240502T100000Z');
    expect(unfolded).toContain('FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20240502T140000Z/20240502T143000Z');
    const attendee = ICAL.Component.fromString(text).getFirstSubcomponent('vfreebusy')!.getFirstProperty('attendee')!;
    expect(attendee.getFirstParameter('cn')).toBe(name);
  });

  it('folds without splitting a UTF-8 sequence', () => {
    const line = `SUMMARY:${'ä'.repeat(100)}`;
    const folded = foldLine(line);
    expect(folded.split('\r\n').map((piece) => new TextEncoder().encode(piece).length)).toEqual([74, 75, 61]);
    expect(folded.replace(/\r\n /g, '')).toBe(line);
  });

  it('publishes the busy time of a recurring meeting: expanded, cancelled and excluded instances left out', async () => {
    const object = parseCalendarObject(fixture('recurring-weekly.ics'));
    const start = new Date('2024-04-01T00:00:00Z');
    const end = new Date('2024-04-20T00:00:00Z');
    const periods = (await expandOccurrences(object, start, end)).occurrences.map(busyPeriod).filter((p) => p !== null);
    const text = renderVFreeBusy({ organizer: { email: 'ann@example.com' }, start, end, periods, now: start });
    expect(text.split('\r\n').filter((line) => line.startsWith('FREEBUSY'))).toEqual([
      'FREEBUSY;FBTYPE=BUSY:20240403T130000Z/20240403T140000Z',
      'FREEBUSY;FBTYPE=BUSY:20240409T080000Z/20240409T090000Z',
    ]);
  });
});
