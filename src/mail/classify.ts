import { stripComments } from '../domain/message-id.js';
import type { MailClassification } from './parsed-message.js';

/**
 * Tells people's mail from machine-generated mail, so the CRM can log conversations without
 * counting an out-of-office note as a reply or a bounce as a contact's answer.
 *
 * Order of the checks:
 * 1. bounce: a delivery status notification (RFC 3464), or a failure notice from the mail system;
 * 2. automatic: any of the headers automatic senders set (RFC 3834 §5, the de-facto X- headers,
 *    Precedence);
 * 3. out_of_office: an automatic message whose subject says it is an absence note;
 * 4. normal: everything else, mailing-list traffic included.
 */

/** Header fields by lower-case name; every occurrence in header order, unfolded (RFC 5322 §2.2.3) and trimmed. */
export type MailHeaders = ReadonlyMap<string, readonly string[]>;

/** A parsed Content-Type (RFC 2045 §5.1): `type/subtype` and its parameters by lower-case name. mailparser's StructuredHeader fits. */
export interface ContentTypeInfo {
  value: string;
  params: Readonly<Record<string, string>>;
}

/**
 * Builds MailHeaders from raw header lines such as mailparser's `headerLines` (`key` lower-case,
 * `line` the whole field, folding included). Lines without a name (a header line that had no colon)
 * are skipped.
 */
export function headersFromLines(lines: ReadonlyArray<{ key: string; line: string }>): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const { key, line } of lines) {
    const colon = line.indexOf(':');
    if (key === '' || colon === -1) continue;
    const value = unfold(line.slice(colon + 1)).trim();
    const values = headers.get(key);
    if (values === undefined) headers.set(key, [value]);
    else values.push(value);
  }
  return headers;
}

/** RFC 5322 §2.2.3: unfolding removes each CRLF that is followed by whitespace. */
export function unfold(value: string): string {
  return value.replace(/\r?\n(?=[ \t])/g, '');
}

export function classifyMessage(headers: MailHeaders, contentType: ContentTypeInfo | null, subject: string): MailClassification {
  if (isBounce(headers, contentType, subject)) return 'bounce';
  if (!isAutomatic(headers, contentType)) return 'normal';
  return OUT_OF_OFFICE_SUBJECT.test(subject.trim()) ? 'out_of_office' : 'auto_reply';
}

/**
 * Subjects of delivery failure notices, as the common MTAs write them (Postfix "Undelivered Mail
 * Returned to Sender", Exchange "Undeliverable:", Exim "Mail delivery failed", qmail "failure
 * notice", sendmail "Returned mail:", Gmail "Delivery Status Notification (Failure)", and German and
 * French Exchange wordings). Only trusted together with a mail-system sender or a null Return-Path.
 */
const DELIVERY_FAILURE_SUBJECT =
  /undeliver(?:ed|able)|delivery (?:status notification \(failure\)|failure|failed|has failed|problem)|mail delivery failed|returned mail|failure notice|could not be delivered|unzustellbar|nicht zustellbar|non remis|non distribuable/i;

/**
 * Absence notes. Exchange/Outlook prefix the original subject with "Automatic reply:" (2010 and
 * later) or "Out of Office:"/"Out of Office AutoReply:" (older), localized ("Automatische Antwort:",
 * "Abwesenheitsnotiz:", "Réponse automatique :", ...); a Sieve vacation response defaults to
 * "Auto: " + the original subject (RFC 5230, Sieve vacation); people's own vacation subjects tend to name the
 * absence. Only consulted for messages already known to be automatic.
 */
const OUT_OF_OFFICE_SUBJECT =
  /^auto:\s|out of (?:the )?office|\booo\b|automatic reply|automatische antwort|abwesenheit|abwesend|absence|absent\b|vacation|urlaub|on leave|réponse automatique|respuesta automática|risposta automatica|automatisch antwoord|resposta automática|autosvar|automaattinen vastaus/i;

/** Local parts the MTA itself sends notices from (sendmail/Postfix/Exim MAILER-DAEMON). */
const DAEMON_SENDERS = new Set(['mailer-daemon', 'mailerdaemon', 'mail-daemon']);

