// The reminder (RFC 5545 §3.6.6 VALARM, minutes before the start) in the event fields the calendar
// sync merges three ways, and the client's own alarms next to the bridge's.
import { describe, expect, it } from 'vitest';
import type { Activity } from '../../../../src/domain/activity.js';
import { parseCalendarObject } from '../../../../src/calendar/ical-parse.js';
import { eventFieldNames, eventFieldsOfActivity, type EventFields } from '../../../../src/sync/calendar/fields.js';
import { activityChangeOf, activityOfRemote, fieldsToIcal, readRemote, type UserContext } from '../../../../src/sync/calendar/item-codec.js';
import { mergeFields } from '../../../../src/sync/engine/merge.js';

const user: UserContext = { userId: 'alice', email: 'alice@example.com', name: 'Alice', userEmails: new Map() };
const now = new Date('2024-06-02T10:00:00Z');

function appointment(overrides: Partial<Activity> = {}): Activity {
  return {
    id: 'act_1', kind: 'appointment', subject: 'Call', owner: 'alice', start: '2024-06-05T15:00:00.000Z', end: '2024-06-05T15:30:00.000Z', due: null, allDay: false, timeZone: null,
    location: null, status: 'open', priority: 'normal', percentComplete: null, reminderMinutes: null, busyStatus: 'busy', messageId: null, inReplyTo: null, references: [], threadId: null,
    regarding: null, parties: [], correlation: null, queue: null, bodyText: null, bodyHtml: null, classification: null, delivery: null, sources: [], attachments: [],
    createdAt: '2024-06-01T00:00:00.000Z', updatedAt: '2024-06-01T00:00:00.000Z', ...overrides,
  };
}

const alarm = (uid: string | null, trigger: string) => ['BEGIN:VALARM', ...(uid ? [`UID:${uid}`] : []), 'ACTION:DISPLAY', 'DESCRIPTION:x', trigger, 'END:VALARM'];
const own = (minutes: number) => alarm('u1-crm-bridge-reminder', `TRIGGER:-PT${minutes}M`);

function vevent(lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VEVENT', 'UID:u1', 'DTSTAMP:20240601T000000Z', 'SUMMARY:Call', 'DTSTART:20240605T150000Z', 'DTEND:20240605T153000Z', ...lines, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
}

const fieldsOf = (text: string) => readRemote(parseCalendarObject(text), user).fields as EventFields;
const merge = (base: object, crm: EventFields, remote: EventFields, policy: 'crm-wins' | 'client-wins' = 'crm-wins') =>
  mergeFields<EventFields>({ base: base as EventFields, crm, remote, fields: eventFieldNames, policy, crmModifiedAt: null, remoteModifiedAt: null });
const write = (text: string, activity: Activity, fields: EventFields) => {
  const parsed = parseCalendarObject(text);
  return fieldsToIcal('events', fields, activity, parsed, readRemote(parsed, user), 'u1', user, now);
};
const alarms = (text: string) => text.split('\r\n').filter((line) => line === 'BEGIN:VALARM').length;

