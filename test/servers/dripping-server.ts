/**
 * A hostile server on loopback that answers, but ever so slowly: it accepts a TCP connection,
 * optionally sends a greeting at once, and after the client's first bytes (or at once) sends one
 * byte of its answer every `intervalMs`, cycling through the answer for as long as the client
 * stays. A byte every few seconds keeps an idle-socket timeout (imapflow's socketTimeout,
 * undici's bodyTimeout) from ever firing, so only an overall deadline per command or per pass
 * ends the exchange. It never parses what the client sends.
 *
 *   const drip = await startDrippingServer(imapAfterGreeting);      // IMAP: greets, then drips
 *   const drip = await startDrippingServer(httpPropfindDrip);       // DAV: drips a 207 answer
 *   // ... point a source at drip.host / drip.port (or drip.url) ...
 *   await drip.close();
 *
 * Binds 127.0.0.1 on a free port. `connections` counts accepted sockets, `open` the ones still
 * connected (a client that gave up closed its socket).
 */
import { createServer, type Socket } from 'node:net';

export interface DripScript {
  /** Sent at once when a client connects (e.g. the IMAP greeting, RFC 3501 §7.1.1). */
  greeting?: string;
  /** When dripping starts: at once on connect, or after the client's first bytes (its request). */
  dripFrom: 'connect' | 'request';
  /** Sent at once when dripping starts, before the slow part (e.g. HTTP status line and headers). */
  head?: string;
  /** Dripped one byte at a time, repeated for ever. */
  drip: string;
  intervalMs: number;
  /** Hang up after dripping this many bytes (a finite drip, e.g. to measure how long it held others up); default: never. */
  closeAfterBytes?: number;
}

export interface DrippingServer {
  host: string;
  port: number;
  /** `http://127.0.0.1:<port>/` for DAV sources. */
  url: string;
  readonly connections: number;
  readonly open: number;
  close(): Promise<void>;
}

/** IMAP: greets at once like a healthy server, then drips its answer to the first command (CAPABILITY or LOGIN). */
export const imapAfterGreeting = (intervalMs = 1000): DripScript => ({
  greeting: '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] dripping server ready\r\n',
  dripFrom: 'request',
  // An untagged line that never ends: the tagged completion never comes.
  drip: '* OK still thinking ',
  intervalMs,
});

/** HTTP: headers of a 207 at once, then the multistatus body a byte at a time (Content-Length never reached). */
export const httpPropfindDrip = (intervalMs = 1000): DripScript => ({
  dripFrom: 'request',
  head: 'HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml; charset=utf-8\r\nContent-Length: 10000000\r\n\r\n<?xml version="1.0" encoding="utf-8"?>\n<multistatus xmlns="DAV:">',
  drip: ' ',
  intervalMs,
});

export async function startDrippingServer(script: DripScript): Promise<DrippingServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    let timer: NodeJS.Timeout | undefined;
    let position = 0;
    const startDripping = () => {
      if (timer !== undefined || socket.destroyed) return;
      if (script.head !== undefined) socket.write(script.head);
      timer = setInterval(() => {
        if (socket.destroyed) return;
        if (script.closeAfterBytes !== undefined && position >= script.closeAfterBytes) {
          socket.destroy();
          return;
        }
        socket.write(script.drip[position % script.drip.length]!);
        position += 1;
      }, script.intervalMs);
    };
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
    });
    if (script.greeting !== undefined) socket.write(script.greeting);
    if (script.dripFrom === 'connect') startDripping();
    else socket.once('data', startDripping);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}/`,
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
