// users[].calendar.busyStatusMap (issue 7 point 3): how the CRM's busy statuses show in a user's
// calendar. The engine compares in "calendar space", so a mapped status that reads back as written
// is no client edit; a real client edit reaches the CRM as the calendar's value.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extraOf, userDocumentFromForm } from '../../../../src/admin/entry-forms.js';
import { userConfigSchema } from '../../../../src/config/schema.js';
import { syncCalendars, type CalendarSpec } from '../../../../src/sync/calendar/calendar-sync.js';
import type { BusyStatusMap } from '../../../../src/sync/calendar/fields.js';
import { resetUserSync } from '../../../../src/sync/reset-user-sync.js';
import { createTestStore, type TestStore } from '../../../support/memory-store.js';
import { aliceSpec } from './alice-spec.js';
import { MemoryDav } from '../../../support/memory-dav.js';

const hour = 3_600_000;
const baseSpec: CalendarSpec = aliceSpec;

const identity: BusyStatusMap = { free: 'free', tentative: 'tentative', busy: 'busy', oof: 'oof' };
const unfolded = (data: string) => data.replace(/\r\n[ \t]/g, '');

let t: TestStore;
let dav: MemoryDav;
beforeEach(async () => {
  t = await createTestStore();
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
  dav = new MemoryDav();
});
afterEach(async () => t.close());

function runner(map: Partial<BusyStatusMap>) {
  const spec: CalendarSpec = { ...baseSpec, busyStatusMap: { ...identity, ...map } };
  const deps = { store: t.store, connector: dav, log: pino({ level: 'silent' }), users: [{ id: 'alice', email: 'alice@example.com' }] };
  return () => syncCalendars(spec, deps, new AbortController().signal);
}

async function appointment(subject: string, busyStatus: 'free' | 'tentative' | 'busy' | 'oof') {
  const start = new Date(Math.ceil(Date.now() / hour) * hour + 24 * hour);
  return t.store.activities.create({ kind: 'appointment', owner: 'alice', subject, start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString(), busyStatus });
}

function objectOf(activityId: string) {
  const calendar = [...dav.collections.keys()][0]!;
  const found = dav.objects(calendar).find((object) => object.href.endsWith(`crm-bridge-${activityId}.ics`));
  expect(found, `calendar object of ${activityId}`).toBeDefined();
  return found!;
}