describe('event reminderMinutes in the calendar sync', () => {
  it('is a merged event field read from the bridge’s alarm, else the first start-relative one', () => {
    expect(eventFieldNames).toContain('reminderMinutes');
    expect(eventFieldsOfActivity(appointment({ reminderMinutes: 15 }), user.email).reminderMinutes).toBe(15);
    expect(fieldsOf(vevent(own(15))).reminderMinutes).toBe(15);
    expect(fieldsOf(vevent([...alarm('client-1', 'TRIGGER:-PT1H'), ...own(20)])).reminderMinutes).toBe(20);
    expect(fieldsOf(vevent(alarm('client-1', 'TRIGGER:-PT1H'))).reminderMinutes).toBe(60);
    expect(fieldsOf(vevent(alarm('client-1', 'TRIGGER;VALUE=DATE-TIME:20240605T140000Z'))).reminderMinutes).toBeNull();
    expect(fieldsOf(vevent([])).reminderMinutes).toBeNull();
  });

  it('writes the CRM’s reminder as the bridge’s VALARM and takes the client’s change back', () => {
    const activity = appointment({ reminderMinutes: 15 });
    const created = fieldsToIcal('events', eventFieldsOfActivity(activity, user.email), activity, null, null, 'u1', user, now);
    expect(created).toContain('TRIGGER:-PT15M');
    expect(created).toContain('UID:u1-crm-bridge-reminder');
    const base = fieldsOf(created);
    const clientEdit = created.replace('TRIGGER:-PT15M', 'TRIGGER:-PT30M');
    const crm = eventFieldsOfActivity(activity, user.email);
    const result = merge(base, crm, fieldsOf(clientEdit));
    expect(result).toMatchObject({ merged: { reminderMinutes: 30 }, conflicts: [], writeCrm: true, writeRemote: false });
    expect(activityChangeOf('events', result.merged, crm, [], activity)).toEqual({ reminderMinutes: 30 });
  });

  it('null removes the bridge’s alarm, keeps the client’s own one and reads back as null (no adoption)', () => {
    const text = vevent([...own(30), ...alarm('client-1', 'TRIGGER:-PT1H'), 'X-CLIENT:keep']);
    const base = fieldsOf(text);
    const activity = appointment({ reminderMinutes: null });
    const result = merge(base, eventFieldsOfActivity(activity, user.email), base);
    expect(result).toMatchObject({ merged: { reminderMinutes: null }, writeCrm: false, writeRemote: true });
    const written = write(text, activity, result.merged);
    expect(written).not.toContain('u1-crm-bridge-reminder');
    expect(written).toContain('UID:client-1');
    expect(written).toContain('TRIGGER:-PT1H');
    expect(written).toContain('X-CLIENT:keep');
    expect(alarms(written)).toBe(1);
    // Read back: no reminder, so the next sync sees both sides agree and leaves the client's alarm.
    expect(fieldsOf(written).reminderMinutes).toBeNull();
    const again = merge(fieldsOf(written), eventFieldsOfActivity(activity, user.email), fieldsOf(written));
    expect(again).toMatchObject({ writeCrm: false, writeRemote: false });

    // A reminder set again is the bridge's own alarm; the client's stays as it was.
    const reminded = appointment({ reminderMinutes: 5 });
    const back = write(written, reminded, eventFieldsOfActivity(reminded, user.email));
    expect(back).toContain('UID:u1-crm-bridge-reminder');
    expect(back).toContain('TRIGGER:-PT5M');
    expect(back).toContain('TRIGGER:-PT1H');
    expect(back).not.toContain('X-CRM-BRIDGE-REMINDER');
    expect(alarms(back)).toBe(2);
    expect(fieldsOf(back).reminderMinutes).toBe(5);
  });

  it('a reminder changed on both sides is a conflict the policy decides', () => {
    const base = fieldsOf(vevent(own(15)));
    const crm = eventFieldsOfActivity(appointment({ reminderMinutes: 10 }), user.email);
    const remote = fieldsOf(vevent(own(45)));
    expect(merge(base, crm, remote, 'crm-wins')).toMatchObject({ merged: { reminderMinutes: 10 }, conflicts: ['reminderMinutes'], winner: 'crm' });
    expect(merge(base, crm, remote, 'client-wins')).toMatchObject({ merged: { reminderMinutes: 45 }, conflicts: ['reminderMinutes'], winner: 'client' });
  });

  it('a base stored before reminderMinutes existed takes the calendar’s alarm without a conflict', () => {
    const remote = fieldsOf(vevent(alarm('client-1', 'TRIGGER:-PT10M')));
    const { reminderMinutes: _dropped, ...oldBase } = remote;
    const crm = eventFieldsOfActivity(appointment(), user.email);
    const result = merge(oldBase, crm, remote);
    expect(result).toMatchObject({ merged: { reminderMinutes: 10 }, conflicts: [], writeCrm: true, writeRemote: false });
  });

  it('a new CRM appointment from an event carries its reminder', () => {
    expect(activityOfRemote(readRemote(parseCalendarObject(vevent(alarm(null, 'TRIGGER:-PT25M'))), user), 'alice', [])).toMatchObject({ kind: 'appointment', reminderMinutes: 25 });
    expect(activityOfRemote(readRemote(parseCalendarObject(vevent([])), user), 'alice', [])).toMatchObject({ reminderMinutes: null });
  });
});
