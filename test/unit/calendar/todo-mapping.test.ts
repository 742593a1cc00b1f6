import { describe, expect, it } from 'vitest';
import { parseCalendarObject } from '../../../src/calendar/ical-parse.js';
import { type TodoActivityInput, priorityFromIcal, priorityToIcal, todoToActivity, todoToIcal } from '../../../src/calendar/todo-mapping.js';
import { contentLines, fixture } from './fixtures.js';

const context = { uid: 'task-uid-1', now: new Date('2024-06-02T10:00:00Z') };

describe('VTODO mapping', () => {
  it('maps PRIORITY per RFC 5545 §3.8.1.9', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(priorityFromIcal)).toEqual(['normal', 'high', 'high', 'high', 'high', 'normal', 'low', 'low', 'low', 'low']);
    expect(priorityFromIcal(null)).toBe('normal');
    expect(priorityFromIcal(42)).toBe('normal');
    expect([priorityToIcal('high'), priorityToIcal('normal'), priorityToIcal('low')]).toEqual([1, 5, 9]);
  });

  it('reads a VTODO with percent, priority, due date and categories', () => {
    expect(todoToActivity(parseCalendarObject(fixture('todo.ics')))).toEqual({
      kind: 'task',
      subject: 'Send offer',
      start: '2024-06-01T07:00:00.000Z',
      due: '2024-06-05T15:00:00.000Z',
      allDay: false,
      floating: false,
      timeZone: null,
      status: 'open',
      priority: 'high',
      percentComplete: 40,
      completedAt: null,
      bodyText: 'Offer for 20 licences',
      categories: ['Sales'],
      warnings: [],
    });
  });

  it('completes a task: STATUS, COMPLETED, PERCENT-COMPLETE, SEQUENCE; keeps X- properties and PRIORITY 3', () => {
    const base = parseCalendarObject(fixture('todo.ics'));
    const input: TodoActivityInput = { ...todoToActivity(base), status: 'completed' };
    const text = todoToIcal(input, base, context);
    const lines = contentLines(text);
    expect(lines).toEqual(expect.arrayContaining(['STATUS:COMPLETED', 'COMPLETED:20240602T100000Z', 'PERCENT-COMPLETE:100', 'PRIORITY:3', 'X-APPLE-SORT-ORDER:12345', 'SEQUENCE:2', 'DUE:20240605T150000Z', 'DTSTART:20240601T070000Z']));
    expect(todoToActivity(parseCalendarObject(text))).toMatchObject({ status: 'completed', percentComplete: 100, completedAt: '2024-06-02T10:00:00.000Z', priority: 'high' });

    // Reopening drops COMPLETED and the 100 %.
    const reopened = parseCalendarObject(text);
    const { percentComplete: _percent, ...withoutPercent } = todoToActivity(reopened);
    const again = contentLines(todoToIcal({ ...withoutPercent, status: 'open' }, reopened, context));
    expect(again).toContain('STATUS:NEEDS-ACTION');
    expect(again.some((line) => line.startsWith('COMPLETED') || line.startsWith('PERCENT-COMPLETE'))).toBe(false);
  });

  it('changes PRIORITY only across levels and writes percent as IN-PROCESS', () => {
    const base = parseCalendarObject(fixture('todo.ics'));
    const read = todoToActivity(base);
    const low = contentLines(todoToIcal({ ...read, priority: 'low' }, base, context));
    expect(low).toContain('PRIORITY:9');
    const unchanged = contentLines(todoToIcal(read, base, context));
    expect(unchanged).toEqual(expect.arrayContaining(['PRIORITY:3', 'STATUS:IN-PROCESS', 'PERCENT-COMPLETE:40', 'SEQUENCE:1']));
    const more = contentLines(todoToIcal({ ...read, percentComplete: 70 }, base, context));
    expect(more).toEqual(expect.arrayContaining(['PERCENT-COMPLETE:70', 'STATUS:IN-PROCESS', 'SEQUENCE:1']));
  });

  it('writes PERCENT-COMPLETE only when the CRM has one or the base had one', () => {
    const input: TodoActivityInput = { kind: 'task', subject: 'Plain', start: null, due: null, allDay: false, timeZone: null, status: 'open', priority: 'normal', bodyText: null, percentComplete: null };
    const fresh = todoToIcal(input, null, context);
    expect(contentLines(fresh)).toContain('STATUS:NEEDS-ACTION');
    expect(fresh).not.toContain('PERCENT-COMPLETE');
    // Written again unchanged: the same text.
    expect(todoToIcal(input, parseCalendarObject(fresh), context)).toBe(fresh);
    const started = contentLines(todoToIcal({ ...input, percentComplete: 0 }, null, context));
    expect(started).toEqual(expect.arrayContaining(['PERCENT-COMPLETE:0', 'STATUS:NEEDS-ACTION']));
    const base = parseCalendarObject(fixture('todo.ics'));
    const cleared = contentLines(todoToIcal({ ...todoToActivity(base), percentComplete: null }, base, context));
    expect(cleared.some((line) => line.startsWith('PERCENT-COMPLETE'))).toBe(false);
    expect(cleared).toContain('STATUS:NEEDS-ACTION');
    expect(todoToActivity(parseCalendarObject(todoToIcal({ ...input, percentComplete: 35 }, null, context)))).toMatchObject({ status: 'open', percentComplete: 35 });
  });

  it('leaves a completed to-do without PERCENT-COMPLETE as it is when the CRM says completed at 100 %', () => {
    const done = fixture('todo.ics').replace('STATUS:IN-PROCESS', 'STATUS:COMPLETED').replace('PERCENT-COMPLETE:40', 'COMPLETED:20240603T080000Z');
    const base = parseCalendarObject(done);
    const read = todoToActivity(base);
    expect(read).toMatchObject({ status: 'completed', percentComplete: 100 });
    const lines = contentLines(todoToIcal(read, base, context));
    expect(lines.some((line) => line.startsWith('PERCENT-COMPLETE'))).toBe(false);
    expect(lines).toEqual(expect.arrayContaining(['STATUS:COMPLETED', 'COMPLETED:20240603T080000Z']));
  });

  it('writes a new follow-up with an all-day DUE, and reads it back', () => {
    const input: TodoActivityInput = { kind: 'follow_up', subject: 'Call back', start: null, due: '2024-06-20T00:00:00.000Z', allDay: true, timeZone: null, status: 'open', priority: 'low', bodyText: null };
    const text = todoToIcal(input, null, { ...context, trackCategory: 'CRM' });
    const lines = contentLines(text);
    expect(lines).toEqual(expect.arrayContaining(['BEGIN:VTODO', 'UID:task-uid-1', 'DTSTAMP:20240602T100000Z', 'SUMMARY:Call back', 'DUE;VALUE=DATE:20240620', 'STATUS:NEEDS-ACTION', 'PRIORITY:9', 'X-CRM-BRIDGE-KIND:follow_up', 'CATEGORIES:CRM', 'SEQUENCE:0']));
    expect(todoToActivity(parseCalendarObject(text))).toMatchObject({ kind: 'follow_up', due: '2024-06-20T00:00:00.000Z', allDay: true, priority: 'low', status: 'open', categories: ['CRM'] });
  });

  it('reads COMPLETED without STATUS as completed, and CANCELLED', () => {
    const done = fixture('todo.ics').replace('STATUS:IN-PROCESS\r\n', '').replace('PERCENT-COMPLETE:40', 'COMPLETED:20240603T080000Z');
    // Completed implies 100 % when PERCENT-COMPLETE is absent (RFC 5545 §3.8.1.8).
    expect(todoToActivity(parseCalendarObject(done))).toMatchObject({ status: 'completed', completedAt: '2024-06-03T08:00:00.000Z', percentComplete: 100 });
    const cancelled = fixture('todo.ics').replace('STATUS:IN-PROCESS', 'STATUS:CANCELLED');
    expect(todoToActivity(parseCalendarObject(cancelled)).status).toBe('cancelled');
  });
});
