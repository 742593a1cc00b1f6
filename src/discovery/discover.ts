/**
 * Proposed IMAP, SMTP, CalDAV and CardDAV settings for an e-mail address (POST /api/v1/discover and
 * the admin UI's user form), from what the address's domain publishes:
 *
 *  1. SRV records (RFC 6186 §3.1 with RFC 8314 §5.1: `_imaps` and `_submissions`, implicit TLS,
 *     before `_imap` and `_submission` with STARTTLS), the username being the address (§3.2);
 *  2. Mozilla autoconfig documents at the configured URLs (default: autoconfig.<domain> and the
 *     domain's /.well-known/autoconfig), for whatever SRV did not give;
 *  3. RFC 6764: SRV `_caldavs`/`_carddavs` (https) before `_caldav`/`_carddav`, with the context
 *     path of a TXT `path=` record (§4), else the domain's /.well-known/caldav|carddav when something
 *     answers there (§5).
 *
 * Among records of one name the lowest priority wins, then the highest weight (RFC 2782); a target of
 * `.` means the service is not offered. Everything asked is listed in `tried`, so an admin sees why
 * nothing was found.
 */
import type { AutoconfigServer, DiscoveryLookup, MailSecurity, SrvTarget } from '../ports/discovery.js';

export interface ProposedMailServer {
  host: string;
  port: number;
  security: MailSecurity;
  username: string;
  /** Where it came from, e.g. `SRV _imaps._tcp.example.com` or an autoconfig URL. */
  source: string;
}

export interface ProposedDavServer {
  url: string;
  username: string;
  source: string;
}

export interface DiscoveryResult {
  email: string;
  imap: ProposedMailServer | null;
  smtp: ProposedMailServer | null;
  caldav: ProposedDavServer | null;
  carddav: ProposedDavServer | null;
  /** Every lookup made, in order. */
  tried: string[];
}

/** What discovery takes as an address: something@domain.tld (the domain is what it looks up). */
export const DISCOVERABLE_ADDRESS = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export const DEFAULT_AUTOCONFIG_URLS: readonly string[] = [
  'https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={email}',
  'https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress={email}',
];

/** The record to use: lowest priority, then highest weight; null when none or the service is refused. */
export function bestSrv(records: readonly SrvTarget[]): SrvTarget | null {
  const best = [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight)[0];
  return best === undefined || best.host === '.' || best.host === '' ? null : best;
}

/** Autoconfig text with Thunderbird's placeholders (%EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN%) filled in; no username means the address. */
export function fillPlaceholders(template: string | null, email: string): string {
  const [local, domain] = splitAddress(email);
  if (template === null || template === '') return email;
  return template.replaceAll('%EMAILADDRESS%', email).replaceAll('%EMAILLOCALPART%', local).replaceAll('%EMAILDOMAIN%', domain);
}

function splitAddress(email: string): [string, string] {
  const at = email.lastIndexOf('@');
  return [email.slice(0, at), email.slice(at + 1).toLowerCase()];
}

function fillUrl(template: string, email: string, domain: string): string {
  return template.replaceAll('{domain}', domain).replaceAll('{email}', encodeURIComponent(email));
}

/** RFC 6764 §4: the context path from TXT `path=...`, else the well-known URI's path. */
function contextPath(txt: readonly string[], service: 'caldav' | 'carddav'): string {
  for (const record of txt) {
    const match = /^path=(\/\S*)$/.exec(record.trim());
    if (match) return match[1]!;
  }
  return `/.well-known/${service}`;
}

export async function discover(email: string, lookup: DiscoveryLookup, autoconfigUrls: readonly string[] = DEFAULT_AUTOCONFIG_URLS): Promise<DiscoveryResult> {
  const [, domain] = splitAddress(email);
  const tried: string[] = [];
  const srv = async (name: string): Promise<SrvTarget | null> => {
    tried.push(`SRV ${name}`);
    return bestSrv(await lookup.srv(name));
  };
  const mailFromSrv = async (services: ReadonlyArray<[string, MailSecurity]>): Promise<ProposedMailServer | null> => {
    for (const [service, security] of services) {
      const name = `${service}._tcp.${domain}`;
      const found = await srv(name);
      if (found) return { host: found.host, port: found.port, security, username: email, source: `SRV ${name}` };
    }
    return null;
  };
  let imap = await mailFromSrv([['_imaps', 'tls'], ['_imap', 'starttls']]);
  let smtp = await mailFromSrv([['_submissions', 'tls'], ['_submission', 'starttls']]);

  for (const template of imap && smtp ? [] : autoconfigUrls) {
    const url = fillUrl(template, email, domain);
    tried.push(`autoconfig ${url}`);
    const servers = await lookup.autoconfig(url);
    if (servers === null) continue;
    const pick = (protocol: AutoconfigServer['protocol']): ProposedMailServer | null => {
      // The document lists servers in order of preference; an encrypted one is preferred over plain.
      const candidates = servers.filter((server) => server.protocol === protocol);
      const chosen = candidates.find((server) => server.security !== 'none') ?? candidates[0];
      return chosen ? { host: fillPlaceholders(chosen.host, email), port: chosen.port, security: chosen.security, username: fillPlaceholders(chosen.username, email), source: `autoconfig ${url}` } : null;
    };
    imap ??= pick('imap');
    smtp ??= pick('smtp');
    if (imap && smtp) break;
  }

  const dav = async (service: 'caldav' | 'carddav'): Promise<ProposedDavServer | null> => {
    for (const [prefix, scheme] of [[`_${service}s`, 'https'], [`_${service}`, 'http']] as const) {
      const name = `${prefix}._tcp.${domain}`;
      const found = await srv(name);
      if (!found) continue;
      tried.push(`TXT ${name}`);
      const path = contextPath(await lookup.txt(name), service);
      const defaultPort = scheme === 'https' ? 443 : 80;
      return { url: `${scheme}://${found.host}${found.port === defaultPort ? '' : `:${found.port}`}${path}`, username: email, source: `SRV ${name}` };
    }
    const wellKnown = `https://${domain}/.well-known/${service}`;
    tried.push(`GET ${wellKnown}`);
    const url = await lookup.wellKnown(wellKnown);
    return url === null ? null : { url, username: email, source: `well-known ${wellKnown}` };
  };
  const caldav = await dav('caldav');
  const carddav = await dav('carddav');
  return { email, imap, smtp, caldav, carddav, tried };
}
