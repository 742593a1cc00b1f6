// Error mapping of the CalDAV adapter at connect time: wrong password (Radicale), nothing
// listening, a server that never answers, and a URL that is not a DAV resource.

import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CalDavConnector } from '../../../adapters/caldav/index.js';
import { BridgeError } from '../../../src/domain/errors.js';
import { createRadicaleUser, type Credentials } from '../../servers/users.js';
import { findFreePort } from '../../servers/util.js';

const servers = inject('servers');

async function connectError(settings: Parameters<CalDavConnector['connect']>[0]): Promise<BridgeError> {
  const error = await new CalDavConnector().connect(settings).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BridgeError);
  return error as BridgeError;
}

describe('CalDAV adapter errors', () => {
  let user: Credentials;
  let silent: Server;
  let silentPort = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    user = await createRadicaleUser(servers, 'caldav-err');
    // Accepts connections and never answers: only the timeout can end a request.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    silentPort = typeof address === 'object' && address !== null ? address.port : 0;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('maps a wrong password on Radicale to AUTH without the password in the message', async () => {
    const password = 'wrong-Pa55word-xyz';
    for (const url of [servers.radicale.url, `${servers.radicale.url}${user.username}/`]) {
      const error = await connectError({ url, username: user.username, password });
      expect(error.code).toBe('AUTH');
      expect(error.message).toContain('PROPFIND');
      expect(error.message).toContain(`127.0.0.1:${servers.radicale.port}`);
      expect(error.message).not.toContain(password);
      expect(error.message).not.toContain(Buffer.from(`${user.username}:${password}`).toString('base64'));
    }
  });

  it('connects with the right password', async () => {
    const session = await new CalDavConnector().connect({ url: servers.radicale.url, username: user.username, password: user.password });
    expect(session.principalUrl).toBe(`${servers.radicale.url}${user.username}/`);
  });

  it('works out the homes from a calendar or address book URL', async () => {
    const x = servers.xandikos;
    for (const url of [x.calendarUrl, x.addressbookUrl, x.calendarHomeUrl]) {
      const session = await new CalDavConnector().connect({ url, username: 'anyone', password: 'anything' });
      expect(session.principalUrl).toBe(x.principalUrl);
      expect(session.calendarHomeUrl).toBe(x.calendarHomeUrl);
      expect(session.addressbookHomeUrl).toBe(x.addressbookHomeUrl);
    }
  });

  it('maps an unreachable port to TEMPORARY, fast', async () => {
    const port = await findFreePort();
    const started = Date.now();
    const error = await connectError({ url: `http://127.0.0.1:${port}/`, username: 'u', password: 'secret-pw' });
    expect(error.code).toBe('TEMPORARY');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).not.toContain('secret-pw');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('maps a server that never answers to TEMPORARY after the timeout', async () => {
    const started = Date.now();
    const error = await connectError({ url: `http://127.0.0.1:${silentPort}/dav/`, username: 'u', password: 'p', timeoutMs: 300 });
    expect(error.code).toBe('TEMPORARY');
    expect(error.message).toContain('did not answer in time');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('maps a URL without a DAV principal to NOT_FOUND naming the URL', async () => {
    const url = `${servers.xandikos.url}no-such-thing/`;
    const error = await connectError({ url, username: 'anyone', password: 'anything' });
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(url);
  });

  it('rejects a URL that is not http(s) as CONFIG', async () => {
    const error = await connectError({ url: 'ftp://127.0.0.1/', username: 'u', password: 'p' });
    expect(error.code).toBe('CONFIG');
  });
});
