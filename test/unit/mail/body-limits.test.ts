import { describe, expect, it } from 'vitest';
import { limitBody } from '../../../src/mail/body-limit.js';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { sanitizeMailHtmlBounded } from '../../../src/mail/sanitize-bounded.js';
import { measureStall } from '../../support/event-loop-stall.js';

function message(contentType: string, body: string): Buffer {
  return Buffer.from(
    `From: Sender <sender@example.com>\r\nTo: sales@example.org\r\nSubject: Big body\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <big-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: ${contentType}\r\n\r\n${body}\r\n`,
  );
}

describe('mail body limits', () => {
  it('cuts at a character boundary, never inside a UTF-8 sequence', () => {
    expect(limitBody('abc', 10)).toEqual({ value: 'abc', cutFrom: null });
    const cut = limitBody('ä'.repeat(10), 5);
    expect(cut).toEqual({ value: 'ää', cutFrom: 20 });
  });

  it('stores at most mail.maxBodyBytes of a text body and says so in the body and in a warning', async () => {
    const parsed = await parseMessage(message('text/plain; charset=utf-8', 'x'.repeat(300_000)), { maxBodyBytes: 100_000 });
    expect(parsed.text!.startsWith('x'.repeat(100_000))).toBe(true);
    expect(parsed.text!.length).toBeLessThan(100_300);
    expect(parsed.text).toContain('mail.maxBodyBytes');
    expect(parsed.warnings.join('\n')).toContain('text body was cut to 100000');
  });

  it('cuts the HTML before sanitizing it, and the stored HTML says it was cut', async () => {
    const parsed = await parseMessage(message('text/html; charset=utf-8', '<p>hello <b>world</b></p>'.repeat(20_000)), { maxBodyBytes: 50_000 });
    expect(parsed.html!.length).toBeLessThan(52_000);
    expect(parsed.html).toMatch(/<p>\[crm-bridge: this body has \d+ bytes; only the first 50000 are kept/);
    expect(parsed.warnings.join('\n')).toContain('HTML body was cut to 50000');
  });

  it('sanitizes a hostile HTML body (quadratic for sanitize-html) without stalling the event loop, and gives up at the deadline', async () => {
    // 400 KB of unclosed nested tags: sanitize-html needs many seconds for it on the main thread.
    const hostile = '<div><span><b>'.repeat(30_000);
    let result: Awaited<ReturnType<typeof sanitizeMailHtmlBounded>> | undefined;
    const { stallMs: stall } = await measureStall(async () => {
      result = await sanitizeMailHtmlBounded(hostile, { timeoutMs: 500 });
    });
    expect(result).toEqual({ html: null, text: null, reason: 'sanitizing the HTML body took longer than 500 ms' });
    // Generous: the point is that the loop kept turning (inline it stalls for seconds).
    expect(stall).toBeLessThan(400);
    // The next body gets a fresh worker and the same allowlist.
    const after = await sanitizeMailHtmlBounded(`<p onclick="x()">fine</p><script>alert(1)</script>${'<p>more</p>'.repeat(3000)}`);
    expect(after.html?.startsWith('<p>fine</p><p>more</p>')).toBe(true);
    expect(after.html).not.toContain('script');
  }, 30_000);

  it('a message whose HTML cannot be sanitized in time keeps its text body and records why', async () => {
    const boundary = 'b1';
    const body = [`--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '', 'The text version.', `--${boundary}`, 'Content-Type: text/html; charset=utf-8', '', '<div><span><b>'.repeat(60_000), `--${boundary}--`].join('\r\n');
    const parsed = await parseMessage(message(`multipart/alternative; boundary="${boundary}"`, body));
    expect(parsed.text?.trim()).toBe('The text version.');
    expect(parsed.html).toBeNull();
    expect(parsed.warnings.join('\n')).toContain('the HTML body was left out (sanitizing the HTML body took longer than');
  }, 60_000);
});
