import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/domain/errors.js';
import { parseMailDate } from '../../../src/mail/mail-date.js';
import { parseMessage } from '../../../src/mail/parse-message.js';

const fixtureDir = new URL('../../fixtures/mail/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, fixtureDir));
const parseFixture = (name: string) => parseMessage(fixture(name));
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==';
const PDF_BYTES = '%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n';

describe('parseMessage: plain text', () => {
  it('fills every field', async () => {
    const source = fixture('plain-text.eml');
    const message = await parseMessage(source);
    expect(message).toEqual({
      messageId: '<20240604071500.GA1234@mail.example.com>',
      syntheticMessageId: false,
      inReplyTo: null,
      references: [],
      date: '2024-06-04T07:15:00.000Z',
      subject: 'Question about your pricing',
      from: [{ address: 'anna.schmidt@example.com', name: 'Anna Schmidt' }],
      sender: null,
      replyTo: [],
      to: [{ address: 'sales@example.org', name: 'Sales Team' }],
      cc: [{ address: 'bob@example.org', name: null }],
      bcc: [],
      text: 'Hello,\n\ncould you send me your current price list?\n\nRegards,\nAnna\n',
      html: null,
      attachments: [],
      classification: 'normal',
      contentHash: sha256(source),
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      size: source.length,
      warnings: [],
    });
  });
});

describe('parseMessage: HTML alternative with inline image and PDF', () => {
  it('returns text, sanitized HTML keeping the cid reference, and both attachments', async () => {
    const message = await parseFixture('alternative-inline-pdf.eml');
    expect(message.messageId).toBe('<quote-4711@example.com>');
    expect(message.date).toBe('2024-06-05T18:30:00.000Z');
    expect(message.from).toEqual([{ address: 'john.miller@example.com', name: 'Miller, John' }]);
    expect(message.replyTo).toEqual([{ address: 'offers@example.com', name: 'Offers' }]);
    expect(message.to).toEqual([{ address: 'customer@example.org', name: null }]);
    expect(message.text).toBe('Dear customer,\n\nplease find our quote attached. Total: 1.200 €\n\nJohn');
    expect(message.html).toBe(
      '\n<p>Dear customer,</p>\n<p>please find our quote attached. Total: <b>1.200 €</b></p>\n' +
        '<p><img alt="Logo" src="cid:logo.png@example.com" /></p>\n<p>John</p>\n',
    );
    expect(message.attachments).toEqual([
      { filename: 'logo.png', contentType: 'image/png', content: Buffer.from(PNG_1X1, 'base64'), contentId: 'logo.png@example.com', inline: true },
      { filename: 'quote-4711.pdf', contentType: 'application/pdf', content: Buffer.from(PDF_BYTES), contentId: null, inline: false },
    ]);
    expect(message.classification).toBe('normal');
    expect(message.warnings).toEqual([]);
  });

  it('leaves out attachments over maxAttachmentBytes with a warning', async () => {
    const message = await parseMessage(fixture('alternative-inline-pdf.eml'), { maxAttachmentBytes: 69 });
    expect(message.attachments.map((attachment) => attachment.filename)).toEqual(['quote-4711.pdf']);
    expect(message.warnings).toEqual(['attachment "logo.png" (70 bytes) is larger than 69 bytes and was left out']);
  });

  it('rejects a negative maxAttachmentBytes', async () => {
    await expect(parseMessage(fixture('plain-text.eml'), { maxAttachmentBytes: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('parseMessage: threading headers', () => {
  it('reads In-Reply-To and the de-duplicated References in order', async () => {
    const message = await parseFixture('reply.eml');
    expect(message.messageId).toBe('<CAF=reply.1@mail.example.org>');
    expect(message.inReplyTo).toBe('<quote-4711@example.com>');
    expect(message.references).toEqual(['<first-contact@example.com>', '<quote-4700@example.com>', '<quote-4711@example.com>']);
    expect(message.subject).toBe('Re: Your quote');
  });

  it('takes the first id of a multi-id In-Reply-To and wraps bare ids', async () => {
    const source = Buffer.from('From: a@example.com\r\nIn-Reply-To: <one@x> <two@x>\r\nReferences: bare@x\r\nMessage-ID: id@example.com\r\n\r\nbody\r\n');
    const message = await parseMessage(source);
    expect(message.inReplyTo).toBe('<one@x>');
    expect(message.references).toEqual(['<bare@x>']);
    expect(message.messageId).toBe('<id@example.com>');
    expect(message.syntheticMessageId).toBe(false);
  });
});

describe('parseMessage: missing Message-ID and Date', () => {
  it('makes a synthetic id from the identifying headers, the same for the header block, the full message and another mailbox\'s copy', async () => {
    const source = fixture('no-message-id.eml');
    const message = await parseMessage(source);
    expect(message.messageId).toMatch(/^<[0-9a-f]{64}\.synthetic@crm-bridge\.invalid>$/);
    expect(message.syntheticMessageId).toBe(true);
    expect(message.contentHash).toBe(sha256(source));
    expect(message.warnings).toEqual([]);
    // Stable: the same bytes give the same id.
    expect((await parseMessage(Buffer.from(source))).messageId).toBe(message.messageId);
    // A header-only fetch (BODY.PEEK[HEADER]) identifies the message the same way.
    const headerEnd = source.indexOf('\r\n\r\n') >= 0 ? source.indexOf('\r\n\r\n') + 4 : source.indexOf('\n\n') + 2;
    expect((await parseMessage(source.subarray(0, headerEnd))).messageId).toBe(message.messageId);
    // Delivery headers added by another mailbox do not change it; a different subject does.
    const delivered = Buffer.concat([Buffer.from('Received: from mx2.example by mx.example; Mon, 3 Jun 2024 10:00:05 +0000\r\nDelivered-To: other@example.com\r\n'), source]);
    expect((await parseMessage(delivered)).messageId).toBe(message.messageId);
    const otherSubject = Buffer.from(source.toString('latin1').replace(/^Subject:.*$/im, 'Subject: something else'), 'latin1');
    expect((await parseMessage(otherSubject)).messageId).not.toBe(message.messageId);
  });

  it('makes a synthetic id, with a warning, for an unusable Message-ID', async () => {
    const source = Buffer.from('From: a@example.com\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: no id here\r\n\r\nbody\r\n');
    const message = await parseMessage(source);
    expect(message.messageId).toMatch(/^<[0-9a-f]{64}\.synthetic@crm-bridge\.invalid>$/);
    expect(message.syntheticMessageId).toBe(true);
    expect(message.warnings).toEqual(['unusable Message-ID header "no id here"; using a synthetic id']);
  });

  it('returns date null, not the current time, when the Date header is missing', async () => {
    const message = await parseFixture('no-date.eml');
    expect(message.date).toBeNull();
    expect(message.messageId).toBe('<no-date-1@example.net>');
    expect(message.warnings).toEqual(['missing Date header']);
  });

  it('returns date null, not the current time, when the Date header is garbage', async () => {
    const message = await parseMessage(Buffer.from('From: a@example.com\r\nDate: next Tuesday\r\nMessage-ID: <d@x>\r\n\r\nbody\r\n'));
    expect(message.date).toBeNull();
    expect(message.warnings).toEqual(['unparseable Date header "next Tuesday"']);
  });
});

describe('parseMailDate', () => {
  it.each([
    ['Tue, 04 Jun 2024 09:15:00 +0200', '2024-06-04T07:15:00.000Z'],
    ['4 Jun 2024 09:15:00 +0200', '2024-06-04T07:15:00.000Z'],
    ['Tue, 4 Jun 2024 09:15 -0430', '2024-06-04T13:45:00.000Z'],
    ['Tue, 04 Jun 2024 09:15:00 +0200 (CEST)', '2024-06-04T07:15:00.000Z'],
    ['Tue, 04 Jun 2024 09:15:00 +0200 CEST', '2024-06-04T07:15:00.000Z'],
    ['Tue,\r\n 04 Jun 2024\r\n 09:15:00 +0200', '2024-06-04T07:15:00.000Z'],
    ['Tue, 04 Jun 2024 09:15:00 GMT', '2024-06-04T09:15:00.000Z'],
    ['Tue, 04 Jun 2024 09:15:00 UT', '2024-06-04T09:15:00.000Z'],
    ['Tue, 04 Jun 2024 09:15:00 EDT', '2024-06-04T13:15:00.000Z'],
    ['Tue, 04 Jun 2024 09:15:00 PST', '2024-06-04T17:15:00.000Z'],
    // RFC 5322 §4.3: unknown alphabetic and military zones count as -0000.
    ['Tue, 04 Jun 2024 09:15:00 CEST', '2024-06-04T09:15:00.000Z'],
    ['Tue, 04 Jun 2024 09:15:00 Z', '2024-06-04T09:15:00.000Z'],
    // RFC 5322 §4.3 two- and three-digit years.
    ['Tue, 4 Jun 24 09:15:00 +0000', '2024-06-04T09:15:00.000Z'],
    ['Thu, 4 Jun 98 09:15:00 +0000', '1998-06-04T09:15:00.000Z'],
    ['Fri, 4 Jun 104 09:15:00 +0000', '2004-06-04T09:15:00.000Z'],
    ['Sat, 31 Dec 2016 23:59:60 +0000', '2016-12-31T23:59:59.000Z'],
    ['04-Jun-2024 09:15:00 +0200', '2024-06-04T07:15:00.000Z'],
    ['2024-06-04T09:15:00+02:00', '2024-06-04T07:15:00.000Z'],
    ['2024-06-04T09:15:00Z', '2024-06-04T09:15:00.000Z'],
  ])('%j -> %s', (input, expected) => {
    expect(parseMailDate(input)).toBe(expected);
  });

  it.each(['', 'next Tuesday', '1', 'Tue, 31 Feb 2024 09:15:00 +0000', 'Tue, 04 Foo 2024 09:15:00 +0000', 'Tue, 04 Jun 2024 25:15:00 +0000', '2024-06-04', 'Tue, 04 Jun 2024 09:15:00 +0299'])(
    '%j -> null',
    (input) => {
      expect(parseMailDate(input)).toBeNull();
    },
  );
});

describe('parseMessage: RFC 2047 encoded words', () => {
  it('decodes UTF-8 B and Q and ISO-8859-1 Q words in subject and names', async () => {
    const message = await parseFixture('encoded-words.eml');
    expect(message.subject).toBe('Grüße aus Köln – Angebot');
    expect(message.from).toEqual([{ address: 'joerg.mueller@example.de', name: 'Jörg Müller' }]);
    expect(message.to).toEqual([
      { address: 'francoise@example.fr', name: 'Françoise Dupré' },
      { address: 'yamada@example.jp', name: '山田太郎' },
    ]);
    expect(message.text).toBe('Grüße aus Köln.\n');
    expect(message.warnings).toEqual([]);
  });

  it('turns an encoded CR or LF in a display name or the subject into a space (they are one line, RFC 5322 §3.2.5)', async () => {
    const source = Buffer.from('From: =?utf-8?q?Eve=0D=0AEMAIL=3Ax=40y=2Eexample?= <eve@example.org>\r\nTo: =?utf-8?b?Qm9iDUFUVEVOREVFOng=?= <bob@example.org>\r\nSubject: =?utf-8?q?Hi=0AX-Injected=3A_1?=\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <cr@x>\r\n\r\nbody\r\n');
    const message = await parseMessage(source);
    expect(message.from).toEqual([{ address: 'eve@example.org', name: 'Eve EMAIL:x@y.example' }]);
    expect(message.to).toEqual([{ address: 'bob@example.org', name: 'Bob ATTENDEE:x' }]);
    expect(message.subject).toBe('Hi X-Injected: 1');
  });

  it('warns about encoded words in charsets that cannot be decoded', async () => {
    const source = Buffer.from('From: a@example.com\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <e@x>\r\nSubject: =?x-unknown?Q?abc?= =?utf-7?Q?+ADw-?=\r\n\r\nbody\r\n');
    const message = await parseMessage(source);
    expect(message.warnings).toEqual([
      'Subject: encoded word in unsupported charset "x-unknown"; read as UTF-8 instead and possibly garbled',
      'Subject: encoded word in charset "utf-7", which is not decoded (RFC 2152 UTF-7 is refused for safety); read as UTF-8 instead',
    ]);
  });
});

describe('parseMessage: charsets', () => {
  it('decodes an unknown charset as UTF-8 and names it in a warning', async () => {
    const message = await parseFixture('unknown-charset.eml');
    expect(message.text).toBe('Plain ASCII line.\nBytes: \uFFFD\uFFFD\uFFFD\n');
    expect(message.warnings).toEqual(['text/plain body: unsupported charset "x-unknown-foo"; read as UTF-8 instead and possibly garbled']);
  });

  it.each(['windows-1252', 'ISO-8859-15', 'cp850', 'koi8-r', 'Shift_JIS', 'gb2312', 'utf-16le', 'latin1', 'iso8859-2', 'macintosh'])(
    'does not warn about %s',
    async (charset) => {
      const source = Buffer.from(`From: a@example.com\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <c@x>\r\nContent-Type: text/plain; charset="${charset}"\r\n\r\nabc\r\n`);
      expect((await parseMessage(source)).warnings).toEqual([]);
    },
  );

  it('decodes a supported legacy charset', async () => {
    const body = Buffer.from([0x8e, 0x84, 0x94]); // Ä ä ö in code page 850
    const head = Buffer.from('From: a@example.com\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <c@x>\r\nContent-Type: text/plain; charset=cp850\r\n\r\n');
    expect((await parseMessage(Buffer.concat([head, body]))).text).toBe('Ääö');
  });
});

describe('parseMessage: broken input', () => {
  it('survives broken headers and a truncated multipart, and says what was wrong', async () => {
    const message = await parseFixture('broken-headers.eml');
    expect(message.messageId).toBe('<broken-1@example.com>');
    expect(message.date).toBe('2024-06-08T07:00:00.000Z');
    expect(message.subject).toBe('=?UTF-8?Q?Angebot_f=C3=BCr_Sie');
    expect(message.text).toBe('The attachment below is cut off.');
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0]?.filename).toBe('cut.pdf');
    expect(message.attachments[0]?.content).toEqual(Buffer.from('JVBERi0xLjQKMSAwIG9iajw8L1R5cGUv', 'base64'));
    expect(message.warnings).toEqual([
      'message header line without a colon ignored (RFC 5322 §2.2): "This line has no colon"',
      'multipart/mixed part with boundary "cut-here" has no closing delimiter (RFC 2046 §5.1.1); the message is probably truncated',
      'Subject: unterminated RFC 2047 encoded word "=?UTF-8?Q?Angebot_f=C3=BCr_Sie"; left undecoded',
    ]);
  });

  it('warns about a multipart without boundary and an inner multipart left open', async () => {
    const noBoundary = await parseMessage(Buffer.from('From: a@example.com\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <m@x>\r\nContent-Type: multipart/mixed\r\n\r\nbody\r\n'));
    expect(noBoundary.warnings).toEqual(['multipart/mixed without a boundary parameter (RFC 2046 §5.1.1); its parts cannot be found']);

    const innerOpen = await parseMessage(
      Buffer.from(
        'From: a@example.com\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <m@x>\r\nContent-Type: multipart/mixed; boundary="(outer)"\r\n\r\n' +
          '--(outer)\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\nContent-Type: text/plain\r\n\r\nhi\r\n--(outer)--\r\n',
      ),
    );
    expect(innerOpen.text).toBe('hi');
    expect(innerOpen.warnings).toEqual([
      'multipart/alternative part with boundary "inner" has no closing delimiter (RFC 2046 §5.1.1); the message is probably truncated',
    ]);
  });

  it('does not mistake boundary-like body lines or mbox From lines for problems', async () => {
    const source = Buffer.from(
      'From sender@example.com Mon Jun  3 10:00:00 2024\r\nFrom: a@example.com\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <m@x>\r\n' +
        'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n--bx is not a delimiter\r\n-- \r\nsignature\r\n--b--  \r\n',
    );
    const message = await parseMessage(source);
    expect(message.warnings).toEqual([]);
  });

  it('does not warn about folded continuation lines of repeated fields', async () => {
    const source = Buffer.from(
      'Received: from a.example.com\r\n\tby b.example.com; Mon, 3 Jun 2024 10:00:02 +0000\r\n' +
        'Received: from c.example.com\r\n\tby a.example.com; Mon, 3 Jun 2024 10:00:01 +0000\r\n' +
        'From: a@example.com\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <r@x>\r\n\r\nbody\r\n',
    );
    expect((await parseMessage(source)).warnings).toEqual([]);
  });

  it('checks a header full of encoded words in linear time', async () => {
    const words = Array.from({ length: 20_000 }, () => '=?utf-8?Q?a?=').join(' ');
    const source = Buffer.from(`From: a@example.com\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <w@x>\r\nSubject: ${words} =?x-bad?Q?b?=\r\n\r\nbody\r\n`);
    const started = Date.now();
    const message = await parseMessage(source);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(message.subject.startsWith('aaaa')).toBe(true);
    expect(message.warnings).toEqual(['Subject: encoded word in unsupported charset "x-bad"; read as UTF-8 instead and possibly garbled']);
  });

  it('parses an empty input into an empty message instead of throwing', async () => {
    const message = await parseMessage(Buffer.alloc(0));
    expect(message).toMatchObject({
      messageId: `<${sha256('')}.synthetic@crm-bridge.invalid>`,
      syntheticMessageId: true,
      subject: '',
      date: null,
      from: [],
      text: null,
      html: null,
      classification: 'normal',
      size: 0,
    });
    expect(message.warnings).toEqual(['the message has no header fields', 'missing Date header']);
  });

  it('throws INVALID_INPUT when mailparser gives up', async () => {
    const source = Buffer.from(`Subject: x\r\nX-Big: ${'a'.repeat(2 * 1024 * 1024)}\r\n\r\nbody\r\n`);
    const error: unknown = await parseMessage(source).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BridgeError);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', message: 'cannot parse MIME message: Max header size for a MIME node exceeded' });
  });
});

describe('parseMessage: classification', () => {
  it.each([
    ['plain-text.eml', 'normal'],
    ['mailing-list.eml', 'normal'],
    ['newsletter-bulk.eml', 'auto_reply'],
    ['auto-submitted.eml', 'auto_reply'],
    ['exchange-ooo.eml', 'out_of_office'],
    ['dsn-bounce.eml', 'bounce'],
  ])('%s -> %s', async (name, classification) => {
    expect((await parseFixture(name)).classification).toBe(classification);
  });

  it('reads the DSN and keeps the returned headers as an attachment', async () => {
    const message = await parseFixture('dsn-bounce.eml');
    expect(message.from).toEqual([{ address: 'MAILER-DAEMON@mx.example.org', name: 'Mail Delivery System' }]);
    expect(message.text).toContain('Final-Recipient: rfc822; nobody@example.net');
    expect(message.attachments.map((attachment) => attachment.contentType)).toEqual(['text/rfc822-headers']);
    expect(message.warnings).toEqual([]);
  });

  it('keeps threading and addresses of the Exchange out-of-office note', async () => {
    const message = await parseFixture('exchange-ooo.eml');
    expect(message.inReplyTo).toBe('<meeting-1@example.org>');
    expect(message.references).toEqual(['<meeting-1@example.org>']);
    expect(message.from).toEqual([{ address: 'peter.wagner@example.com', name: 'Peter Wagner' }]);
    expect(message.text).toBe('I am out of the office until 17 June with limited access to e-mail.');
  });

  it('reads Sender of a mailing-list message', async () => {
    const message = await parseFixture('mailing-list.eml');
    expect(message.sender).toEqual({ address: 'users-bounces@lists.example.org', name: null });
  });
});

describe('parseMessage: HTML', () => {
  it('sanitizes hostile HTML and converts it to text when there is no text part', async () => {
    const message = await parseFixture('xss-html.eml');
    const links = 'rel="noopener noreferrer" target="_blank"';
    expect(message.html).toBe(
      '\n\n' +
        `<p>Please see the <a ${links}>invoice</a>.</p>\n` +
        `<p><a ${links}>encoded</a></p>\n` +
        `<p><a ${links}>data link</a></p>\n` +
        `<p><a ${links} href="https://example.com/invoice">real link</a></p>\n` +
        '<img />\n\n\nSend\n<div>styled</div>\n' +
        '<p style="color:#333333;font-weight:bold">kept style</p>\n\n',
    );
    // The text is mailparser's conversion of the original HTML: plain text, so the link targets it
    // lists (javascript: ones included) are inert words, not links.
    expect(message.text).toBe(
      'Please see the invoice [javascript:alert(1)].\n\nencoded [javascript:alert(2)]\n\n' +
        'data link [data:text/html;base64,PHNjcmlwdD5hbGVydCgzKTwvc2NyaXB0Pg==]\n\nreal link [https://example.com/invoice]\n\n' +
        '[x]\nSend\nstyled\n\nkept style',
    );
  });

  it('drops the tracking pixel of the newsletter and keeps its text', async () => {
    const message = await parseFixture('newsletter-bulk.eml');
    expect(message.html).toBe('<h1>June product update</h1><p>Our new features.</p><img width="1" height="1" />\n');
    expect(message.text?.startsWith('JUNE PRODUCT UPDATE\n\nOur new features.')).toBe(true);
  });
});

describe('parseMessage: addresses', () => {
  it('flattens groups and returns no recipients for undisclosed-recipients:;', async () => {
    const message = await parseFixture('undisclosed-recipients.eml');
    expect(message.to).toEqual([]);
    expect(message.cc).toEqual([
      { address: 'chair@example.com', name: null },
      { address: 'treasurer@example.com', name: 'Treasurer' },
      { address: 'observer@example.net', name: null },
    ]);
    expect(message.warnings).toEqual([]);
  });

  it('skips entries without an address and merges repeated headers', async () => {
    const source = Buffer.from(
      'From: a@example.com\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <a@x>\r\n' +
        'To: "Jane" <jane@example.com>\r\nTo: John Smith\r\nTo: second@example.com, <>\r\nBcc: hidden@example.com\r\n\r\nbody\r\n',
    );
    const message = await parseMessage(source);
    expect(message.to).toEqual([
      { address: 'jane@example.com', name: 'Jane' },
      { address: 'second@example.com', name: null },
    ]);
    expect(message.bcc).toEqual([{ address: 'hidden@example.com', name: null }]);
    expect(message.warnings).toEqual(['To: ignored "John Smith", which is not an e-mail address']);
  });
});

describe('parseMessage: line endings', () => {
  const fixtures = readdirSync(fixtureDir).filter((name) => name.endsWith('.eml'));

  it.each(fixtures)('%s parses the same with CRLF line endings', async (name) => {
    const lf = fixture(name);
    const crlf = Buffer.from(lf.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    const [a, b] = await Promise.all([parseMessage(lf), parseMessage(crlf)]);
    const comparable = (message: typeof a) => ({
      ...message,
      messageId: message.syntheticMessageId ? 'synthetic' : message.messageId,
      contentHash: undefined,
      // Covers the attachments' decoded bytes, line endings included (see below).
      fingerprint: message.attachments.length > 0 ? undefined : message.fingerprint,
      size: undefined,
      text: message.text?.replace(/\r\n/g, '\n') ?? null,
      html: message.html?.replace(/\r\n/g, '\n') ?? null,
      // Attachments are raw bytes, line endings included.
      attachments: message.attachments.map((attachment) => ({ ...attachment, content: attachment.content.toString('latin1').replace(/\r\n/g, '\n') })),
    });
    expect(comparable(b)).toEqual(comparable(a));
  });
});
