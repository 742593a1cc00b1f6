import type { LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { Config } from '../config/schema.js';
import { classifyAddress } from '../domain/address-class.js';

/**
 * Where webhooks may be delivered (SSRF protection). With `webhookDelivery.allowPrivateNetworks`
 * false (the default) a target whose address is not public (address-class.ts: loopback,
 * link-local, private, unspecified, reserved, also IPv4-mapped) is refused, unless the
 * configuration file itself names that host and port: the origin of a `webhooks[]` URL, or a
 * server of a `users[]` / `sharedMailboxes[]` entry (imap/smtp host and port, caldav/carddav URL).
 * Only the file counts: an API caller or an admin UI entry cannot open a network by naming it.
 *
 * The check runs when a webhook is registered (for IP literals) and at every delivery on the
 * addresses DNS gives, inside the connection's own lookup: the address checked is the address
 * connected to, so a name that resolves to a public address for the check and to 127.0.0.1 for
 * the connection (DNS rebinding) gets nowhere.
 */
export interface TargetPolicy {
  allowPrivateNetworks: boolean;
  /** `host:port` (lower case, IPv6 without brackets) of the destinations the configuration file names. */
  namedByConfig: ReadonlySet<string>;
}

const defaultPorts: Record<string, number> = { 'http:': 80, 'https:': 443 };

function key(host: string, port: number | string): string {
  return `${host.replace(/^\[|\]$/g, '').toLowerCase()}:${port}`;
}

function urlKey(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return key(parsed.hostname, parsed.port || defaultPorts[parsed.protocol] || '');
  } catch {
    return undefined;
  }
}

/** The policy from the configuration file (not merged with the admin UI's entries). */
export function targetPolicyOf(config: Config): TargetPolicy {
  const named = new Set<string>();
  const add = (entry: string | undefined) => entry !== undefined && named.add(entry);
  for (const hook of config.webhooks) add(urlKey(hook.url));
  for (const user of config.users) {
    for (const server of [user.imap, user.smtp]) if (server) add(key(server.host, server.port));
    for (const dav of [user.caldav, user.carddav]) if (dav) add(urlKey(dav.url));
  }
  for (const box of config.sharedMailboxes) add(key(box.imap.host, box.imap.port));
  return { allowPrivateNetworks: config.webhookDelivery.allowPrivateNetworks, namedByConfig: named };
}

/** Why a URL may never be a webhook target, whatever the policy: credentials in it (they would be logged and sent to whoever answers). */
export function webhookUrlProblem(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.username !== '' || parsed.password !== '') return 'must not contain a user name or password (user:password@); authenticate the delivery by its X-CRM-Bridge-Signature';
    return undefined;
  } catch {
    return 'expected an http(s) URL';
  }
}

/** Why an address may not be connected to for `host:port`, or undefined when it may. */
export function addressRefusal(policy: TargetPolicy, host: string, port: number | string, address: string): string | undefined {
  if (policy.allowPrivateNetworks) return undefined;
  const kind = classifyAddress(address) ?? 'reserved';
  if (kind === 'public') return undefined;
  if (policy.namedByConfig.has(key(host, port))) return undefined;
  const shown = host.replace(/^\[|\]$/g, '') === address ? address : `${host} (${address})`;
  return `${shown} is a ${kind} address: webhooks to loopback, link-local and private networks are refused unless the configuration file names that host and port (or webhookDelivery.allowPrivateNetworks is true)`;
}

/** At registration: a URL whose host is an IP literal is judged at once; names wait for delivery (DNS may change). */
export function literalTargetRefusal(policy: TargetPolicy, url: string): string | undefined {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (classifyAddress(host) === undefined) return undefined;
  return addressRefusal(policy, host, parsed.port || defaultPorts[parsed.protocol] || '', host);
}

export class RefusedTarget extends Error {
  readonly code = 'EREFUSEDTARGET';
}

/** A `lookup` for http(s).request that resolves the name and refuses the connection when any address is refused. */
export function guardedLookup(policy: TargetPolicy, port: number | string): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const refused = addresses.map((entry) => addressRefusal(policy, hostname, port, entry.address)).find((reason) => reason !== undefined);
      if (refused) return callback(new RefusedTarget(refused), '');
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}
