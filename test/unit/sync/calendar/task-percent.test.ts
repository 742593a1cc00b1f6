// PERCENT-COMPLETE (RFC 5545 §3.8.1.8) in the task fields the calendar sync merges three ways.
import { describe, expect, it } from 'vitest';
import type { Activity } from '../../../../src/domain/activity.js';
import { parseCalendarObject } from '../../../../src/calendar/ical-parse.js';
import { taskFieldNames, taskFieldsOfActivity, type TaskFields } from '../../../../src/sync/calendar/fields.js';
import { activityChangeOf, activityOfRemote, fieldsToIcal, readRemote, type UserContext } from '../../../../src/sync/calendar/item-codec.js';
import { mergeFields } from '../../../../src/sync/engine/merge.js';

const user: UserContext = { userId: 'alice', email: 'alice@example.com', name: 'Alice', userEmails: new Map() };
const now = new Date('2024-06-02T10:00:00Z');

function task(overrides: Partial<Activity> = {}): Activity {
  return {
    id: 'act_1', kind: 'task', subject: 'Prepare quote', owner: 'alice', start: null, end: null, due: '2024-06-05T15:00:00.000Z', allDay: false, timeZone: null,
    location: null, status: 'open', priority: 'normal', percentComplete: null, reminderMinutes: null, busyStatus: null, messageId: null, inReplyTo: null, references: [], threadId: null,
    regarding: null, parties: [], correlation: null, queue: null, bodyText: null, bodyHtml: null, classification: null, delivery: null, sources: [], attachments: [],
    createdAt: '2024-06-01T00:00:00.000Z', updatedAt: '2024-06-01T00:00:00.000Z', ...overrides,
  };
}

function todo(lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VTODO', 'UID:u1', 'DTSTAMP:20240601T000000Z', 'SUMMARY:Prepare quote', 'DUE:20240605T150000Z', 'PRIORITY:5', ...lines, 'END:VTODO', 'END:VCALENDAR', ''].join('\r\n');
}

const fieldsOf = (text: string) => readRemote(parseCalendarObject(text), user).fields as TaskFields;
const merge = (base: object, crm: TaskFields, remote: TaskFields, policy: 'crm-wins' | 'client-wins' = 'crm-wins') =>
  mergeFields<TaskFields>({ base: base as TaskFields, crm, remote, fields: taskFieldNames, policy, crmModifiedAt: null, remoteModifiedAt: null });

describe('task percentComplete in the calendar sync', () => {
  it('is a merged task field, 100 on both sides whenever the task is completed', () => {
    expect(taskFieldNames).toContain('percentComplete');
    expect(taskFieldsOfActivity(task({ percentComplete: 30 })).percentComplete).toBe(30);
    expect(taskFieldsOfActivity(task({ status: 'completed', percentComplete: null })).percentComplete).toBe(100);
    expect(fieldsOf(todo(['STATUS:IN-PROCESS', 'PERCENT-COMPLETE:45'])).percentComplete).toBe(45);
    expect(fieldsOf(todo(['STATUS:COMPLETED', 'COMPLETED:20240603T080000Z'])).percentComplete).toBe(100);
    expect(fieldsOf(todo(['STATUS:NEEDS-ACTION'])).percentComplete).toBeNull();
  });

  it('takes the client’s percentage into the CRM while the CRM’s own change goes out', () => {
    const base = fieldsOf(todo(['STATUS:IN-PROCESS', 'PERCENT-COMPLETE:20']));
    const remote = fieldsOf(todo(['STATUS:IN-PROCESS', 'PERCENT-COMPLETE:60']));
    const activity = task({ percentComplete: 20, priority: 'high' });
    const crm = taskFieldsOfActivity(activity);
    const result = merge(base, crm, remote);
    expect(result).toMatchObject({ merged: { percentComplete: 60, priority: 'high' }, conflicts: [], writeCrm: true, writeRemote: true });
    expect(activityChangeOf('tasks', result.merged, crm, [], activity)).toEqual({ percentComplete: 60 });
  });

  it('writes the CRM’s percentage to the calendar, keeping the client’s status form', () => {
    const text = todo(['STATUS:IN-PROCESS', 'PERCENT-COMPLETE:20', 'X-CLIENT:keep']);
    const base = fieldsOf(text);
    const activity = task({ percentComplete: 85 });
    const result = merge(base, taskFieldsOfActivity(activity), base);
    expect(result).toMatchObject({ merged: { percentComplete: 85 }, writeCrm: false, writeRemote: true });
    const parsed = parseCalendarObject(text);
    const written = fieldsToIcal('tasks', result.merged, activity, parsed, readRemote(parsed, user), 'u1', user, now);
    expect(written).toContain('PERCENT-COMPLETE:85');
    expect(written).toContain('STATUS:IN-PROCESS');
    expect(written).toContain('X-CLIENT:keep');
    expect(fieldsOf(written).percentComplete).toBe(85);
  });

  it('a percentage changed on both sides is a conflict the policy decides', () => {
    const base = fieldsOf(todo(['PERCENT-COMPLETE:20']));
    const crm = taskFieldsOfActivity(task({ percentComplete: 30 }));
    const remote = fieldsOf(todo(['PERCENT-COMPLETE:70']));
    expect(merge(base, crm, remote, 'crm-wins')).toMatchObject({ merged: { percentComplete: 30 }, conflicts: ['percentComplete'], winner: 'crm' });
    expect(merge(base, crm, remote, 'client-wins')).toMatchObject({ merged: { percentComplete: 70 }, conflicts: ['percentComplete'], winner: 'client' });
  });

  it('a base stored before percentComplete existed takes the calendar’s value without a conflict', () => {
    const remote = fieldsOf(todo(['STATUS:IN-PROCESS', 'PERCENT-COMPLETE:40']));
    const { percentComplete: _dropped, ...oldBase } = remote;
    const crm = taskFieldsOfActivity(task());
    const result = merge(oldBase, crm, remote);
    expect(result).toMatchObject({ merged: { percentComplete: 40 }, conflicts: [], writeCrm: true, writeRemote: false });
  });

  it('a new CRM task from a to-do carries its percentage', () => {
    expect(activityOfRemote(readRemote(parseCalendarObject(todo(['STATUS:IN-PROCESS', 'PERCENT-COMPLETE:25'])), user), 'alice', [])).toMatchObject({ kind: 'task', status: 'open', percentComplete: 25 });
    expect(activityOfRemote(readRemote(parseCalendarObject(todo(['STATUS:COMPLETED'])), user), 'alice', [])).toMatchObject({ status: 'completed', percentComplete: 100 });
  });
});
