import { describe, expect, it } from 'vitest';
import { decodedSize, formatBytes, oversizedStandIn } from '../../../src/mail/oversized-message.js';
import { parseMessage } from '../../../src/mail/parse-message.js';

const headers = Buffer.from(
  [
    'From: =?utf-8?q?J=C3=B6rg?= <joerg@acme.example>',
    'To: support@example.com',
    'Subject: Quarterly',
    '  figures',
    'Date: Mon, 02 Nov 2026 10:00:00 +0000',
    'Message-ID: <big-1@acme.example>',
    'In-Reply-To: <crm-1@example.com>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed;',
    '\tboundary="b1"',
    'Content-Transfer-Encoding: 7bit',
    '',
    '',
  ].join('\r\n'),
);
const outline = {
  headers,
  size: 312_000_000,
  attachments: [
    { filename: 'figures.pdf', contentType: 'application/pdf', encodedSize: 390_000_000, encoding: 'base64' },
    { filename: null, contentType: 'image/png', encodedSize: 2_000, encoding: 'binary' },
  ],
};

describe('the stand-in for a message over mail.maxMessageBytes', () => {
  it('keeps subject, parties, date and threading; replaces the MIME headers by a text body listing the attachments', async () => {
    const message = await parseMessage(oversizedStandIn(outline, 50 * 1024 * 1024));
    expect(message).toMatchObject({
      messageId: '<big-1@acme.example>',
      inReplyTo: '<crm-1@example.com>',
      subject: 'Quarterly figures',
      from: [{ address: 'joerg@acme.example', name: 'Jörg' }],
      to: [{ address: 'support@example.com' }],
      date: '2026-11-02T10:00:00.000Z',
      attachments: [],
      warnings: [],
    });
    expect(message.text).toContain('This message is 312.0 MB, larger than the 52.4 MB the bridge downloads (mail.maxMessageBytes).');
    expect(message.text).toContain('- figures.pdf (application/pdf, 285.0 MB)');
    expect(message.text).toContain('- (unnamed) (image/png, 2 kB)');
    // The multipart boundary of the original is gone with its Content-Type (folded line included).
    expect(oversizedStandIn(outline, 1000).toString('latin1')).not.toMatch(/boundary|multipart|7bit/);
  });

  it('formats sizes and estimates decoded base64', () => {
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(52_428_800)).toBe('52.4 MB');
    expect(decodedSize({ encodedSize: 78, encoding: 'base64' })).toBe(57);
    expect(decodedSize({ encodedSize: 78, encoding: 'quoted-printable' })).toBe(78);
  });
});
