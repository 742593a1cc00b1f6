// POST /api/v1/discover against real DNS and HTTP on loopback: a DNS server of the harness
// (test/servers/dns.ts) holds SRV and TXT records of test domains that point at the harness's Cyrus
// (IMAP with TLS, CalDAV), and an HTTP server serves a Mozilla autoconfig document for another
// domain. The proposals must be what the records say, and good enough to log in with.

import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CalDavConnector } from '../../../adapters/caldav/index.js';
import { NetworkDiscoveryLookup } from '../../../adapters/discovery/index.js';
import { ImapConnector } from '../../../adapters/imap/index.js';
import { createCyrusUser } from '../../servers/cyrus.js';
import { startDnsServer, type DnsRecord, type DnsServer } from '../../servers/dns.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';

const servers = inject('servers');
const { cyrus } = servers;
let dns: DnsServer;
let http: Server;
let api: ApiHarness;
const documents: string[] = [];

function autoconfigXml(domain: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="${domain}">
    <domain>${domain}</domain>
    <incomingServer type="pop3"><hostname>pop.${domain}</hostname><port>995</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username></incomingServer>
    <incomingServer type="imap"><hostname>127.0.0.1</hostname><port>${cyrus.imapPort}</port><socketType>plain</socketType><username>%EMAILLOCALPART%</username></incomingServer>
    <incomingServer type="imap"><hostname>127.0.0.1</hostname><port>${cyrus.imapPort}</port><socketType>STARTTLS</socketType><username>%EMAILLOCALPART%</username></incomingServer>
    <outgoingServer type="smtp"><hostname>smtp.%EMAILDOMAIN%</hostname><port>587</port><socketType>STARTTLS</socketType><username>%EMAILADDRESS%</username></outgoingServer>
  </emailProvider>
</clientConfig>`;
}

beforeAll(async () => {
  const zone = new Map<string, DnsRecord[]>([
    // Two IMAP records: the lower priority wins (RFC 2782).
    ['_imaps._tcp.srv.example.test', [{ type: 'SRV', priority: 20, weight: 0, port: 1, target: '127.0.0.1' }, { type: 'SRV', priority: 10, weight: 5, port: cyrus.imapsPort, target: '127.0.0.1' }]],
    ['_submission._tcp.srv.example.test', [{ type: 'SRV', priority: 0, weight: 0, port: servers.smtp.port, target: '127.0.0.1' }]],
    ['_caldav._tcp.srv.example.test', [{ type: 'SRV', priority: 0, weight: 0, port: cyrus.httpPort, target: '127.0.0.1' }, { type: 'TXT', strings: ['path=/'] }]],
    // "." : the service is explicitly not offered (RFC 2782).
    ['_carddavs._tcp.srv.example.test', [{ type: 'SRV', priority: 0, weight: 0, port: 0, target: '.' }]],
    ['srv.example.test', [{ type: 'A', address: '127.0.0.1' }]],
  ]);
  dns = await startDnsServer(zone);
  http = createServer((req, res) => {
    documents.push(req.url ?? '');
    const domain = /^\/([^/]+)\/config-v1\.1\.xml/.exec(req.url ?? '')?.[1];
    // A document larger than any real one (256 KiB): treated as none, however it goes on.
    if (domain === 'huge.example.test') return void res.writeHead(200, { 'content-type': 'application/xml' }).end(autoconfigXml(domain).replace('<domain>', `<!--${'x'.repeat(300 * 1024)}--><domain>`));
    if (domain !== 'autoconfig.example.test') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/xml' }).end(autoconfigXml(domain));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  api = await startApi(
    { discovery: { dnsServers: [dns.address], autoconfigUrls: [`http://127.0.0.1:${port}/{domain}/config-v1.1.xml?emailaddress={email}`] } },
    { discovery: new NetworkDiscoveryLookup({ dnsServers: [dns.address] }) },
  );
});

afterAll(async () => {
  await api?.close();
  await dns?.stop();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
});