function isBounce(headers: MailHeaders, contentType: ContentTypeInfo | null, subject: string): boolean {
  // RFC 3464 §2 / RFC 6522 §3: a DSN is multipart/report with report-type=delivery-status. That is
  // also what a "delayed" DSN looks like; we still call it a bounce, the report says so.
  if (isReport(contentType, 'delivery-status')) return true;
  // Exim names the failed recipients in this header of its (non-DSN) bounce messages.
  if (headers.has('x-failed-recipients')) return true;
  if (!DELIVERY_FAILURE_SUBJECT.test(subject)) return false;
  // A null reverse-path is what RFC 5321 §4.5.5 requires for non-delivery notifications; the
  // delivering server records it as `Return-Path: <>` (RFC 5321 §4.4).
  const nullReturnPath = (headers.get('return-path') ?? []).some((value) => stripComments(value).trim() === '<>');
  // postmaster (RFC 5321 §4.5.1) also sends failure notices, but it is a role mailbox a person
  // reads and writes from, so it counts only together with a failure subject, as here.
  const sender = senderLocalPart(headers.get('from')?.[0]);
  return nullReturnPath || sender === 'postmaster' || (sender !== null && DAEMON_SENDERS.has(sender));
}

function isReport(contentType: ContentTypeInfo | null, reportType: string): boolean {
  if (contentType === null || contentType.value.trim().toLowerCase() !== 'multipart/report') return false;
  return (contentType.params['report-type'] ?? '').trim().toLowerCase() === reportType;
}

/** Lower-cased local part of the first address in a From value (`Name <local@host>`, `local@host (comment)` or a bare `MAILER-DAEMON`). */
function senderLocalPart(from: string | undefined): string | null {
  if (from === undefined) return null;
  const bracketed = /<([^<>]*)>/.exec(from);
  const address = (bracketed?.[1] ?? stripComments(from)).trim().replace(/^"|"$/g, '');
  const at = address.lastIndexOf('@');
  const local = (at === -1 ? address : address.slice(0, at)).trim().toLowerCase();
  return local === '' ? null : local;
}

function isAutomatic(headers: MailHeaders, contentType: ContentTypeInfo | null): boolean {
  // RFC 3834 §5: Auto-Submitted is `auto-generated`, `auto-replied` or an extension keyword, each
  // optionally followed by `;` parameters; only `no` marks a message a person sent.
  const autoSubmitted = values(headers, 'auto-submitted').map((value) => firstToken(value));
  if (autoSubmitted.some((keyword) => keyword !== '' && keyword !== 'no')) return true;

  // De-facto headers of auto-responders (X-Autoreply: yes, X-Autorespond: ...) and the one Exchange
  // puts on its own automatic messages to stop other responders answering them
  // ([MS-OXCMAIL], e.g. `X-Auto-Response-Suppress: All`).
  for (const name of ['x-autoreply', 'x-autorespond']) {
    if (values(headers, name).some((value) => !/^(?:no|false|0)$/i.test(value.trim()))) return true;
  }
  if (values(headers, 'x-auto-response-suppress').some((value) => value.trim() !== '' && !/^none$/i.test(value.trim()))) {
    return true;
  }

  // Precedence (a de-facto header, catalogued in RFC 2076 but never standardised): bulk, junk and
  // auto_reply are machine mail. `list` on its own is a mailing list, i.e. people writing to
  // people, so it is not.
  const precedence = values(headers, 'precedence').map((value) => firstToken(value));
  if (precedence.some((value) => value === 'bulk' || value === 'junk' || value === 'auto_reply' || value === 'auto-reply')) {
    return true;
  }

  // A read receipt (RFC 8098 §3: multipart/report; report-type=disposition-notification) is
  // generated by the recipient's client, not written by the recipient.
  if (isReport(contentType, 'disposition-notification')) return true;

  // Neither the X-MS-Exchange-Inbox-Rules-Loop header (Exchange also sets it when an inbox rule
  // forwards a person's mail) nor a null Return-Path on its own (some list servers use one) is
  // treated as a sign of automatic mail.
  // Whatever MAILER-DAEMON sends (delay warnings, relay notices) no person wrote.
  const sender = senderLocalPart(headers.get('from')?.[0]);
  return sender !== null && DAEMON_SENDERS.has(sender);
}

function values(headers: MailHeaders, name: string): readonly string[] {
  return headers.get(name) ?? [];
}

/** The keyword before any `;` parameters or comments, lower-cased. */
function firstToken(value: string): string {
  return (stripComments(value).split(';')[0] ?? '').trim().toLowerCase();
}
