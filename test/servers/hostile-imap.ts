// A small, scriptable IMAP4rev1 server (RFC 3501) on loopback, for tests where a real server
// cannot misbehave on demand: leave a UID out of a FETCH answer, answer without the body, drip
// bytes slowly. It speaks just enough for imapflow and the bridge's session: CAPABILITY, LOGIN,
// LIST/LSUB, SELECT/EXAMINE, STATUS, NAMESPACE, UID SEARCH, UID FETCH, UID STORE, NOOP, CREATE,
// SUBSCRIBE, LOGOUT. No CONDSTORE/QRESYNC, no IDLE, no literals from the client (LOGIN takes
// quoted strings), PERMANENTFLAGS () so a sync never writes keywords. The mailbox lives in memory
// in `folders`, which a test may change between commands.
//
// Behaviour is pluggable through `HostileImapBehaviour`; see `startHostileImap`.

import { createServer, type Server, type Socket } from 'node:net';

export interface HostileMessage {
  uid: number;
  flags: string[];
  internalDate: Date;
  source: Buffer;
  /** RFC822.SIZE to announce instead of the real size: a server lying about how large a message is. */
  reportedSize?: number;
}

/** What a FETCH asked of one message. */
export interface FetchRequest {
  folder: string;
  uid: number;
  /** Upper-cased data items as sent, e.g. `UID`, `FLAGS`, `BODY.PEEK[]`, `BODY.PEEK[HEADER]`. */
  items: string[];
}

/**
 * How one message appears in a FETCH answer: `full` (every item asked for), `omit` (no row at all,
 * as if the server forgot it) or `without-body` (the row, but none of the BODY[...] items).
 */
export type FetchDelivery = 'full' | 'omit' | 'without-body';

export interface HostileImapBehaviour {
  /** Per message of each UID FETCH; default `full`. */
  deliver?: (request: FetchRequest) => FetchDelivery;
  /** Every chunk the server sends goes through here (default: write at once), e.g. to drip bytes. */
  write?: (socket: Socket, data: Buffer) => Promise<void>;
}