describe('POST /api/v1/discover', () => {
  it('proposes IMAP, SMTP and CalDAV from SRV records, and the IMAP and CalDAV proposals log in', async () => {
    const user = await createCyrusUser(servers, 'disc');
    const answer = await api.call('POST', '/api/v1/discover', { body: { email: `${user.username}@srv.example.test` } });
    expect(answer.status).toBe(200);
    const email = `${user.username}@srv.example.test`;
    expect(answer.body).toMatchObject({
      email,
      imap: { host: '127.0.0.1', port: cyrus.imapsPort, security: 'tls', username: email, source: 'SRV _imaps._tcp.srv.example.test' },
      smtp: { host: '127.0.0.1', port: servers.smtp.port, security: 'starttls', username: email, source: 'SRV _submission._tcp.srv.example.test' },
      caldav: { url: `http://127.0.0.1:${cyrus.httpPort}/`, username: email, source: 'SRV _caldav._tcp.srv.example.test' },
    });
    // _submissions came first (RFC 8314 §5.1), then _submission; _carddavs says "not offered".
    expect(answer.body.tried).toEqual(expect.arrayContaining(['SRV _imaps._tcp.srv.example.test', 'SRV _submissions._tcp.srv.example.test', 'SRV _submission._tcp.srv.example.test', 'SRV _carddavs._tcp.srv.example.test', 'SRV _carddav._tcp.srv.example.test']));
    expect(answer.body.tried.indexOf('SRV _submissions._tcp.srv.example.test')).toBeLessThan(answer.body.tried.indexOf('SRV _submission._tcp.srv.example.test'));

    // Cyrus logs users in by name here, not by address: the admin corrects the username, the rest stands.
    const imap = answer.body.imap as { host: string; port: number; security: 'tls' };
    const session = await new ImapConnector().connect({ host: imap.host, port: imap.port, security: imap.security, username: user.username, password: user.password, allowInsecureTls: false, tlsCa: cyrus.caPem, timeoutMs: 10_000 });
    await session.close();
    const dav = await new CalDavConnector().connect({ url: (answer.body.caldav as { url: string }).url, username: user.username, password: user.password, timeoutMs: 10_000 });
    expect(dav.calendarHomeUrl).toBe(`${cyrus.url}dav/calendars/user/${user.username}/`);
  });

  it('proposes IMAP and SMTP from an autoconfig document, placeholders filled, an encrypted server preferred', async () => {
    const answer = await api.call('POST', '/api/v1/discover', { body: { email: 'Dana.Demo@autoconfig.example.test' } });
    expect(answer.status).toBe(200);
    expect(answer.body.imap).toEqual({ host: '127.0.0.1', port: cyrus.imapPort, security: 'starttls', username: 'Dana.Demo', source: expect.stringMatching(/^autoconfig http:\/\/127\.0\.0\.1:\d+\/autoconfig\.example\.test\/config-v1\.1\.xml\?emailaddress=Dana\.Demo%40autoconfig\.example\.test$/) });
    expect(answer.body.smtp).toMatchObject({ host: 'smtp.autoconfig.example.test', port: 587, security: 'starttls', username: 'Dana.Demo@autoconfig.example.test' });
    expect(documents).toContain('/autoconfig.example.test/config-v1.1.xml?emailaddress=Dana.Demo%40autoconfig.example.test');
  });

  it('ignores an autoconfig document larger than 256 KiB', async () => {
    const answer = await api.call('POST', '/api/v1/discover', { body: { email: 'eve@huge.example.test' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ imap: null, smtp: null });
    expect(documents.some((url) => url.startsWith('/huge.example.test/'))).toBe(true);
  });

  it('finds nothing for a domain that publishes nothing, and says what it tried', async () => {
    const answer = await api.call('POST', '/api/v1/discover', { body: { email: 'nobody@nothing.example.test' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ imap: null, smtp: null, caldav: null, carddav: null });
    expect(answer.body.tried).toEqual(expect.arrayContaining(['SRV _imaps._tcp.nothing.example.test', 'SRV _imap._tcp.nothing.example.test', expect.stringMatching(/^autoconfig http:/), 'GET https://nothing.example.test/.well-known/caldav']));
  });

  it('refuses what is not an address, naming the field, and needs a token', async () => {
    const bad = await api.call('POST', '/api/v1/discover', { body: { email: 'not an address' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('email');
    expect((await api.call('POST', '/api/v1/discover', { body: { email: 'a@b.example' }, token: null })).status).toBe(401);
  });
});
