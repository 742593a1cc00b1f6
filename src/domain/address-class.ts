import { isIP } from 'node:net';

/**
 * What kind of network an IP address belongs to (pure), for refusing webhook targets on the
 * bridge's own machine or network (SSRF). Ranges from the IANA special-purpose registries
 * (RFC 6890): loopback 127/8 and ::1 (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3); link-local
 * 169.254/16 (RFC 3927) and fe80::/10 (RFC 4291 §2.5.6), where cloud metadata services live;
 * private 10/8, 172.16/12, 192.168/16 (RFC 1918), shared 100.64/10 (RFC 6598) and unique-local
 * fc00::/7 (RFC 4193); unspecified 0/8 and :: (which reach the local host on most systems);
 * multicast, broadcast and reserved 224/3 and ff00::/8. IPv4 embedded in IPv6 (mapped
 * ::ffff:a.b.c.d, RFC 4291 §2.5.5.2; the deprecated compatible ::a.b.c.d; NAT64 64:ff9b::/96,
 * RFC 6052) is judged as the IPv4 address it carries.
 */
export type AddressClass = 'public' | 'loopback' | 'link-local' | 'private' | 'unspecified' | 'reserved';

function ipv4Class(octets: readonly number[]): AddressClass {
  const [a = 0, b = 0] = octets;
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
  if (a >= 224) return 'reserved';
  return 'public';
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.map(Number);
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail becomes the last two). */
function parseIpv6(text: string): number[] | undefined {
  let address = text.replace(/%.*$/, ''); // zone id (fe80::1%eth0)
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (tail) {
    const v4 = parseIpv4(tail[1]!);
    if (!v4) return undefined;
    address = `${address.slice(0, -tail[1]!.length)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? head.length !== 8 : missing < 0) return undefined;
  const all = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  return all.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? all : undefined;
}

function ipv6Class(groups: readonly number[]): AddressClass {
  const embedded = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff];
  const zeros = (count: number) => groups.slice(0, count).every((group) => group === 0);
  const g6 = groups[6]!;
  const g7 = groups[7]!;
  if (zeros(8)) return 'unspecified';
  if (zeros(7) && g7 === 1) return 'loopback';
  if (zeros(5) && groups[5] === 0xffff) return ipv4Class(embedded(g6, g7)); // ::ffff:a.b.c.d
  if (zeros(6)) return ipv4Class(embedded(g6, g7)); // ::a.b.c.d (deprecated compatible form)
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((group) => group === 0)) return ipv4Class(embedded(g6, g7));
  const first = groups[0]!;
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xfe00) === 0xfc00) return 'private';
  if ((first & 0xff00) === 0xff00) return 'reserved';
  return 'public';
}

/** The class of an IP address literal (IPv6 with or without brackets); undefined for anything that is not one. */
export function classifyAddress(address: string): AddressClass | undefined {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare.replace(/%.*$/, ''));
  if (family === 4) {
    const octets = parseIpv4(bare);
    return octets ? ipv4Class(octets) : undefined;
  }
  if (family === 6) {
    const groups = parseIpv6(bare);
    return groups ? ipv6Class(groups) : undefined;
  }
  return undefined;
}
