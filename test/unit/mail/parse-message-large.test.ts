import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../src/mail/parse-message.js';

const MiB = 1024 * 1024;
const ATTACHMENT_BYTES = 49 * MiB;

/** A multipart message with a text part and a base64 attachment (76-character lines, RFC 2045 §6.8), built without intermediate strings of the whole body. */
function buildMessage(attachment: Buffer): Buffer {
  const head = Buffer.from(
    'From: Sender <sender@example.com>\r\nTo: sales@example.org\r\nSubject: Large attachment\r\n' +
      'Date: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <large-1@example.com>\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: multipart/mixed; boundary="large-boundary"\r\n\r\n' +
      '--large-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attached archive.\r\n' +
      '--large-boundary\r\nContent-Type: application/zip; name="archive.zip"\r\nContent-Disposition: attachment; filename="archive.zip"\r\n' +
      'Content-Transfer-Encoding: base64\r\n\r\n',
  );
  const tail = Buffer.from('--large-boundary--\r\n');
  const lineBytes = 57; // 57 bytes encode to 76 base64 characters
  const lines = Math.ceil(attachment.length / lineBytes);
  const message = Buffer.allocUnsafe(head.length + lines * 78 + tail.length);
  let position = head.copy(message, 0);
  for (let offset = 0; offset < attachment.length; offset += lineBytes) {
    position += message.write(attachment.toString('base64', offset, Math.min(offset + lineBytes, attachment.length)), position, 'latin1');
    position += message.write('\r\n', position, 'latin1');
  }
  position += tail.copy(message, position);
  return message.subarray(0, position);
}

describe('parseMessage: large message', () => {
  it('parses a 49 MiB attachment (about 70 MB on the wire) holding the content about once', async () => {
    const attachment = randomBytes(ATTACHMENT_BYTES);
    const source = buildMessage(attachment);
    expect(source.length).toBeGreaterThan(50 * MiB);

    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }, 2);
    const message = await parseMessage(source).finally(() => clearInterval(sampler));
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);

    expect(message.messageId).toBe('<large-1@example.com>');
    expect(message.text).toBe('See the attached archive.');
    expect(message.size).toBe(source.length);
    expect(message.contentHash).toBe(createHash('sha256').update(source).digest('hex'));
    expect(message.warnings).toEqual([]);
    expect(message.attachments).toHaveLength(1);
    const [parsed] = message.attachments;
    expect(parsed?.filename).toBe('archive.zip');
    expect(parsed?.content.length).toBe(ATTACHMENT_BYTES);
    expect(parsed?.content.equals(attachment)).toBe(true);
    // The decoded attachment is held once, plus the chunks mailparser joins into it while it
    // finishes: about 2x. Feeding mailparser the whole source at once measured about 4.5x.
    expect(peak - before).toBeLessThan(3 * ATTACHMENT_BYTES);
  }, 60_000);

  it('drops an oversized attachment when maxAttachmentBytes says so', async () => {
    const attachment = randomBytes(2 * MiB);
    const message = await parseMessage(buildMessage(attachment), { maxAttachmentBytes: MiB });
    expect(message.attachments).toEqual([]);
    expect(message.text).toBe('See the attached archive.');
    expect(message.warnings).toEqual([`attachment "archive.zip" (${2 * MiB} bytes) is larger than ${MiB} bytes and was left out`]);
  });
});
