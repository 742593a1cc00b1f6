// SmtpSender.compose (adapters/smtp/sender.ts): the RFC 5322 bytes that are sent and stored in
// the Sent folder. Pure; needs no server (the delivery round trip is in smtp.test.ts).

import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { SmtpSender } from '../../../adapters/smtp/index.js';
import { BridgeError } from '../../../src/domain/errors.js';
import type { OutgoingMessage } from '../../../src/ports/sending.js';

const smtp = new SmtpSender();

function message(extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    from: { address: 'sales@example.com', name: 'Sales Team' },
    to: [{ address: 'customer@acme.example', name: null }],
    subject: 'Your offer',
    text: 'Hello.',
    messageId: '<act_01abc.h0123456789abcdef@mail.example.com>',
    date: new Date('2030-05-06T07:08:09Z'),
    ...extra,
  };
}

function headerBlock(raw: Buffer): string {
  const text = raw.toString('latin1');
  return text.slice(0, text.indexOf('\r\n\r\n') + 2);
}

/** Unfolded header lines (RFC 5322 §2.2.3). */
function headers(raw: Buffer): string[] {
  return headerBlock(raw).replace(/\r\n[ \t]/g, ' ').split('\r\n').filter((line) => line !== '');
}

async function invalid(promise: Promise<unknown>): Promise<BridgeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BridgeError);
  expect((error as BridgeError).code).toBe('INVALID_INPUT');
  return error as BridgeError;
}

describe('SmtpSender.compose', () => {
  it('writes the identification and informational fields as given', async () => {
    const raw = await smtp.compose(
      message({ inReplyTo: '<orig@acme.example>', references: ['<root@acme.example>', 'mid@acme.example', '<orig@acme.example>'], replyTo: { address: 'reply@example.com' } }),
    );
    const lines = headers(raw);
    expect(lines).toContain('Message-ID: <act_01abc.h0123456789abcdef@mail.example.com>');
    expect(lines).toContain('In-Reply-To: <orig@acme.example>');
    // RFC 5322 §3.6.4: msg-ids separated by a space, angle brackets added where missing.
    expect(lines).toContain('References: <root@acme.example> <mid@acme.example> <orig@acme.example>');
    expect(lines).toContain('Date: Mon, 06 May 2030 07:08:09 +0000');
    expect(lines).toContain('From: Sales Team <sales@example.com>');
    expect(lines).toContain('To: customer@acme.example');
    expect(lines).toContain('Reply-To: reply@example.com');
    expect(lines).toContain('Subject: Your offer');
    expect(lines).toContain('MIME-Version: 1.0');
    expect(lines.some((line) => /^x-mailer:/i.test(line))).toBe(false);
  });

  it('leaves out In-Reply-To, References, Cc and Reply-To when there are none', async () => {
    const lines = headers(await smtp.compose(message({ inReplyTo: null, references: [], cc: [], replyTo: null })));
    expect(lines.filter((line) => /^(in-reply-to|references|cc|reply-to):/i.test(line))).toEqual([]);
  });

  it('never writes a Bcc field (RFC 5322 §3.6.3)', async () => {
    const raw = await smtp.compose(message({ bcc: [{ address: 'hidden@example.com', name: 'Hidden' }], cc: [{ address: 'cc@example.com' }] }));
    expect(headers(raw).some((line) => /^bcc:/i.test(line))).toBe(false);
    expect(raw.toString('latin1')).not.toContain('hidden@example.com');
    expect(headers(raw)).toContain('Cc: cc@example.com');
  });

  it('encodes non-ASCII text as RFC 2047 encoded-words and keeps the message 7-bit', async () => {
    const subject = 'Grüße – 你好 😀';
    const raw = await smtp.compose(message({ subject, from: { address: 'sales@example.com', name: 'Jürgen Müller' }, text: 'Grüße\n', html: '<p>Grüße</p>' }));
    expect(raw.every((byte) => byte < 0x80)).toBe(true);
    expect(headers(raw).find((line) => line.startsWith('Subject: '))).toMatch(/^Subject: =\?UTF-8\?[QB]\?/);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(subject);
    expect(parsed.from?.value).toEqual([{ address: 'sales@example.com', name: 'Jürgen Müller' }]);
    expect(parsed.text).toBe('Grüße\n');
    expect(parsed.html).toBe('<p>Grüße</p>');
  });

  it('makes text alone a single text/plain part and text with HTML a multipart/alternative', async () => {
    expect(headers(await smtp.compose(message()))).toContain('Content-Type: text/plain; charset=utf-8');
    const raw = await smtp.compose(message({ html: '<p>Hello.</p>' }));
    expect(headers(raw).find((line) => line.startsWith('Content-Type: '))).toMatch(/^Content-Type: multipart\/alternative; boundary=/);
    const body = raw.toString('latin1');
    // RFC 2046 §5.1.4: the richer (preferred) alternative last.
    expect(body.indexOf('Content-Type: text/plain')).toBeLessThan(body.indexOf('Content-Type: text/html'));
  });

  it('uses CRLF for every line break and keeps lines short (RFC 5322 §2.1.1, §2.3)', async () => {
    const raw = await smtp.compose(message({ text: `one\rtwo\nthree\r\nfour ${'x'.repeat(2000)}\n`, html: '<p>a</p>\n<p>b</p>\r<p>c</p>' }));
    const text = raw.toString('latin1');
    expect(text).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
    expect(Math.max(...text.split('\r\n').map((line) => line.length))).toBeLessThanOrEqual(78);
    const parsed = await simpleParser(raw);
    expect(parsed.text).toBe(`one\ntwo\nthree\nfour ${'x'.repeat(2000)}\n`);
  });

  it('adds extra header fields after the standard ones, spelled as given', async () => {
    const raw = await smtp.compose(message({ headers: { 'X-CRM-Bridge-Activity': 'act_01ABC', 'X-Note': 'größer' } }));
    const lines = headers(raw);
    expect(lines).toContain('X-CRM-Bridge-Activity: act_01ABC');
    expect(lines).toContain('X-Note: =?UTF-8?Q?gr=C3=B6=C3=9Fer?=');
    expect(lines.indexOf('X-CRM-Bridge-Activity: act_01ABC')).toBeGreaterThan(lines.findIndex((line) => line.startsWith('Date: ')));
  });

  it('does not let a header value start a new field', async () => {
    const raw = await smtp.compose(message({ headers: { 'X-Note': 'a\r\nBcc: evil@example.com\r\n\r\nbody' } }));
    expect(headers(raw).some((line) => /^bcc:/i.test(line))).toBe(false);
    expect(headers(raw).find((line) => line.startsWith('X-Note: '))).toBe('X-Note: a Bcc: evil@example.com  body');
  });

  it('refuses what it cannot write faithfully, with a detail per field', async () => {
    const error = await invalid(
      smtp.compose(
        message({
          messageId: 'no-brackets@example.com',
          date: new Date('not a date'),
          headers: { 'Message-ID': '<other@example.com>', 'bcc': 'x@example.com', 'Bad Name': 'x', 'X-Ok': 'fine' },
        }),
      ),
    );
    expect(error.details.map((d) => d.path)).toEqual(['messageId', 'date', 'headers.Message-ID', 'headers.bcc', 'headers.Bad Name']);
    await invalid(smtp.compose(message({ from: { address: '' } })));
  });
});
