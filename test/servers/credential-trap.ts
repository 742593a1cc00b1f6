import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A server that collects whatever credentials a client sends it: the "attacker's host" of tests
 * that check a stored password is never sent to a destination it was not saved for.
 *
 * - `imap`: a minimal IMAP4rev1 greeting on loopback; every command is recorded and answered
 *   `NO` (CAPABILITY answers without any AUTH= mechanism, so clients fall back to LOGIN and put
 *   the password on the wire in the clear).
 * - `http`: answers every request 401 with a Basic challenge and records the request line and
 *   its Authorization header (where DAV clients put the password).
 *
 * Binds 127.0.0.1 on a free port. `received()` is everything seen so far, `connections` how many
 * clients connected at all.
 */
export interface CredentialTrap {
  host: string;
  port: number;
  /** http://127.0.0.1:<port>/ (for the http kind). */
  url: string;
  connections: number;
  received(): string;
  close(): Promise<void>;
}

export async function startCredentialTrap(kind: 'imap' | 'http'): Promise<CredentialTrap> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  let server: Server;
  const trap = {
    host: '127.0.0.1',
    port: 0,
    url: '',
    connections: 0,
    received: () => seen.join(''),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  if (kind === 'http') {
    const http = createHttpServer((req: IncomingMessage, res) => {
      seen.push(`${req.method} ${req.url} authorization=${req.headers.authorization ?? ''}\n`);
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="trap"', 'content-type': 'text/plain' }).end('no');
    });
    server = http;
  } else {
    server = createTcpServer((socket) => {
      socket.setEncoding('utf8');
      socket.write('* OK trap ready\r\n');
      let buffer = '';
      socket.on('data', (chunk: string) => {
        seen.push(chunk);
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\r\n')) >= 0) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const [tag = '*', command = ''] = line.split(' ');
          if (command.toUpperCase() === 'CAPABILITY') socket.write(`* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`);
          else if (command.toUpperCase() === 'LOGOUT') socket.end(`* BYE\r\n${tag} OK bye\r\n`);
          else socket.write(`${tag} NO [AUTHENTICATIONFAILED] trapped\r\n`);
        }
      });
      socket.on('error', () => undefined);
    });
  }
  server.on('connection', (socket: Socket) => {
    trap.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  trap.port = (server.address() as AddressInfo).port;
  trap.url = `http://127.0.0.1:${trap.port}/`;
  return trap;
}
