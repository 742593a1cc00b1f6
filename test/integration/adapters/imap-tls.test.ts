// The IMAP adapter's `tls` security (implicit TLS, RFC 8314) and certificate checking. The
// harness's Dovecot speaks plain text only, so a TLS terminator with a throwaway self-signed
// certificate (made with the openssl CLI) sits in front of it.

import { connect, type Socket } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ImapConnector, ImapWatcherFactory } from '../../../adapters/imap/index.js';
import { BridgeError } from '../../../src/domain/errors.js';
import type { MailServerSettings } from '../../../src/ports/mail.js';
import { selfSignedCertificate } from '../../support/tls.js';
import { createMailUser, type Credentials } from '../../servers/users.js';

const servers = inject('servers');

const certificate = selfSignedCertificate();

describe('IMAP adapter over implicit TLS', () => {
  let user: Credentials;
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    user = await createMailUser(servers, 'tls');
    server = createServer({ key: certificate.key, cert: certificate.cert }, (secure) => {
      const plain = connect(servers.dovecot.imapPort, servers.dovecot.host);
      for (const socket of [secure, plain]) {
        sockets.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => sockets.delete(socket));
      }
      secure.pipe(plain);
      plain.pipe(secure);
      secure.on('close', () => plain.destroy());
      plain.on('close', () => secure.destroy());
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    port = address.port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  function settings(allowInsecureTls: boolean): MailServerSettings {
    return { host: '127.0.0.1', port, security: 'tls', username: user.username, password: user.password, allowInsecureTls, timeoutMs: 10_000 };
  }

  it('works with a self-signed certificate when allowInsecureTls is set', async () => {
    const session = await new ImapConnector().connect(settings(true));
    try {
      expect((await session.listFolders()).some((f) => f.path === 'INBOX')).toBe(true);
      const appended = await session.append('INBOX', Buffer.from('Subject: over TLS\r\n\r\nhello\r\n'));
      const [raw] = await session.fetchSources('INBOX', [appended.uid as number]);
      expect(raw?.source.toString()).toBe('Subject: over TLS\r\n\r\nhello\r\n');
    } finally {
      await session.close();
    }
  });

  it('rejects an untrusted certificate with AUTH (issue 15: the server could not prove who it is)', async () => {
    const error = await new ImapConnector().connect(settings(false)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe('AUTH');
    expect((error as BridgeError).message).toContain('certificate');
    expect((error as BridgeError).message).not.toContain(user.password);
  });

  it('rejects TLS towards a plain-text port with CONFIG', async () => {
    const error = await new ImapConnector().connect({ ...settings(true), port: servers.dovecot.imapPort }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as BridgeError).code).toBe('CONFIG');
  });

  it('lets a watcher IDLE over TLS', async () => {
    const changes: number[] = [];
    const errors: unknown[] = [];
    const watcher = new ImapWatcherFactory().watch(settings(true), 'INBOX', () => changes.push(Date.now()), { pollMs: 30_000, onError: (e) => errors.push(e) });
    try {
      const until = Date.now() + 5000;
      while (changes.length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(changes).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const session = await new ImapConnector().connect(settings(true));
      try {
        await session.append('INBOX', Buffer.from('Subject: ping\r\n\r\nping\r\n'));
      } finally {
        await session.close();
      }
      while (changes.length < 2 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(changes.length).toBeGreaterThanOrEqual(2);
      expect(errors).toEqual([]);
    } finally {
      await watcher.stop();
    }
  });
});
