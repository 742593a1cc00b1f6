import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBridgeError as imapError } from '../../../adapters/imap/parse-imap-error.js';
import { toBridgeError as smtpError } from '../../../adapters/smtp/parse-smtp-error.js';
import { maskSecrets } from '../../../src/domain/mask-secrets.js';

describe('maskSecrets', () => {
  it('replaces a secret that stands as a whole token, wherever it stands', () => {
    expect(maskSecrets('Authentication failed for alice / hunter2', ['hunter2'])).toBe('Authentication failed for alice / ***');
    expect(maskSecrets('GET http://alice:hunter2@dav.example.com/ failed', ['hunter2'])).toBe('GET http://alice:***@dav.example.com/ failed');
    expect(maskSecrets('hunter2', ['hunter2'])).toBe('***');
    expect(maskSecrets('"hunter2","hunter2"', ['hunter2'])).toBe('"***","***"');
    expect(maskSecrets('no secret here', ['', undefined])).toBe('no secret here');
  });

  it('leaves a one-letter password inside words alone, and masks it where it stands alone', () => {
    expect(maskSecrets('bad password for a user', ['a'])).toBe('bad password for *** user');
    expect(maskSecrets('LOGIN alice a', ['a'])).toBe('LOGIN alice ***');
    expect(maskSecrets('Straße ä', ['ä'])).toBe('Straße ***');
  });

  it('treats punctuation at the edge of a secret as part of it, and regular-expression characters literally', () => {
    expect(maskSecrets('password was p@ss.w*rd!', ['p@ss.w*rd!'])).toBe('password was ***');
    expect(maskSecrets('x!!x', ['!!'])).toBe('x***x');
    expect(maskSecrets('as hunter2-secret / [a-z]{2}\\d', ['hunter2-secret', '[a-z]{2}\\d'])).toBe('as *** / ***');
    expect(maskSecrets('pxssxw*rd', ['p.ss.w*rd'])).toBe('pxssxw*rd');
    expect(maskSecrets('token YWxpY2U6aHVudGVyMg== refused', ['YWxpY2U6aHVudGVyMg=='])).toBe('token *** refused');
  });

  it('is what the adapters use: a one-letter password no longer blanks that letter in the error message', () => {
    const refused = smtpError(Object.assign(new Error('Invalid login'), { code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Authentication failed for alice / s', command: 'AUTH PLAIN' }), { host: '127.0.0.1', port: 25, username: 'alice', password: 's' });
    expect(refused.message).toBe('SMTP server 127.0.0.1:25 refused the login of alice: 535 5.7.8 Authentication failed for alice / ***');
    const login = imapError(Object.assign(new Error('Command failed'), { authenticationFailed: true, responseText: 'Authentication failed.' }), 'IMAP login to 127.0.0.1:143 as alice', { secrets: ['e'] });
    expect(login.message).toContain('Authentication failed');
    expect(login.message).not.toContain('***');
  });

  it('never leaves a secret standing as a word of its own, and changes nothing when the secret is absent (property)', () => {
    const word = fc.string({ unit: fc.constantFrom(...'ab1_-@:.!*ä'), minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), word, fc.nat(8), (words, secret, at) => {
        fc.pre(secret !== '***');
        const text = [...words.slice(0, at), secret, ...words.slice(at)].join(' ');
        expect(maskSecrets(text, [secret]).split(' ')).not.toContain(secret);
        const without = words.filter((candidate) => !candidate.includes(secret)).join(' ');
        expect(maskSecrets(without, [secret])).toBe(without);
      }),
      { numRuns: 500 },
    );
  });
});
