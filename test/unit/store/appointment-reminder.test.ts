import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appointmentInputSchema, appointmentPatchSchema, appointmentToActivity } from '../../../src/domain/appointment.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

// An appointment's reminderMinutes (RFC 5545 §3.6.6 VALARM, minutes before the start).
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('activities reminderMinutes', () => {
  it('is stored and read back, kept by other changes, changed and cleared by a change that states it', async () => {
    const input = appointmentInputSchema.parse({ owner: 'alice', subject: 'Call', start: '2026-12-01T10:00:00Z', end: '2026-12-01T10:30:00Z', reminderMinutes: 15 });
    // No user 'alice' in this store: the write is kept without an owner.
    const appointment = await t.store.activities.create({ ...appointmentToActivity(input), owner: null });
    expect(appointment.reminderMinutes).toBe(15);
    expect((await t.store.activities.get(appointment.id))!.reminderMinutes).toBe(15);
    expect((await t.store.activities.update(appointment.id, { subject: 'Call v2' })).reminderMinutes).toBe(15);
    expect((await t.store.activities.update(appointment.id, { reminderMinutes: 0 })).reminderMinutes).toBe(0);
    expect((await t.store.activities.update(appointment.id, { reminderMinutes: null })).reminderMinutes).toBeNull();
    expect((await t.store.activities.get(appointment.id))!.reminderMinutes).toBeNull();

    const plain = appointmentToActivity(appointmentInputSchema.parse({ owner: 'alice', subject: 'Lunch', start: '2026-12-01T12:00:00Z', end: '2026-12-01T13:00:00Z' }));
    expect((await t.store.activities.create({ ...plain, owner: null })).reminderMinutes).toBeNull();
  });

  it('accepts whole minutes from 0 to four weeks in the API input and patch', () => {
    const base = { owner: 'alice', subject: 'Call', start: '2026-12-01T10:00:00Z', end: '2026-12-01T10:30:00Z' };
    expect(appointmentInputSchema.safeParse({ ...base, reminderMinutes: 40320 }).success).toBe(true);
    expect(appointmentInputSchema.safeParse({ ...base, reminderMinutes: 40321 }).success).toBe(false);
    expect(appointmentInputSchema.safeParse({ ...base, reminderMinutes: -1 }).success).toBe(false);
    expect(appointmentInputSchema.safeParse({ ...base, reminderMinutes: 7.5 }).success).toBe(false);
    expect(appointmentPatchSchema.parse({ reminderMinutes: null })).toEqual({ reminderMinutes: null });
    expect(appointmentPatchSchema.parse({ reminderMinutes: 30 })).toEqual({ reminderMinutes: 30 });
  });
});
