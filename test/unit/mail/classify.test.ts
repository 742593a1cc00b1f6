import { describe, expect, it } from 'vitest';
import { classifyMessage, headersFromLines } from '../../../src/mail/classify.js';
import type { ContentTypeInfo } from '../../../src/mail/classify.js';

/** Builds the header map the way parseMessage does, from `Name: value` lines. */
function headers(...lines: string[]): Map<string, string[]> {
  return headersFromLines(lines.map((line) => ({ key: line.slice(0, line.indexOf(':')).toLowerCase(), line })));
}

const textPlain: ContentTypeInfo = { value: 'text/plain', params: { charset: 'utf-8' } };
const person = 'From: Anna <anna@example.com>';

describe('headersFromLines', () => {
  it('unfolds (RFC 5322 §2.2.3), trims, and keeps every occurrence in order', () => {
    const map = headersFromLines([
      { key: 'received', line: 'Received: from a\r\n\tby b' },
      { key: 'received', line: 'Received: from c' },
      { key: 'subject', line: 'Subject:  Hello\r\n world ' },
      { key: '', line: 'line without colon' },
    ]);
    expect(map.get('received')).toEqual(['from a\tby b', 'from c']);
    expect(map.get('subject')).toEqual(['Hello world']);
    expect(map.has('')).toBe(false);
  });
});

describe('classifyMessage: normal mail', () => {
  it('classifies a person-to-person message as normal', () => {
    expect(classifyMessage(headers(person, 'To: b@example.com'), textPlain, 'Question')).toBe('normal');
  });

  it('classifies mailing-list traffic (Precedence: list, List-Id) as normal', () => {
    expect(classifyMessage(headers(person, 'Precedence: list', 'List-Id: <users.lists.example.org>'), textPlain, '[users] Hi')).toBe('normal');
  });

  it('honours Auto-Submitted: no (RFC 3834 §5)', () => {
    expect(classifyMessage(headers(person, 'Auto-Submitted: no'), textPlain, 'Out of office?')).toBe('normal');
    expect(classifyMessage(headers(person, 'Auto-Submitted: No (sent by a person)'), textPlain, 'Hi')).toBe('normal');
  });

  it('does not call a person\'s mail about a delivery failure a bounce', () => {
    expect(classifyMessage(headers(person), textPlain, 'Delivery failure of our pallets')).toBe('normal');
  });

  it('does not call mail from a postmaster a bounce or automatic without a failure subject', () => {
    expect(classifyMessage(headers('From: postmaster@example.com'), textPlain, 'Your question about our spam filter')).toBe('normal');
  });

  it.each(['X-Autoreply: no', 'X-Autorespond: false', 'X-Auto-Response-Suppress: None', 'X-MS-Exchange-Inbox-Rules-Loop: anna@example.com'])(
    'ignores %s',
    (line) => {
      expect(classifyMessage(headers(person, line), textPlain, 'Hi')).toBe('normal');
    },
  );

  it('does not treat a null Return-Path alone as automatic', () => {
    expect(classifyMessage(headers(person, 'Return-Path: <>'), textPlain, 'Hi')).toBe('normal');
  });
});

describe('classifyMessage: automatic mail', () => {
  it.each([
    'Auto-Submitted: auto-generated',
    'Auto-Submitted: auto-replied',
    'Auto-Submitted: auto-replied; owner-email="a@example.com"',
    'Auto-Submitted: AUTO-REPLIED (vacation)',
    'Auto-Submitted: auto-notified',
    'X-Autoreply: yes',
    'X-Autorespond: Thank you for your message',
    'X-Auto-Response-Suppress: All',
    'X-Auto-Response-Suppress: DR, OOF, AutoReply',
    'Precedence: bulk',
    'Precedence: junk',
    'Precedence: auto_reply',
    'Precedence: BULK (newsletter)',
  ])('%s -> auto_reply', (line) => {
    expect(classifyMessage(headers(person, line), textPlain, 'Your request')).toBe('auto_reply');
  });

  it('treats any Auto-Submitted other than no as automatic even with Precedence: list', () => {
    expect(classifyMessage(headers(person, 'Precedence: list', 'Auto-Submitted: auto-generated'), textPlain, 'Digest')).toBe('auto_reply');
  });

  it('treats a read receipt (RFC 8098 disposition-notification report) as automatic', () => {
    const mdn: ContentTypeInfo = { value: 'multipart/report', params: { 'report-type': 'disposition-notification', boundary: 'x' } };
    expect(classifyMessage(headers(person), mdn, 'Read: Your quote')).toBe('auto_reply');
  });

  it('treats a MAILER-DAEMON notice without a failure subject (delay warning) as automatic, not a bounce', () => {
    expect(classifyMessage(headers('From: MAILER-DAEMON@mx.example.org (Mail Delivery System)'), textPlain, 'Delayed Mail (still being retried)')).toBe(
      'auto_reply',
    );
  });
});

