// The SMTP adapter's `tls` (implicit TLS, RFC 8314 §3.3) and `starttls` (RFC 3207) security and
// certificate checking, against smtp-server instances with a throwaway self-signed certificate
// made with the openssl CLI. The harness's SMTP server speaks plain text only (and offers no
// STARTTLS), which serves for the mismatched-setting cases.

import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SmtpSender } from '../../../adapters/smtp/index.js';
import { BridgeError } from '../../../src/domain/errors.js';
import type { MailServerSettings } from '../../../src/ports/mail.js';

import { selfSignedCertificate } from '../../support/tls.js';

const servers = inject('servers');
const smtp = new SmtpSender();

const certificate = selfSignedCertificate();

interface Received {
  secure: boolean;
  user: unknown;
  to: string[];
  raw: Buffer;
}

async function readAll(stream: SMTPServerDataStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('SmtpSender over TLS', () => {
  const received: Received[] = [];
  const started: SMTPServer[] = [];
  let implicitPort: number;
  let starttlsPort: number;
  let noAuthPort: number;

  async function start(secure: boolean, withAuth = true): Promise<number> {
    const server = new SMTPServer({
      secure,
      ...(withAuth ? {} : { disabledCommands: ['AUTH'] }),
      key: certificate.key,
      cert: certificate.cert,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: true,
      // Without TLS smtp-server refuses AUTH (RFC 4954 §4: the server may require encryption);
      // this also checks that credentials only go out after the upgrade.
      allowInsecureAuth: false,
      disableReverseLookup: true,
      logger: false,
      closeTimeout: 1000,
      onAuth(auth, _session, callback) {
        if (auth.username === 'tls-user' && auth.password === 'tls-secret') callback(null, { user: auth.username });
        else callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
      },
      onData(stream, session, callback) {
        readAll(stream).then(
          (raw) => {
            received.push({ secure: session.secure, user: session.user, to: session.envelope.rcptTo.map((r) => r.address), raw });
            callback(null, '2.0.0 Ok: queued');
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      },
    });
    server.on('error', () => undefined);
    started.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  }

  beforeAll(async () => {
    implicitPort = await start(true);
    starttlsPort = await start(false);
    noAuthPort = await start(true, false);
  });

  afterAll(async () => {
    await Promise.all(started.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });

  function settings(security: MailServerSettings['security'], port: number, allowInsecureTls: boolean): MailServerSettings {
    return { host: '127.0.0.1', port, security, username: 'tls-user', password: 'tls-secret', allowInsecureTls, timeoutMs: 10_000 };
  }

  async function compose(subject: string): Promise<Buffer> {
    return smtp.compose({ from: { address: 'bridge@example.com' }, to: [{ address: 'tls@example.com' }], subject, text: 'over TLS', messageId: `<${subject.replace(/\W/g, '')}@bridge.example>`, date: new Date() });
  }

  async function failure(promise: Promise<unknown>): Promise<BridgeError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BridgeError);
    return error as BridgeError;
  }

  it.each([
    ['tls', () => implicitPort],
    ['starttls', () => starttlsPort],
  ] as const)('sends with security %s and a self-signed certificate when allowInsecureTls is set', async (security, port) => {
    const raw = await compose(`via ${security}`);
    const result = await smtp.send(settings(security, port(), true), { from: 'bridge@example.com', to: ['tls@example.com'] }, raw);
    expect(result.accepted).toEqual(['tls@example.com']);
    const got = received.find((r) => r.raw.equals(raw));
    expect(got).toMatchObject({ secure: true, user: 'tls-user', to: ['tls@example.com'] });
  });

  it.each([
    ['tls', () => implicitPort],
    ['starttls', () => starttlsPort],
  ] as const)('rejects the untrusted certificate with security %s as AUTH (issue 15: the server could not prove who it is)', async (security, port) => {
    const raw = await compose(`untrusted ${security}`);
    const error = await failure(smtp.send(settings(security, port(), false), { from: 'bridge@example.com', to: ['tls@example.com'] }, raw));
    expect(error.code).toBe('AUTH');
    expect(error.message).toContain('certificate');
    expect(error.message).not.toContain('tls-secret');
    expect(received.some((r) => r.raw.equals(raw))).toBe(false);
  });

  it('does not submit unauthenticated when the server offers no AUTH although credentials are configured', async () => {
    const raw = await compose('no auth offered');
    const error = await failure(smtp.send(settings('tls', noAuthPort, true), { from: 'bridge@example.com', to: ['tls@example.com'] }, raw));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toContain('does not accept a login on this connection');
    expect(received.some((r) => r.raw.equals(raw))).toBe(false);
  });

  it('reports a server that wants TLS before AUTH (538) as CONFIG when security is none', async () => {
    const raw = await compose('auth needs tls');
    const error = await failure(smtp.send(settings('none', starttlsPort, false), { from: 'bridge@example.com', to: ['tls@example.com'] }, raw));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toContain('538');
    expect(error.message).not.toContain('tls-secret');
  });

  it('rejects starttls towards a server that does not offer STARTTLS as CONFIG', async () => {
    const raw = await compose('no starttls');
    const error = await failure(smtp.send(settings('starttls', servers.smtp.port, false), { from: 'bridge@example.com', to: ['tls@example.com'] }, raw));
    expect(error.code).toBe('CONFIG');
  });

  it('rejects implicit TLS towards a plain-text port as CONFIG', async () => {
    const raw = await compose('tls to plain');
    const error = await failure(smtp.send(settings('tls', servers.smtp.port, true), { from: 'bridge@example.com', to: ['tls@example.com'] }, raw));
    expect(error.code).toBe('CONFIG');
  });
});
