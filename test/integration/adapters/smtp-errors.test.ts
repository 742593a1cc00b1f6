// The SMTP error mapping (adapters/smtp/parse-smtp-error.ts) for failures the real servers cannot
// easily be made to produce: every decision is made on nodemailer's / Node's error properties and
// the SMTP reply code, never on message text. Pure; needs no server.

import { describe, expect, it } from 'vitest';
import { enhancedStatus, toBridgeError } from '../../../adapters/smtp/index.js';
import { BridgeError, type ErrorCode } from '../../../src/domain/errors.js';

function smtpError(props: Record<string, unknown>, message = 'Failed'): Error {
  return Object.assign(new Error(message), props);
}

function reply(code: string, response: string, command: string, extra: Record<string, unknown> = {}): Error {
  return smtpError({ code, response, responseCode: Number(response.slice(0, 3)), command, ...extra });
}

const context = { host: '127.0.0.1', port: 2525, username: 'alice@example.com', password: 'hunter2-secret' };

describe('toBridgeError', () => {
  const cases: Array<[string, unknown, ErrorCode]> = [
    ['535 bad credentials', reply('EAUTH', '535 5.7.8 Authentication credentials invalid', 'AUTH PLAIN'), 'AUTH'],
    ['454 auth backend down', reply('EAUTH', '454 4.7.0 Temporary authentication failure', 'AUTH PLAIN'), 'TEMPORARY'],
    ['432 password transition', reply('EAUTH', '432 4.7.12 A password transition is needed', 'AUTH PLAIN'), 'AUTH'],
    ['538 encryption required', reply('EAUTH', '538 5.7.11 Encryption required for requested authentication mechanism', 'AUTH PLAIN'), 'CONFIG'],
    ['530 STARTTLS first', reply('EAUTH', '530 5.7.0 Must issue a STARTTLS command first', 'AUTH PLAIN'), 'CONFIG'],
    ['503 AUTH not offered', reply('EAUTH', '503 5.5.1 Error: authentication not enabled', 'AUTH PLAIN'), 'CONFIG'],
    ['EAUTH without a reply', smtpError({ code: 'EAUTH', command: 'API' }), 'AUTH'],
    ['ENOAUTH', smtpError({ code: 'ENOAUTH' }), 'CONFIG'],
    ['connection refused', smtpError({ code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }), 'TEMPORARY'],
    ['connection reset', smtpError({ code: 'ESOCKET', originalCode: 'ECONNRESET', command: 'CONN' }), 'TEMPORARY'],
    ['socket error without a cause', smtpError({ code: 'ESOCKET' }), 'TEMPORARY'],
    ['DNS', smtpError({ code: 'EDNS', originalCode: 'ENOTFOUND' }), 'TEMPORARY'],
    ['DNS try again', smtpError({ code: 'EDNS', originalCode: 'EAI_AGAIN' }), 'TEMPORARY'],
    ['connect timeout', smtpError({ code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT' }), 'TEMPORARY'],
    ['greeting timeout', smtpError({ code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' }), 'TEMPORARY'],
    ['idle socket timeout', smtpError({ code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT' }), 'TEMPORARY'],
    ['421 closing', reply('ECONNECTION', '421 4.3.2 Service shutting down', 'EHLO'), 'TEMPORARY'],
    ['dropped connection', smtpError({ code: 'ECONNECTION', command: 'CONN' }), 'TEMPORARY'],
    ['bad greeting', reply('EPROTOCOL', '554 5.3.2 No SMTP service here', 'CONN'), 'TEMPORARY'],
    ['self-signed (implicit TLS)', smtpError({ code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'AUTH'],
    ['host name mismatch', smtpError({ code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'AUTH'],
    ['TLS to a plain port', smtpError({ code: 'ESOCKET', originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER' }), 'CONFIG'],
    ['STARTTLS refused', reply('ETLS', '502 5.5.1 Error: command not implemented', 'STARTTLS'), 'CONFIG'],
    ['STARTTLS temporarily unavailable', reply('ETLS', '454 4.7.0 TLS not available due to temporary reason', 'STARTTLS'), 'TEMPORARY'],
    ['TLS handshake failed', smtpError({ code: 'ETLS', command: 'STARTTLS' }, 'Error initiating TLS - self-signed certificate'), 'CONFIG'],
    ['sender refused', reply('EENVELOPE', '553 5.7.1 <x@y>: Sender address rejected: not owned by user', 'MAIL FROM'), 'INVALID_INPUT'],
    ['sender deferred', reply('EENVELOPE', '451 4.3.0 Temporary lookup failure', 'MAIL FROM'), 'TEMPORARY'],
    ['authentication required', reply('EENVELOPE', '530 5.7.0 Authentication required', 'MAIL FROM'), 'CONFIG'],
    ['bad sequence', reply('EENVELOPE', '503 5.5.1 Error: nested MAIL command', 'MAIL FROM'), 'TEMPORARY'],
    ['all recipients refused', reply('EENVELOPE', '550 5.1.1 <a@x>: User unknown', 'RCPT TO', { rejected: ['a@x'] }), 'INVALID_INPUT'],
    ['all recipients deferred', reply('EENVELOPE', '452 4.5.3 Too many recipients', 'RCPT TO', { rejected: ['a@x'] }), 'TEMPORARY'],
    ['552 to RCPT TO (too many recipients)', reply('EENVELOPE', '552 5.5.3 Too many recipients', 'RCPT TO', { rejected: ['a@x'] }), 'TEMPORARY'],
    ['DATA refused', reply('EENVELOPE', '554 5.5.1 Error: no valid recipients', 'DATA'), 'INVALID_INPUT'],
    ['message refused (552)', reply('EMESSAGE', '552 5.3.4 Message too big for system', 'DATA'), 'INVALID_INPUT'],
    ['message refused (554 spam)', reply('EMESSAGE', '554 5.7.1 Message rejected as spam', 'DATA'), 'INVALID_INPUT'],
    ['message deferred (451)', reply('EMESSAGE', '451 4.3.0 Local error in processing', 'DATA'), 'TEMPORARY'],
    ['message deferred (452)', reply('EMESSAGE', '452 4.3.1 Insufficient system storage', 'DATA'), 'TEMPORARY'],
    ['SIZE exceeded before sending', smtpError({ code: 'EMESSAGE', command: 'MAIL FROM' }, 'Message size larger than allowed 1000'), 'INVALID_INPUT'],
    ['no recipients (API)', smtpError({ code: 'EENVELOPE', command: 'API' }, 'No recipients defined'), 'INVALID_INPUT'],
    ['too many recipients', smtpError({ code: 'EMAXRECIPIENTS' }), 'INVALID_INPUT'],
    ['stream error', smtpError({ code: 'ESTREAM' }), 'INTERNAL'],
    ['programming error', new TypeError('x is not a function'), 'INTERNAL'],
    ['not an Error', 'boom', 'INTERNAL'],
  ];

  it.each(cases)('%s', (_name, error, code) => {
    const mapped = toBridgeError(error, context);
    expect(mapped).toBeInstanceOf(BridgeError);
    expect(mapped.code).toBe(code);
    expect(mapped.message).toContain('SMTP server 127.0.0.1:2525');
    if (typeof error === 'object') expect(mapped.cause).toBe(error);
  });

  it('decides by properties, not by message text', () => {
    expect(toBridgeError(new Error('Invalid login: 535 Authentication failed'), context).code).toBe('INTERNAL');
    expect(toBridgeError(new Error('connect ECONNREFUSED 127.0.0.1:2525'), context).code).toBe('INTERNAL');
    expect(toBridgeError(smtpError({ code: 'EMESSAGE', responseCode: 451, response: '451 permanent failure, do not retry' }), context).code).toBe('TEMPORARY');
  });

  it('says who could not log in where, with the server reply but never the password', () => {
    const mapped = toBridgeError(reply('EAUTH', '535 5.7.8 Authentication failed for alice@example.com / hunter2-secret', 'AUTH PLAIN'), context);
    expect(mapped.message).toBe('SMTP server 127.0.0.1:2525 refused the login of alice@example.com: 535 5.7.8 Authentication failed for alice@example.com / ***');
  });

  it('names the refused recipients with their replies', () => {
    const error = reply('EENVELOPE', '550 5.1.1 <b@x>: User unknown', 'RCPT TO', {
      rejected: ['a@x', 'b@x'],
      rejectedErrors: [
        reply('EENVELOPE', '550 5.1.1 <a@x>: User unknown', 'RCPT TO', { recipient: 'a@x' }),
        reply('EENVELOPE', '550 5.1.1 <b@x>: User unknown', 'RCPT TO', { recipient: 'b@x' }),
      ],
    });
    expect(toBridgeError(error, context).message).toBe(
      'SMTP server 127.0.0.1:2525 refused every recipient [5.1.1]: a@x (550 5.1.1 <a@x>: User unknown), b@x (550 5.1.1 <b@x>: User unknown)',
    );
    // Without per-recipient errors the addresses alone.
    expect(toBridgeError(reply('EENVELOPE', '550 no', 'RCPT TO', { rejected: ['a@x'] }), context).message).toBe('SMTP server 127.0.0.1:2525 refused every recipient: a@x');
  });

  it('quotes multi-line replies on one line, bounded', () => {
    const mapped = toBridgeError(reply('EMESSAGE', `554-5.7.1 first line\r\n554 5.7.1 ${'x'.repeat(500)}`, 'DATA'), context);
    expect(mapped.message).not.toMatch(/[\r\n]/);
    expect(mapped.message.length).toBeLessThan(400);
  });

  it('brackets IPv6 hosts and passes BridgeErrors through', () => {
    expect(toBridgeError(smtpError({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }), { host: '::1', port: 25 }).message).toBe('SMTP server [::1]:25 is unreachable (ECONNREFUSED)');
    const own = new BridgeError('CONFIG', 'x');
    expect(toBridgeError(own, context)).toBe(own);
  });
});

describe('enhancedStatus', () => {
  it.each([
    ['550 5.1.1 <a@x>: User unknown', '5.1.1'],
    ['451-4.3.0 first\r\n451 4.3.0 second', '4.3.0'],
    ['250 2.0.0 Ok: queued', '2.0.0'],
    ['550 User unknown', undefined],
    ['550 5.1 partial', undefined],
    ['', undefined],
  ])('%j -> %s', (response, expected) => {
    expect(enhancedStatus(response)).toBe(expected);
  });
});
