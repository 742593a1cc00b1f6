import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHarness } from '../../support/api-server.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api.close());

describe('authentication', () => {
  it('answers 401 with a stable code without a token or with a wrong one, on every API route', async () => {
    for (const [method, path] of [['GET', '/api/v1/contacts'], ['POST', '/api/v1/accounts'], ['GET', '/api/v1/changes'], ['DELETE', '/api/v1/leads/x'], ['GET', '/api/v1/nope'], ['GET', '/api/v2/anything']] as const) {
      const missing = await api.call(method, path, { token: null });
      expect(missing.status, `${method} ${path}`).toBe(401);
      expect(missing.body).toMatchObject({ code: 'UNAUTHORIZED' });
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await api.call(method, path, { token: 'wrong-token-0123456789' })).status).toBe(401);
    }
  });

  it('serves health, readiness and the OpenAPI document without a token', async () => {
    expect(await api.call('GET', '/healthz', { token: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await api.call('GET', '/readyz', { token: null })).toMatchObject({ status: 200, body: { status: 'ready' } });
    expect((await api.call('GET', '/api/v1/openapi.json', { token: null })).status).toBe(200);
  });

  it('has a favicon: an SVG under the admin assets, and /favicon.ico pointing at it', async () => {
    const ico = await api.call('GET', '/favicon.ico', { token: null });
    expect(ico.status).toBe(301);
    expect(ico.headers.get('location')).toBe('/admin/assets/favicon.svg');
    const svg = await fetch(`${api.url}/admin/assets/favicon.svg`);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await svg.text()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(await (await fetch(`${api.url}/admin/login`)).text()).toContain('<link rel="icon" type="image/svg+xml" href="/admin/assets/favicon.svg">');
  });
});

