// A tiny authoritative DNS server (RFC 1035 over UDP) for the autodiscovery tests: answers SRV
// (RFC 2782), TXT and A queries from a zone given in code, NXDOMAIN for names it does not hold. The
// bridge's resolver is pointed at it with `discovery.dnsServers`, so no system DNS is touched.

import { createSocket, type Socket } from 'node:dgram';
import { LOOPBACK } from './util.js';

export type DnsRecord =
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { type: 'TXT'; strings: string[] }
  | { type: 'A'; address: string };

const TYPE_CODES = { A: 1, TXT: 16, SRV: 33 } as const;

export interface DnsServer {
  /** `127.0.0.1:PORT`, as `discovery.dnsServers` takes it. */
  address: string;
  /** Names asked for, in order (lower case, without the trailing dot), with their query type. */
  queries: string[];
  stop(): Promise<void>;
}

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((label) => label !== '');
  return Buffer.concat([...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')])), Buffer.from([0])]);
}

function readName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  while (message[at] !== 0) {
    const length = message[at]!;
    labels.push(message.subarray(at + 1, at + 1 + length).toString('ascii'));
    at += 1 + length;
  }
  return { name: labels.join('.').toLowerCase(), end: at + 1 };
}

function rdata(record: DnsRecord): Buffer {
  if (record.type === 'A') return Buffer.from(record.address.split('.').map(Number));
  if (record.type === 'TXT') return Buffer.concat(record.strings.map((text) => Buffer.concat([Buffer.from([Buffer.byteLength(text)]), Buffer.from(text)])));
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16BE(record.priority, 0);
  fixed.writeUInt16BE(record.weight, 2);
  fixed.writeUInt16BE(record.port, 4);
  return Buffer.concat([fixed, encodeName(record.target)]);
}

function answer(query: Buffer, zone: ReadonlyMap<string, DnsRecord[]>, queries: string[]): Buffer {
  const { name, end } = readName(query, 12);
  const type = query.readUInt16BE(end);
  const question = query.subarray(12, end + 4);
  queries.push(`${name} ${Object.entries(TYPE_CODES).find(([, code]) => code === type)?.[0] ?? type}`);
  const records = zone.get(name);
  const matching = (records ?? []).filter((record) => TYPE_CODES[record.type] === type);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // QR, AA, RD copied, RA; RCODE 3 (NXDOMAIN) for a name the zone does not have at all.
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (records === undefined ? 3 : 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(matching.length, 6);
  const answers = matching.map((record) => {
    const data = rdata(record);
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's (RFC 1035 §4.1.4)
    fixed.writeUInt16BE(TYPE_CODES[record.type], 2);
    fixed.writeUInt16BE(1, 4); // IN
    fixed.writeUInt32BE(60, 6);
    fixed.writeUInt16BE(data.length, 10);
    return Buffer.concat([fixed, data]);
  });
  return Buffer.concat([header, question, ...answers]);
}

/** Serve `zone` (name -> records; names lower case, no trailing dot) on a free loopback UDP port. */
export async function startDnsServer(zone: ReadonlyMap<string, DnsRecord[]>): Promise<DnsServer> {
  const socket: Socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (message, remote) => {
    try {
      socket.send(answer(message, zone, queries), remote.port, remote.address);
    } catch {
      // A malformed query gets no answer, as from a real server under load.
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
  return {
    address: `${LOOPBACK}:${socket.address().port}`,
    queries,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
