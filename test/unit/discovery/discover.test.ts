// The proposal rules of autodiscovery (src/discovery/discover.ts) over an in-memory lookup, and the
// autoconfig reader (adapters/discovery) on documents as providers publish them, broken ones too.

import { describe, expect, it } from 'vitest';
import { parseAutoconfig } from '../../../adapters/discovery/index.js';
import { bestSrv, discover, fillPlaceholders } from '../../../src/discovery/discover.js';
import type { AutoconfigServer, DiscoveryLookup, SrvTarget } from '../../../src/ports/discovery.js';

function lookup(records: Record<string, SrvTarget[]>, documents: Record<string, AutoconfigServer[]> = {}, txt: Record<string, string[]> = {}): DiscoveryLookup {
  return {
    srv: (name) => Promise.resolve(records[name] ?? []),
    txt: (name) => Promise.resolve(txt[name] ?? []),
    autoconfig: (url) => Promise.resolve(documents[url] ?? null),
    wellKnown: () => Promise.resolve(null),
  };
}

describe('autodiscovery', () => {
  it('picks the lowest priority, then the highest weight, and honours "." as not offered', () => {
    expect(bestSrv([{ host: 'b', port: 2, priority: 10, weight: 1 }, { host: 'a', port: 1, priority: 10, weight: 9 }, { host: 'c', port: 3, priority: 20, weight: 99 }])?.host).toBe('a');
    expect(bestSrv([{ host: '.', port: 0, priority: 0, weight: 0 }])).toBeNull();
    expect(bestSrv([])).toBeNull();
  });

  it('fills Thunderbird placeholders; no username means the address', () => {
    expect(fillPlaceholders('%EMAILLOCALPART%', 'Ann@Example.COM')).toBe('Ann');
    expect(fillPlaceholders('imap.%EMAILDOMAIN%', 'ann@Example.COM')).toBe('imap.example.com');
    expect(fillPlaceholders(null, 'ann@example.com')).toBe('ann@example.com');
  });

  it('prefers implicit TLS records (RFC 8314) and asks autoconfig only for what SRV left open', async () => {
    const result = await discover('ann@example.com', lookup(
      { '_imaps._tcp.example.com': [{ host: 'imap.example.com', port: 993, priority: 0, weight: 0 }], '_imap._tcp.example.com': [{ host: 'old.example.com', port: 143, priority: 0, weight: 0 }] },
      { 'https://ac.example/example.com': [{ protocol: 'smtp', host: 'smtp.example.com', port: 465, security: 'tls', username: '%EMAILADDRESS%' }] },
    ), ['https://ac.example/{domain}']);
    expect(result.imap).toMatchObject({ host: 'imap.example.com', port: 993, security: 'tls' });
    expect(result.smtp).toMatchObject({ host: 'smtp.example.com', port: 465, security: 'tls', username: 'ann@example.com', source: 'autoconfig https://ac.example/example.com' });
    expect(result.tried).not.toContain('SRV _imap._tcp.example.com');
  });

  it('builds DAV URLs from SRV and the TXT context path (RFC 6764 §4), https before http', async () => {
    const result = await discover('ann@example.com', lookup(
      { '_caldavs._tcp.example.com': [{ host: 'dav.example.com', port: 443, priority: 0, weight: 0 }], '_carddav._tcp.example.com': [{ host: 'dav.example.com', port: 8008, priority: 0, weight: 0 }] },
      {},
      { '_caldavs._tcp.example.com': ['path=/dav/cal/'] },
    ), []);
    expect(result.caldav?.url).toBe('https://dav.example.com/dav/cal/');
    expect(result.carddav?.url).toBe('http://dav.example.com:8008/.well-known/carddav');
  });

  it('reads an autoconfig document and ignores POP3, unknown socket types and broken entries', () => {
    const xml = `<clientConfig version="1.1"><emailProvider id="x">
      <incomingServer type="pop3"><hostname>pop.x</hostname><port>995</port><socketType>SSL</socketType></incomingServer>
      <incomingServer type="imap"><hostname>imap.x</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username></incomingServer>
      <incomingServer type="imap"><hostname>imap.x</hostname><port>99999</port><socketType>SSL</socketType></incomingServer>
      <outgoingServer type="smtp"><hostname>smtp.x</hostname><port>587</port><socketType>QUANTUM</socketType></outgoingServer>
    </emailProvider></clientConfig>`;
    expect(parseAutoconfig(xml)).toEqual([{ protocol: 'imap', host: 'imap.x', port: 993, security: 'tls', username: '%EMAILADDRESS%' }]);
    expect(parseAutoconfig('<html>not found</html>')).toBeNull();
    expect(parseAutoconfig('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><clientConfig/>')).toBeNull();
    expect(parseAutoconfig('not xml at all <')).toBeNull();
  });
});
