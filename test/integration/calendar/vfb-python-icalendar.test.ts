// Issue 5 point 6: the published VFREEBUSY must be readable by Python's icalendar too, not only by
// ical.js: Debian's python3-icalendar (installed by `npm test` like the servers) parses what
// GET /freebusy/<user>.vfb serves, and finds the same periods with their FBTYPE.

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyConfig } from '../../../src/store/apply-config.js';
import { assertServerPackages } from '../../servers/ensure-packages.mjs';
import { startApi, type ApiHarness } from '../../support/api-server.js';

const readWithPython = `
import sys, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.read())
for fb in cal.walk('VFREEBUSY'):
    print('ORGANIZER', str(fb.get('ORGANIZER')))
    props = fb.get('FREEBUSY')
    props = props if isinstance(props, list) else [props]
    for prop in props:
        start, end = prop.start, prop.end
        print(prop.params.get('FBTYPE', 'BUSY'), start.isoformat(), end.isoformat())
`;

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ users: [{ id: 'alice', name: 'Alice, "The" Example', email: 'alice@example.com' }] });
  await applyConfig(api.t.store, api.config);
});
afterAll(async () => api.close());

const inDays = (days: number, hour: number) => {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() + days);
  date.setUTCHours(hour, 0, 0, 0);
  return date;
};

describe('published free/busy read by Python icalendar', () => {
  it('parses, names the owner, and lists every period with its FBTYPE', async () => {
    const python = assertServerPackages().icalendarPython;
    await api.call('POST', '/api/v1/appointments', { body: { owner: 'alice', subject: 'Busy', start: inDays(1, 9).toISOString(), end: inDays(1, 10).toISOString() } });
    await api.call('POST', '/api/v1/appointments', { body: { owner: 'alice', subject: 'Maybe', start: inDays(2, 9).toISOString(), end: inDays(2, 10).toISOString(), busyStatus: 'tentative' } });
    await api.call('POST', '/api/v1/appointments', { body: { owner: 'alice', subject: 'Away', start: inDays(3, 8).toISOString(), end: inDays(3, 17).toISOString(), busyStatus: 'oof' } });
    const file = await api.call('GET', '/freebusy/alice@example.com.vfb');
    expect(file.status).toBe(200);
    const out = execFileSync(python, ['-c', readWithPython], { input: file.body as string, encoding: 'utf8' }).trim().split('\n');
    const iso = (date: Date) => date.toISOString().replace('.000Z', '+00:00');
    expect(out).toEqual([
      'ORGANIZER mailto:alice@example.com',
      `BUSY ${iso(inDays(1, 9))} ${iso(inDays(1, 10))}`,
      `BUSY-TENTATIVE ${iso(inDays(2, 9))} ${iso(inDays(2, 10))}`,
      `BUSY-UNAVAILABLE ${iso(inDays(3, 8))} ${iso(inDays(3, 17))}`,
    ]);
  });
});