describe('busy-status mapping (users[].calendar.busyStatusMap)', () => {
  it('config: identity by default, partial maps keep the other statuses, unknown values and keys are refused', () => {
    const user = { id: 'alice', name: 'Alice', email: 'alice@example.com' };
    expect(userConfigSchema.parse(user).calendar.busyStatusMap).toEqual(identity);
    expect(userConfigSchema.parse({ ...user, calendar: { busyStatusMap: { oof: 'busy' } } }).calendar.busyStatusMap).toEqual({ ...identity, oof: 'busy' });
    expect(userConfigSchema.safeParse({ ...user, calendar: { busyStatusMap: { oof: 'away' } } }).success).toBe(false);
    expect(userConfigSchema.safeParse({ ...user, calendar: { busyStatusMap: { away: 'busy' } } }).success).toBe(false);
  });

  it('the admin user form carries the map in its "more settings" YAML, both ways', () => {
    const body = { id: 'alice', name: 'Alice', email: 'alice@example.com', 'calendar.crmCalendar': 'CRM', extra: 'calendar:\n  busyStatusMap:\n    oof: busy\n' };
    const { document, errors } = userDocumentFromForm(body);
    expect(errors).toEqual([]);
    expect(document['calendar']).toEqual({ busyStatusMap: { oof: 'busy' }, crmCalendar: 'CRM' });
    expect(userConfigSchema.parse(document).calendar.busyStatusMap).toEqual({ ...identity, oof: 'busy' });
    expect(extraOf(document)).toContain('busyStatusMap:\n    oof: busy');
    expect(userDocumentFromForm({ ...body, extra: 'calendar:\n  busyStatusMap:\n    oof: away\n' }).errors.map((error) => error.path).join(' ')).toContain('busyStatusMap');
  });

  it('writes a CRM oof as busy, a second pass changes nothing and the CRM keeps oof', async () => {
    const run = runner({ oof: 'busy' });
    const activity = await appointment('Away', 'oof');
    expect((await run()).itemErrors).toBe(0);
    const written = unfolded(objectOf(activity.id).data);
    expect(written).not.toMatch(/X-MICROSOFT-CDO-BUSYSTATUS/);
    expect(written).not.toMatch(/TRANSP:TRANSPARENT|STATUS:TENTATIVE/);
    const etag = objectOf(activity.id).etag;
    expect(await run()).toEqual({ changed: 0, itemErrors: 0 });
    expect(objectOf(activity.id).etag).toBe(etag);
    expect((await t.store.activities.get(activity.id))!.busyStatus).toBe('oof');

    // An unrelated client edit is merged without touching the CRM's status.
    const object = objectOf(activity.id);
    dav.write(object.href, object.data.replace(/^SUMMARY:.*$/m, 'SUMMARY:Away all day'));
    await run();
    const after = (await t.store.activities.get(activity.id))!;
    expect(after.subject).toBe('Away all day');
    expect(after.busyStatus).toBe('oof');
    expect(await run()).toEqual({ changed: 0, itemErrors: 0 });
  });

  it('a client change of the status reaches the CRM as the calendar’s value', async () => {
    const run = runner({ oof: 'busy' });
    const activity = await appointment('Away', 'oof');
    await run();
    const object = objectOf(activity.id);
    // busy -> free in the client: TRANSP:TRANSPARENT (RFC 5545 §3.8.2.7).
    expect(object.data).toMatch(/^TRANSP:OPAQUE\r$/m);
    dav.write(object.href, object.data.replace(/^TRANSP:OPAQUE\r$/m, 'TRANSP:TRANSPARENT\r'));
    expect((await run()).itemErrors).toBe(0);
    expect((await t.store.activities.get(activity.id))!.busyStatus).toBe('free');
    expect(await run()).toEqual({ changed: 0, itemErrors: 0 });
    expect(unfolded(objectOf(activity.id).data)).toMatch(/TRANSP:TRANSPARENT/);
  });

  it('a CRM change is written mapped (tentative shown as busy) and the CRM keeps its own value', async () => {
    const run = runner({ oof: 'busy', tentative: 'busy' });
    const activity = await appointment('Maybe', 'free');
    await run();
    expect(unfolded(objectOf(activity.id).data)).toMatch(/TRANSP:TRANSPARENT/);
    await t.store.activities.update(activity.id, { busyStatus: 'tentative' });
    expect((await run()).itemErrors).toBe(0);
    const written = unfolded(objectOf(activity.id).data);
    expect(written).not.toMatch(/TRANSP:TRANSPARENT/);
    expect(written).not.toMatch(/STATUS:TENTATIVE/);
    expect((await t.store.activities.get(activity.id))!.busyStatus).toBe('tentative');
    expect(await run()).toEqual({ changed: 0, itemErrors: 0 });
  });

  it('without a mapping for it a status is written as itself', async () => {
    const run = runner({ oof: 'busy' });
    const activity = await appointment('Maybe', 'tentative');
    await run();
    expect(unfolded(objectOf(activity.id).data)).toMatch(/STATUS:TENTATIVE/);
  });

  it('a changed map reaches unchanged items after a reset of the calendar sync, without duplicates', async () => {
    const activity = await appointment('Away', 'oof');
    await runner({})();
    expect(objectOf(activity.id).data).toMatch(/X-MICROSOFT-CDO-BUSYSTATUS:OOF/);
    await resetUserSync(t.store, 'alice', 'calendar');
    const run = runner({ oof: 'busy' });
    expect((await run()).itemErrors).toBe(0);
    expect(objectOf(activity.id).data).not.toMatch(/X-MICROSOFT-CDO-BUSYSTATUS/);
    expect(dav.objects([...dav.collections.keys()][0]!)).toHaveLength(1);
    expect((await t.store.activities.get(activity.id))!.busyStatus).toBe('oof');
    expect(await run()).toEqual({ changed: 0, itemErrors: 0 });
  });

  it('imports an event created in the calendar with the calendar’s status as is', async () => {
    const run = runner({ oof: 'busy' });
    await run();
    const calendar = [...dav.collections.keys()][0]!;
    const start = new Date(Math.ceil(Date.now() / hour) * hour + 48 * hour);
    const d = (date: Date) => date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    dav.write(
      `${calendar}client-oof.ics`,
      ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VEVENT', 'UID:client-oof', `DTSTAMP:${d(new Date())}`, `DTSTART:${d(start)}`, `DTEND:${d(new Date(start.getTime() + hour))}`, 'SUMMARY:Holiday', 'X-MICROSOFT-CDO-BUSYSTATUS:OOF', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n'),
    );
    expect((await run()).itemErrors).toBe(0);
    const imported = (await t.store.activities.list({ owner: 'alice' }, { limit: 10 })).items.find((item) => item.subject === 'Holiday');
    expect(imported?.busyStatus).toBe('oof');
    expect(await run()).toEqual({ changed: 0, itemErrors: 0 });
    expect(dav.object(`${calendar}client-oof.ics`)!.data).toMatch(/X-MICROSOFT-CDO-BUSYSTATUS:OOF/);
  });
});
