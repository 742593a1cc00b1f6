// The IMAP error mapping (adapters/imap/parse-imap-error.ts) for failures the real server cannot
// easily be made to produce: every decision is made on imapflow's / Node's error properties,
// never on message text. Pure; needs no server.

import { describe, expect, it } from 'vitest';
import { toBridgeError } from '../../../adapters/imap/index.js';
import { BridgeError, type ErrorCode } from '../../../src/domain/errors.js';

function imapError(props: Record<string, unknown>, message = 'Command failed'): Error {
  return Object.assign(new Error(message), props);
}

const context = 'Reading message summaries (UIDs 1:100) in IMAP folder "INBOX" of alice@example.com at 127.0.0.1:1143';

describe('toBridgeError', () => {
  const cases: Array<[string, unknown, ErrorCode]> = [
    ['LOGIN refused', imapError({ authenticationFailed: true, responseStatus: 'NO', serverResponseCode: 'AUTHENTICATIONFAILED' }), 'AUTH'],
    ['AuthenticationFailure without a code', imapError({ authenticationFailed: true }, 'Authentication failed'), 'AUTH'],
    ['expired password', imapError({ authenticationFailed: true, responseStatus: 'NO', serverResponseCode: 'EXPIRED' }), 'AUTH'],
    // RFC 5530 UNAVAILABLE: the auth backend is down; imapflow still flags authenticationFailed.
    ['auth backend down', imapError({ authenticationFailed: true, responseStatus: 'NO', serverResponseCode: 'UNAVAILABLE' }), 'TEMPORARY'],
    ['TLS required first', imapError({ authenticationFailed: true, responseStatus: 'NO', serverResponseCode: 'PRIVACYREQUIRED' }), 'CONFIG'],
    ['NONEXISTENT', imapError({ responseStatus: 'NO', serverResponseCode: 'NONEXISTENT' }), 'NOT_FOUND'],
    ['TRYCREATE', imapError({ responseStatus: 'NO', serverResponseCode: 'TRYCREATE' }), 'NOT_FOUND'],
    ['SELECT of a missing folder', imapError({ responseStatus: 'NO', mailboxMissing: true }), 'NOT_FOUND'],
    ['ALREADYEXISTS', imapError({ responseStatus: 'NO', serverResponseCode: 'ALREADYEXISTS' }), 'CONFLICT'],
    ['OVERQUOTA', imapError({ responseStatus: 'NO', serverResponseCode: 'OVERQUOTA' }), 'TEMPORARY'],
    ['INUSE', imapError({ responseStatus: 'NO', serverResponseCode: 'INUSE' }), 'TEMPORARY'],
    ['APPENDLIMIT', imapError({ serverResponseCode: 'APPENDLIMIT' }, 'Message content too big'), 'PAYLOAD_TOO_LARGE'],
    ['NOPERM', imapError({ responseStatus: 'NO', serverResponseCode: 'NOPERM' }), 'FORBIDDEN'],
    ['ECONNREFUSED', imapError({ code: 'ECONNREFUSED' }, 'connect ECONNREFUSED 127.0.0.1:1143'), 'TEMPORARY'],
    ['ETIMEDOUT', imapError({ code: 'ETIMEDOUT' }), 'TEMPORARY'],
    ['ECONNRESET', imapError({ code: 'ECONNRESET' }), 'TEMPORARY'],
    ['EPIPE', imapError({ code: 'EPIPE' }), 'TEMPORARY'],
    ['ENOTFOUND', imapError({ code: 'ENOTFOUND' }), 'TEMPORARY'],
    ['NoConnection', imapError({ code: 'NoConnection', reason: 'Server shutting down.' }, 'Connection not available'), 'TEMPORARY'],
    ['EConnectionClosed', imapError({ code: 'EConnectionClosed' }), 'TEMPORARY'],
    ['CONNECT_TIMEOUT', imapError({ code: 'CONNECT_TIMEOUT' }), 'TEMPORARY'],
    ['GREETING_TIMEOUT', imapError({ code: 'GREETING_TIMEOUT' }), 'TEMPORARY'],
    ['socket timeout', imapError({ code: 'ETIMEOUT' }), 'TEMPORARY'],
    ['throttled', imapError({ code: 'ETHROTTLE', responseStatus: 'NO' }), 'TEMPORARY'],
    ['parser error', imapError({ code: 'ParserError7' }), 'TEMPORARY'],
    ['tagged BYE', imapError({ responseStatus: 'BYE', reason: 'shutting down' }), 'TEMPORARY'],
    ['plain NO', imapError({ responseStatus: 'NO', responseText: 'Internal error occurred' }), 'TEMPORARY'],
    ['BAD', imapError({ responseStatus: 'BAD', responseText: 'Error in IMAP command' }), 'INTERNAL'],
    ['self-signed', imapError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', tlsFailed: true }), 'AUTH'],
    ['host name mismatch', imapError({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'AUTH'],
    ['STARTTLS missing', imapError({ tlsFailed: true }, 'Server does not support STARTTLS'), 'CONFIG'],
    ['TLS to a plain port', imapError({ code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), 'CONFIG'],
    ['missing extension', imapError({ code: 'MissingServerExtension' }), 'UNSUPPORTED'],
    ['programming error', new TypeError('x is not a function'), 'INTERNAL'],
    ['invalid sequence set', imapError({ code: 'InvalidSequenceSet' }), 'INTERNAL'],
    ['not an Error', 'boom', 'INTERNAL'],
  ];

  it.each(cases)('%s', (_name, error, code) => {
    const mapped = toBridgeError(error, context);
    expect(mapped).toBeInstanceOf(BridgeError);
    expect(mapped.code).toBe(code);
    expect(mapped.message.startsWith(context) || mapped.message.startsWith('IMAP folder')).toBe(true);
    if (typeof error === 'object') expect(mapped.cause).toBe(error);
  });

  // failure.ts ends the pass for the source when no answer came; an answer (NO) concerns one folder or item.
  const lostConnection = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'NoConnection', 'EConnectionClosed', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'socket timeout', 'throttled', 'parser error', 'tagged BYE']);
  it.each(cases.filter(([, , code]) => code === 'TEMPORARY'))('%s: the connection is lost or the server answered', (name, error) => {
    expect(toBridgeError(error, context).connectionLost).toBe(lostConnection.has(name));
  });

  it('decides by properties, not by message text', () => {
    expect(toBridgeError(new Error('Authentication failed'), context).code).toBe('INTERNAL');
    expect(toBridgeError(new Error('connect ECONNREFUSED'), context).code).toBe('INTERNAL');
    expect(toBridgeError(imapError({ responseStatus: 'NO' }, 'Mailbox does not exist'), context).code).toBe('TEMPORARY');
  });

  it('names the folder when it does not exist', () => {
    const mapped = toBridgeError(imapError({ responseStatus: 'NO', serverResponseCode: 'TRYCREATE' }), context, { folder: 'Archive' });
    expect(mapped.message).toMatch(/^IMAP folder "Archive" does not exist/);
  });

  it('quotes the server text for the operator, and the BYE reason', () => {
    expect(toBridgeError(imapError({ responseStatus: 'NO', responseText: 'Internal error occurred.\r\nRefer to server log' }), context).message).toContain(
      'server said: Internal error occurred. Refer to server log',
    );
    expect(toBridgeError(imapError({ code: 'NoConnection', reason: 'FETCH failed: Mailbox was deleted under us' }), context).message).toContain(
      'Mailbox was deleted under us',
    );
  });

  it('never lets a secret through, even when a server echoes it', () => {
    const mapped = toBridgeError(imapError({ authenticationFailed: true, responseText: 'bad password hunter2' }), 'IMAP login to h:1 as a', {
      secrets: ['hunter2'],
    });
    expect(mapped.message).not.toContain('hunter2');
    expect(mapped.message).toContain('***');
  });

  it('passes BridgeErrors through unchanged', () => {
    const original = new BridgeError('UNSUPPORTED', 'no CONDSTORE');
    expect(toBridgeError(original, context)).toBe(original);
  });
});
