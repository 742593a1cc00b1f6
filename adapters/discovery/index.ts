// Autodiscovery's network side (src/ports/discovery.ts): DNS SRV and TXT through node:dns (the
// system resolver, or the servers of `discovery.dnsServers`), Mozilla autoconfig documents and RFC
// 6764 well-known URIs over fetch. Every lookup has a deadline and a size limit: a domain is data a
// stranger controls (an address typed into a form), and a slow or huge answer must not hold the API.

import { Resolver } from 'node:dns/promises';
import type { AutoconfigServer, DiscoveryLookup, MailSecurity, SrvTarget } from '../../src/ports/discovery.js';
import { readTextWithin } from '../caldav/read-body.js';
import { childOf, childrenOf, parseXml, type XmlElement } from '../caldav/xml.js';

const HTTP_TIMEOUT_MS = 5000;
const MAX_DOCUMENT_BYTES = 256 * 1024;

/** DNS answers that mean "no such record", not a failure. */
const NO_RECORD = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME', 'NXDOMAIN', 'ESERVFAIL', 'EREFUSED', 'ETIMEOUT', 'ECONNREFUSED']);

export interface DiscoveryLookupOptions {
  /** DNS servers (`ip` or `ip:port`) instead of the system's. */
  dnsServers?: readonly string[];
}

/** Thunderbird's socketType (SSL | STARTTLS | plain) as a connection's security. */
function securityOf(socketType: string): MailSecurity | null {
  const value = socketType.trim().toUpperCase();
  if (value === 'SSL' || value === 'TLS') return 'tls';
  if (value === 'STARTTLS') return 'starttls';
  if (value === 'PLAIN') return 'none';
  return null;
}

function serverOf(element: XmlElement): AutoconfigServer | null {
  const protocol = element.attrs['type'];
  if (protocol !== 'imap' && protocol !== 'smtp') return null;
  const host = childOf(element, '', 'hostname')?.text.trim() ?? '';
  const port = Number(childOf(element, '', 'port')?.text.trim());
  const security = securityOf(childOf(element, '', 'socketType')?.text ?? '');
  if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535 || security === null) return null;
  return { protocol, host, port, security, username: childOf(element, '', 'username')?.text.trim() ?? null };
}

/** The IMAP and SMTP servers of a config-v1.1.xml document; null when it is not one. */
export function parseAutoconfig(xml: string): AutoconfigServer[] | null {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch {
    return null;
  }
  if (root.local !== 'clientConfig') return null;
  const servers: AutoconfigServer[] = [];
  for (const provider of childrenOf(root, '', 'emailProvider')) {
    for (const element of [...childrenOf(provider, '', 'incomingServer'), ...childrenOf(provider, '', 'outgoingServer')]) {
      const server = serverOf(element);
      if (server) servers.push(server);
    }
  }
  return servers;
}

export class NetworkDiscoveryLookup implements DiscoveryLookup {
  private readonly resolver: Resolver;

  constructor(options: DiscoveryLookupOptions = {}) {
    this.resolver = new Resolver({ timeout: 3000, tries: 2 });
    if (options.dnsServers && options.dnsServers.length > 0) this.resolver.setServers([...options.dnsServers]);
  }

  async srv(name: string): Promise<SrvTarget[]> {
    try {
      return (await this.resolver.resolveSrv(name)).map((record) => ({ host: record.name.replace(/\.$/, '') || '.', port: record.port, priority: record.priority, weight: record.weight }));
    } catch (error) {
      if (NO_RECORD.has((error as NodeJS.ErrnoException).code ?? '')) return [];
      throw error;
    }
  }

  async txt(name: string): Promise<string[]> {
    try {
      return (await this.resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch (error) {
      if (NO_RECORD.has((error as NodeJS.ErrnoException).code ?? '')) return [];
      throw error;
    }
  }

  async autoconfig(url: string): Promise<AutoconfigServer[] | null> {
    try {
      const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS), headers: { accept: 'application/xml, text/xml' } });
      if (response.status !== 200) {
        await response.body?.cancel();
        return null;
      }
      // Larger than any real document: treated as none (readTextWithin throws, caught below).
      return parseAutoconfig(await readTextWithin(response, MAX_DOCUMENT_BYTES, `autoconfig ${url}`));
    } catch {
      // Nothing there (no such host, refused, timed out, a certificate that is not trusted).
      return null;
    }
  }

  async wellKnown(url: string): Promise<string | null> {
    try {
      const response = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
      await response.body?.cancel();
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) return new URL(location, url).href;
      return response.status === 401 || response.status === 207 ? url : null;
    } catch {
      return null;
    }
  }
}