describe('CRUD for every record type', () => {
  const cases = [
    { resource: 'accounts', create: { name: 'Acme', domains: ['acme.com'] }, patch: { name: 'Acme Corp' }, check: { name: 'Acme Corp' } },
    { resource: 'contacts', create: { firstName: 'Ada', lastName: 'Lovelace', emails: ['ada@acme.com'], owner: 'alice' }, patch: { title: 'Countess' }, check: { title: 'Countess', displayName: 'Ada Lovelace' } },
    { resource: 'leads', create: { email: 'new@prospect.com', company: 'Prospect' }, patch: { status: 'qualified' }, check: { status: 'qualified' } },
    { resource: 'opportunities', create: { name: 'Big deal', amount: 5000 }, patch: { stage: 'won' }, check: { stage: 'won' } },
    { resource: 'activities', create: { kind: 'task', subject: 'Call Ada', due: '2026-12-01T09:00:00Z' }, patch: { status: 'completed' }, check: { status: 'completed' } },
  ];
  for (const testCase of cases) {
    it(`creates, reads, lists, updates and deletes ${testCase.resource}`, async () => {
      const created = await api.call('POST', `/api/v1/${testCase.resource}`, { body: testCase.create });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect(await api.call('GET', `/api/v1/${testCase.resource}/${id}`)).toMatchObject({ status: 200, body: { id } });
      const list = await api.call('GET', `/api/v1/${testCase.resource}?limit=500`);
      expect(list.status).toBe(200);
      expect(list.body.items.map((item: { id: string }) => item.id)).toContain(id);
      const updated = await api.call('PATCH', `/api/v1/${testCase.resource}/${id}`, { body: testCase.patch });
      expect(updated).toMatchObject({ status: 200, body: testCase.check });
      expect((await api.call('DELETE', `/api/v1/${testCase.resource}/${id}`)).status).toBe(204);
      expect(await api.call('GET', `/api/v1/${testCase.resource}/${id}`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
      expect((await api.call('DELETE', `/api/v1/${testCase.resource}/${id}`)).status).toBe(404);
      expect((await api.call('PATCH', `/api/v1/${testCase.resource}/${id}`, { body: testCase.patch })).status).toBe(404);
    });
  }
});

describe('validation', () => {
  it('answers 400 naming the field path', async () => {
    const bad = await api.call('POST', '/api/v1/contacts', { body: { firstName: 'X', emails: ['ok@example.com', 'not-an-address'] } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'emails[1]' }] });
    expect(bad.body.error).toMatch(/^emails\[1\]: /);

    const nested = await api.call('POST', '/api/v1/activities', { body: { kind: 'email_in', subject: 's', parties: [{ role: 'boss', address: 'a@b.co' }] } });
    expect(nested.body.details[0].path).toBe('parties[0].role');

    expect((await api.call('POST', '/api/v1/contacts', { body: { firstName: 'X', shoeSize: 42 } })).body.details).toEqual([{ path: 'shoeSize', message: 'unknown field' }]);
    expect((await api.call('POST', '/api/v1/activities', { body: { kind: 'party', subject: 's' } })).body.details[0].path).toBe('kind');
    expect((await api.call('POST', '/api/v1/contacts', { body: '{"firstName":' })).body).toMatchObject({ code: 'INVALID_INPUT' });
    expect((await api.call('POST', '/api/v1/contacts', { body: {} })).status).toBe(400);
    expect((await api.call('GET', '/api/v1/contacts?limit=0')).body.details[0].path).toBe('limit');
    expect((await api.call('GET', '/api/v1/activities?since=yesterday')).body.details[0].path).toBe('since');
    expect((await api.call('POST', '/api/v1/activities', { body: { kind: 'meeting', subject: 's', start: '2026-12-01T10:00:00Z', end: '2026-12-01T09:00:00Z' } })).body.details[0].path).toBe('end');
    expect((await api.call('POST', '/api/v1/contacts', { body: { firstName: 'X', owner: 'ghost' } })).body).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'owner' }] });
  });

  it('refuses control characters in single-line fields with 400 INVALID_INPUT naming the field; multi-line fields keep their lines', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['/api/v1/contacts', { lastName: 'Eve\r\nEMAIL:evil@attacker.example' }, 'lastName'],
      ['/api/v1/contacts', { firstName: 'Eve', company: 'Acme\rTEL:+1555' }, 'company'],
      ['/api/v1/contacts', { displayName: 'Eve\nX', emails: ['eve@example.org'] }, 'displayName'],
      ['/api/v1/contacts', { firstName: 'Eve', title: 'Boss\u2028X' }, 'title'],
      ['/api/v1/leads', { email: 'l@example.org', company: 'Co\u0000' }, 'company'],
      ['/api/v1/accounts', { name: 'Acme\r\nX' }, 'name'],
      ['/api/v1/opportunities', { name: 'Deal\u0085X' }, 'name'],
      ['/api/v1/activities', { kind: 'task', subject: 'Call\rATTENDEE:mailto:x@attacker.example' }, 'subject'],
      ['/api/v1/activities', { kind: 'meeting', subject: 's', location: 'Room\n1' }, 'location'],
      ['/api/v1/activities', { kind: 'email_in', subject: 's', parties: [{ role: 'from', address: 'a@b.co', name: 'A\r\nB' }] }, 'parties[0].name'],
    ];
    for (const [path, body, field] of cases) {
      const response = await api.call('POST', path, { body });
      expect(response.status, `${path} ${field}`).toBe(400);
      expect(response.body).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: field, message: expect.stringMatching(/single line.*found U\+/) }] });
    }
    const contact = await api.call('POST', '/api/v1/contacts', { body: { firstName: 'Ok' } });
    expect((await api.call('PATCH', `/api/v1/contacts/${contact.body.id}`, { body: { lastName: 'Eve\rEMAIL:x@y' } })).body).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'lastName' }] });
    // TAB is no line break (RFC 5545 §3.3.11 allows it in text), and a multi-line body keeps its lines.
    expect((await api.call('POST', '/api/v1/contacts', { body: { firstName: 'Tab\there' } })).status).toBe(201);
    const task = await api.call('POST', '/api/v1/activities', { body: { kind: 'task', subject: 'Call', bodyText: 'line one\r\nline two' } });
    expect(task).toMatchObject({ status: 201, body: { bodyText: 'line one\r\nline two' } });
  });

  it('answers 404 for unknown routes and ids with a JSON error', async () => {
    expect(await api.call('GET', '/api/v1/contacts/con_doesnotexist')).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await api.call('GET', '/api/v1/widgets')).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });

  it('rejects hostile input: huge bodies and odd ids', async () => {
    const huge = await api.call('POST', '/api/v1/contacts', { body: JSON.stringify({ firstName: 'x'.repeat(11 * 1024 * 1024) }) });
    expect(huge).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    expect((await api.call('GET', `/api/v1/contacts/${encodeURIComponent("x' or 1=1 --")}`)).status).toBe(400);
    expect((await api.call('POST', '/api/v1/contacts', { body: { displayName: 'x'.repeat(501) } })).body.details[0].path).toBe('displayName');
  });
});

describe('activities', () => {
  it('sets regarding through POST /activities/:id/regarding and filters by it', async () => {
    const deal = (await api.call('POST', '/api/v1/opportunities', { body: { name: 'Regarding deal' } })).body;
    const activity = (await api.call('POST', '/api/v1/activities', { body: { kind: 'email_in', subject: 'Re: offer', messageId: '<x1@example.com>' } })).body;
    const set = await api.call('POST', `/api/v1/activities/${activity.id}/regarding`, { body: { type: 'opportunity', id: deal.id } });
    expect(set).toMatchObject({ status: 200, body: { regarding: { type: 'opportunity', id: deal.id } } });
    expect((await api.call('GET', `/api/v1/activities?regarding=${deal.id}`)).body.items.map((item: { id: string }) => item.id)).toEqual([activity.id]);
    expect((await api.call('POST', `/api/v1/activities/${activity.id}/regarding`, { body: { type: 'opportunity', id: 'opp_missing' } })).status).toBe(400);
    expect((await api.call('POST', '/api/v1/activities/act_missing/regarding', { body: { type: 'opportunity', id: deal.id } })).status).toBe(404);
    const cleared = await api.call('PATCH', `/api/v1/activities/${activity.id}`, { body: { regarding: null } });
    expect(cleared.body.regarding).toBeNull();
  });

  it('returns every contract field of an activity', async () => {
    const activity = (await api.call('POST', '/api/v1/activities', { body: { kind: 'appointment', subject: 'Visit', owner: 'alice', start: '2026-12-02T10:00:00Z', end: '2026-12-02T11:00:00Z' } })).body;
    for (const field of ['id', 'kind', 'subject', 'owner', 'start', 'end', 'due', 'status', 'busyStatus', 'messageId', 'inReplyTo', 'threadId', 'regarding', 'parties', 'correlation', 'queue', 'sources', 'createdAt', 'updatedAt']) {
      expect(activity, field).toHaveProperty(field);
    }
    expect(activity).toMatchObject({ busyStatus: 'busy', status: 'open', correlation: null, queue: null });
  });
});