export interface HostileImapServer {
  host: string;
  port: number;
  /** Folder name -> messages (sorted by UID). Mutable: add messages between passes. */
  folders: Map<string, HostileMessage[]>;
  /** Every command line received, in order (tag stripped), for assertions. */
  commands: string[];
  behaviour: HostileImapBehaviour;
  uidValidity: number;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1, a free port. Any user name and password are accepted. */
export async function startHostileImap(options: { folders?: Record<string, HostileMessage[]>; behaviour?: HostileImapBehaviour } = {}): Promise<HostileImapServer> {
  const folders = new Map<string, HostileMessage[]>(Object.entries(options.folders ?? { INBOX: [] }));
  if (!folders.has('INBOX')) folders.set('INBOX', []);
  const sockets = new Set<Socket>();
  const state: HostileImapServer = {
    host: '127.0.0.1',
    port: 0,
    folders,
    commands: [],
    behaviour: options.behaviour ?? {},
    uidValidity: 1,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    new Connection(socket, state).start();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('hostile IMAP server: no port');
  state.port = address.port;
  return state;
}

/** A message with the given UID; headers and body from `body` (default: a plain text message). */
export function hostileMessage(uid: number, fields: { subject?: string; messageId?: string; body?: string; flags?: string[] } = {}): HostileMessage {
  const source = Buffer.from(
    [
      'From: Customer <customer@acme.example>',
      'To: support@example.com',
      `Subject: ${fields.subject ?? `Message ${uid}`}`,
      'Date: Mon, 02 Nov 2026 10:00:00 +0000',
      `Message-ID: ${fields.messageId ?? `<hostile-${uid}@acme.example>`}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      fields.body ?? `Body of message ${uid}.`,
      '',
    ].join('\r\n'),
  );
  return { uid, flags: fields.flags ?? [], internalDate: new Date('2026-11-02T10:00:00Z'), source };
}

const CAPABILITIES = 'IMAP4rev1 LITERAL+ UIDPLUS';

class Connection {
  private buffer = '';
  private selected: string | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: Socket,
    private readonly server: HostileImapServer,
  ) {}

  start(): void {
    this.send(`* OK [CAPABILITY ${CAPABILITIES}] hostile IMAP ready\r\n`);
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      let end: number;
      while ((end = this.buffer.indexOf('\r\n')) >= 0) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        // Commands are answered in order, each after the previous one was written.
        this.queue = this.queue.then(() => this.handle(line)).catch(() => {
          this.socket.destroy();
        });
      }
    });
  }

  private send(data: string | Buffer): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (this.server.behaviour.write) return this.server.behaviour.write(this.socket, bytes);
    this.socket.write(bytes);
    return Promise.resolve();
  }

  private async handle(line: string): Promise<void> {
    const match = /^(\S+) (\S+)(?: (.*))?$/.exec(line);
    if (!match) return this.send('* BAD unparsable command\r\n');
    const [, tag, verb, rest = ''] = match as unknown as [string, string, string, string | undefined];
    this.server.commands.push(`${verb.toUpperCase()} ${rest}`.trim());
    const ok = (text = `${verb.toUpperCase()} completed`) => this.send(`${tag} OK ${text}\r\n`);
    switch (verb.toUpperCase()) {
      case 'CAPABILITY':
        await this.send(`* CAPABILITY ${CAPABILITIES}\r\n`);
        return ok();
      case 'LOGIN':
        return ok(`[CAPABILITY ${CAPABILITIES}] logged in`);
      case 'NOOP':
        return ok();
      case 'LOGOUT':
        await this.send('* BYE logging out\r\n');
        await ok();
        this.socket.end();
        return;
      case 'NAMESPACE':
        await this.send('* NAMESPACE (("" "/")) NIL NIL\r\n');
        return ok();
      case 'LIST':
      case 'LSUB':
        for (const name of this.server.folders.keys()) await this.send(`* ${verb.toUpperCase()} (\\HasNoChildren) "/" ${quote(name)}\r\n`);
        return ok();
      case 'CREATE': {
        const name = unquote(rest);
        if (!this.server.folders.has(name)) this.server.folders.set(name, []);
        return ok();
      }
      case 'SUBSCRIBE':
        return ok();
      case 'STATUS': {
        const name = unquote(/^("[^"]*"|\S+)/.exec(rest)?.[1] ?? '');
        const messages = this.server.folders.get(name);
        if (!messages) return this.send(`${tag} NO [NONEXISTENT] no such folder\r\n`);
        await this.send(`* STATUS ${quote(name)} (MESSAGES ${messages.length} UIDNEXT ${uidNext(messages)} UIDVALIDITY ${this.server.uidValidity})\r\n`);
        return ok();
      }
      case 'SELECT':
      case 'EXAMINE': {
        const name = unquote(rest.split(' (')[0] ?? rest);
        const messages = this.server.folders.get(name);
        if (!messages) {
          this.selected = null;
          return this.send(`${tag} NO [NONEXISTENT] no such folder\r\n`);
        }
        this.selected = name;
        await this.send(
          [
            '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
            '* OK [PERMANENTFLAGS ()] no permanent flags',
            `* ${messages.length} EXISTS`,
            '* 0 RECENT',
            `* OK [UIDVALIDITY ${this.server.uidValidity}] UIDs valid`,
            `* OK [UIDNEXT ${uidNext(messages)}] predicted next UID`,
            '',
          ].join('\r\n'),
        );
        return ok(`[${verb.toUpperCase() === 'EXAMINE' ? 'READ-ONLY' : 'READ-WRITE'}] ${verb.toUpperCase()} completed`);
      }
      case 'CLOSE':
      case 'UNSELECT':
        this.selected = null;
        return ok();
      case 'UID':
        return this.uidCommand(tag, rest);
      default:
        return this.send(`${tag} BAD ${verb} is not supported here\r\n`);
    }
  }

  private async uidCommand(tag: string, rest: string): Promise<void> {
    const [sub = '', ...args] = rest.split(' ');
    const messages = this.selected !== null ? (this.server.folders.get(this.selected) ?? []) : null;
    if (messages === null) return this.send(`${tag} BAD no folder selected\r\n`);
    const argText = args.join(' ');
    switch (sub.toUpperCase()) {
      case 'SEARCH': {
        // ALL, UID <set> and SINCE <date> are understood; other criteria match every message.
        const uidSet = /(?:^|\s)UID (\S+)/i.exec(argText)?.[1];
        const found = messages.filter((message) => uidSet === undefined || inSet(message.uid, uidSet, messages));
        await this.send(`* SEARCH${found.map((message) => ` ${message.uid}`).join('')}\r\n`);
        return this.send(`${tag} OK UID SEARCH completed\r\n`);
      }
      case 'FETCH': {
        const [set = '', ...itemParts] = args;
        const items = parseItems(itemParts.join(' '));
        for (const [index, message] of messages.entries()) {
          if (!inSet(message.uid, set, messages)) continue;
          const delivery = this.server.behaviour.deliver?.({ folder: this.selected!, uid: message.uid, items }) ?? 'full';
          if (delivery === 'omit') continue;
          await this.send(fetchRow(index + 1, message, items, delivery === 'full'));
        }
        return this.send(`${tag} OK UID FETCH completed\r\n`);
      }
      case 'STORE':
        return this.send(`${tag} OK UID STORE completed\r\n`);
      default:
        return this.send(`${tag} BAD UID ${sub} is not supported here\r\n`);
    }
  }
}

function uidNext(messages: readonly HostileMessage[]): number {
  return (messages.at(-1)?.uid ?? 0) + 1;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (char) => `\\${char}`)}"`;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return trimmed.startsWith('"') ? trimmed.slice(1, trimmed.lastIndexOf('"')).replace(/\\(.)/g, '$1') : trimmed;
}

/** RFC 3501 §9 sequence-set over UIDs; `*` is the highest UID in the folder. */
function inSet(uid: number, set: string, messages: readonly HostileMessage[]): boolean {
  const highest = messages.at(-1)?.uid ?? 0;
  const value = (text: string) => (text === '*' ? highest : Number(text));
  return set.split(',').some((part) => {
    const [from, to] = part.split(':');
    if (to === undefined) return value(from!) === uid;
    const [lo, hi] = [value(from!), value(to)].sort((a, b) => a - b) as [number, number];
    return uid >= lo && uid <= hi;
  });
}

/** `(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])` -> its items, upper-cased. */
function parseItems(text: string): string[] {
  const inner = text.trim().replace(/^\(/, '').replace(/\)$/, '');
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of inner) {
    if (char === '[' || char === '(') depth += 1;
    if (char === ']' || char === ')') depth -= 1;
    if (char === ' ' && depth === 0) {
      if (current !== '') items.push(current.toUpperCase());
      current = '';
    } else current += char;
  }
  if (current !== '') items.push(current.toUpperCase());
  return items;
}

function headerBlock(source: Buffer): Buffer {
  const end = source.indexOf('\r\n\r\n');
  return end < 0 ? source : source.subarray(0, end + 4);
}

function imapDate(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}-${months[date.getUTCMonth()]}-${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** One `* n FETCH (...)` row; BODY sections are sent as literals (RFC 3501 §7.4.2). */
function fetchRow(sequence: number, message: HostileMessage, items: readonly string[], withBody: boolean): Buffer {
  const parts: Buffer[] = [];
  const text: string[] = [`UID ${message.uid}`];
  for (const item of items) {
    if (item === 'FLAGS') text.push(`FLAGS (${message.flags.join(' ')})`);
    else if (item === 'RFC822.SIZE') text.push(`RFC822.SIZE ${message.reportedSize ?? message.source.length}`);
    else if (item === 'INTERNALDATE') text.push(`INTERNALDATE "${imapDate(message.internalDate)}"`);
    else if (item === 'BODYSTRUCTURE' || item === 'BODY') text.push(`${item} ("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" ${message.source.length} 1)`);
  }
  parts.push(Buffer.from(`* ${sequence} FETCH (${text.join(' ')}`, 'latin1'));
  if (withBody) {
    for (const item of items) {
      const section = /^BODY(?:\.PEEK)?\[([^\]]*)\]$/.exec(item)?.[1];
      if (section === undefined) continue;
      const content = section === '' ? message.source : headerBlock(message.source);
      parts.push(Buffer.from(` BODY[${section}] {${content.length}}\r\n`, 'latin1'), content);
    }
  }
  parts.push(Buffer.from(')\r\n', 'latin1'));
  return Buffer.concat(parts);
}
