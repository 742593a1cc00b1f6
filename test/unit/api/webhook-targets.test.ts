import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import type { BridgeError } from '../../../src/domain/errors.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';

// Registration of webhook targets: no credentials in the URL ever; IP literals on loopback,
// link-local or private networks refused unless allowed (names are judged at delivery, see
// test/unit/webhooks/dispatcher.test.ts).

let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const register = (harness: ApiHarness, url: string) => harness.call('POST', '/api/v1/webhooks', { body: { url } });

describe('webhook registration', () => {
  it('refuses a URL with user:password with a 400 naming the url', async () => {
    api = await startApi({ webhookDelivery: { allowPrivateNetworks: true } });
    for (const url of ['https://crm:s3cret@crm.example.com/hook', 'https://token@crm.example.com/hook']) {
      const refused = await register(api, url);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'url', message: expect.stringContaining('must not contain a user name or password') }] });
    }
    expect((await api.call('GET', '/api/v1/webhooks')).body.items).toEqual([]);
  });

  it('refuses loopback, link-local, private and unspecified IP literals by default, and takes names and public addresses', async () => {
    api = await startApi();
    for (const url of ['http://127.0.0.1:8080/hook', 'http://[::1]/hook', 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.5/hook', 'http://192.168.1.10/hook', 'http://[fd00::1]/hook', 'http://0.0.0.0/hook', 'http://[::ffff:127.0.0.1]/hook']) {
      const refused = await register(api, url);
      expect({ url, status: refused.status, path: refused.body.details?.[0]?.path }).toEqual({ url, status: 400, path: 'url' });
      expect(refused.body.error).toMatch(/is a (loopback|link-local|private|unspecified) address: webhooks to loopback, link-local and private networks are refused/);
    }
    expect((await register(api, 'https://crm.example.com/hook')).status).toBe(201);
    expect((await register(api, 'https://93.184.215.14/hook')).status).toBe(201);
  });

  it('takes private targets with webhookDelivery.allowPrivateNetworks, or the host and port the configuration file names', async () => {
    api = await startApi({ webhookDelivery: { allowPrivateNetworks: true } });
    expect((await register(api, 'http://127.0.0.1:8080/hook')).status).toBe(201);
    await api.close();
    api = await startApi({ webhooks: [{ id: 'crm', url: 'http://10.0.0.5:8080/crm-hook', secret: 'webhook-secret-0123456789' }] });
    expect((await register(api, 'http://10.0.0.5:8080/other-hook')).status).toBe(201);
    expect((await register(api, 'http://10.0.0.5:8081/other-hook')).status).toBe(400);
  });

  it('refuses user:password in a configured webhook URL, naming the key path', () => {
    let details: string[] = [];
    try {
      parseConfigText('webhooks:\n  - { id: crm, url: "https://u:p@crm.example.com/hook", secret: webhook-secret-0123456789 }\n', {});
    } catch (error) {
      details = (error as BridgeError).details.map((detail) => `${detail.path}: ${detail.message}`);
    }
    expect(details).toEqual([expect.stringMatching(/^webhooks\[0\]\.url: must not contain a user name or password/)]);
    expect(parseConfigText('webhookDelivery: { allowPrivateNetworks: "true" }\n', {}).config.webhookDelivery.allowPrivateNetworks).toBe(true);
    expect(parseConfigText('', {}).config.webhookDelivery.allowPrivateNetworks).toBe(false);
  });
});