describe('change feed', () => {
  it('lists changes after N in order and pages with next/hasMore', async () => {
    const start = (await api.call('GET', '/api/v1/changes?after=0&limit=1000')).body.next as number;
    const contact = (await api.call('POST', '/api/v1/contacts', { body: { displayName: 'Feed Person', emails: ['feed@example.com'] } })).body;
    await api.call('PATCH', `/api/v1/contacts/${contact.id}`, { body: { active: false } });
    await api.call('DELETE', `/api/v1/contacts/${contact.id}`);
    const first = await api.call('GET', `/api/v1/changes?after=${start}&limit=2`);
    expect(first.body.items.map((change: { op: string }) => change.op)).toEqual(['created', 'updated']);
    expect(first.body).toMatchObject({ next: start + 2, hasMore: true });
    expect(first.body.items[0]).toMatchObject({ seq: start + 1, entity: 'contact', id: contact.id, data: { displayName: 'Feed Person' } });
    const second = await api.call('GET', `/api/v1/changes?after=${first.body.next}`);
    expect(second.body).toMatchObject({ items: [{ op: 'deleted', data: null }], next: start + 3, hasMore: false });
    expect((await api.call('GET', `/api/v1/changes?after=${start + 3}`)).body).toEqual({ items: [], next: start + 3, hasMore: false });
  });
});

describe('webhooks API', () => {
  it('registers an endpoint, returns its secret once, and shows its delivery log', async () => {
    const created = await api.call('POST', '/api/v1/webhooks', { body: { url: 'https://crm.example.com/hook', events: ['contact.*'] } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const fetched = await api.call('GET', `/api/v1/webhooks/${created.body.id}`);
    expect(fetched.body).not.toHaveProperty('secret');
    expect((await api.call('GET', `/api/v1/webhooks/${created.body.id}/deliveries`)).body).toEqual({ items: [] });
    expect((await api.call('POST', '/api/v1/webhooks', { body: { url: 'ftp://x', events: ['nope!'] } })).body.details.map((d: { path: string }) => d.path)).toEqual(['url', 'events[0]']);
    expect((await api.call('DELETE', `/api/v1/webhooks/${created.body.id}`)).status).toBe(204);
  });
});

describe('OpenAPI document', () => {
  it('describes every route with its schemas, generated from the validation schemas', async () => {
    const doc = (await api.call('GET', '/api/v1/openapi.json', { token: null })).body;
    expect(doc.openapi).toBe('3.0.3');
    for (const resource of ['accounts', 'contacts', 'leads', 'opportunities', 'activities']) {
      expect(Object.keys(doc.paths[`/api/v1/${resource}`])).toEqual(['get', 'post']);
      expect(Object.keys(doc.paths[`/api/v1/${resource}/{id}`])).toEqual(['get', 'patch', 'delete']);
    }
    expect(doc.paths['/api/v1/activities/{id}/regarding'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Regarding' });
    expect(doc.paths['/api/v1/changes'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['after', 'limit']);
    const contactInput = doc.components.schemas.ContactInput;
    expect(contactInput.properties.emails.items.format).toBe('email');
    expect(contactInput.additionalProperties).toBe(false);
    expect(doc.components.schemas.Activity.properties.kind.enum).toEqual(['email_in', 'email_out', 'appointment', 'meeting', 'task', 'follow_up']);
    // Every $ref points at a component that exists.
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[A-Za-z]+"/g) ?? [];
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref.slice('"#/components/schemas/'.length, -1));
  });
});

describe('operations endpoints', () => {
  it('exposes Prometheus metrics with bounded route labels', async () => {
    await api.call('GET', '/api/v1/contacts/con_123');
    const metrics = await api.call('GET', '/metrics', { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('crm_bridge_http_requests_total{method="GET",route="/api/v1/contacts/:id",status="404"}');
    expect(metrics.body).toContain('crm_bridge_change_feed_seq');
    expect(metrics.body).not.toContain('con_123');
  });
});