describe('classifyMessage: out of office', () => {
  it.each([
    'Automatic reply: Meeting next week',
    'Out of Office: Meeting next week',
    'Out of Office AutoReply: Meeting next week',
    'Abwesenheitsnotiz: Angebot',
    'Automatische Antwort: Angebot',
    'Absence du bureau',
    'Réponse automatique : Devis',
    'Auto: Your quote',
    'I am on vacation',
  ])('auto-replied message with subject %j -> out_of_office', (subject) => {
    expect(classifyMessage(headers(person, 'Auto-Submitted: auto-replied'), textPlain, subject)).toBe('out_of_office');
  });

  it('recognises the Exchange combination (Auto-Submitted: auto-generated, X-Auto-Response-Suppress)', () => {
    const exchange = headers(person, 'Auto-Submitted: auto-generated', 'X-Auto-Response-Suppress: All', 'X-MS-Exchange-Inbox-Rules-Loop: anna@example.com');
    expect(classifyMessage(exchange, textPlain, 'Automatic reply: Meeting next week')).toBe('out_of_office');
  });

  it('needs an automatic signal: a person writing "Out of office" is normal', () => {
    expect(classifyMessage(headers(person), textPlain, 'Out of Office: team event on Friday')).toBe('normal');
  });

  it('keeps ticket acknowledgements as auto_reply', () => {
    expect(classifyMessage(headers(person, 'Auto-Submitted: auto-replied'), textPlain, '[Ticket #1] We received your request')).toBe('auto_reply');
  });
});

describe('classifyMessage: bounces', () => {
  it('recognises an RFC 3464 delivery status notification by its content type alone', () => {
    const dsn: ContentTypeInfo = { value: 'multipart/report', params: { 'report-type': 'delivery-status', boundary: 'x' } };
    expect(classifyMessage(headers(person), dsn, 'anything')).toBe('bounce');
    const upper: ContentTypeInfo = { value: 'Multipart/Report', params: { 'report-type': 'Delivery-Status' } };
    expect(classifyMessage(headers(person), upper, '')).toBe('bounce');
  });

  it.each([
    ['From: MAILER-DAEMON@mx.example.org (Mail Delivery System)', 'Undelivered Mail Returned to Sender'],
    ['From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>', 'Returned mail: see transcript for details'],
    ['From: Mail Delivery System <Mailer-Daemon@example.net>', 'Mail delivery failed: returning message to sender'],
    ['From: postmaster@example.com', 'Undeliverable: Your quote'],
    ['From: MAILER-DAEMON', 'failure notice'],
    ['From: Microsoft Outlook <postmaster@contoso.example>', 'Unzustellbar: Angebot'],
  ])('%s with subject %j -> bounce', (from, subject) => {
    expect(classifyMessage(headers(from), textPlain, subject)).toBe('bounce');
  });

  it('accepts a null Return-Path (RFC 5321 §4.5.5) with a failure subject from any sender', () => {
    expect(classifyMessage(headers('From: Mail System <noreply@example.com>', 'Return-Path: <>'), textPlain, 'Delivery Status Notification (Failure)')).toBe(
      'bounce',
    );
  });

  it('recognises Exim bounces by X-Failed-Recipients', () => {
    expect(classifyMessage(headers('From: Mail Delivery System <Mailer-Daemon@example.net>', 'X-Failed-Recipients: a@example.org'), textPlain, 'Warning')).toBe(
      'bounce',
    );
  });

  it('prefers bounce over auto-reply when both apply', () => {
    const dsn: ContentTypeInfo = { value: 'multipart/report', params: { 'report-type': 'delivery-status' } };
    expect(classifyMessage(headers(person, 'Auto-Submitted: auto-replied'), dsn, 'Automatic reply: x')).toBe('bounce');
  });
});
