import { z } from 'zod';
import { emailAddress, longText, nullable, recordId, shortText, timestamp, userId } from './fields.js';

export const activityKinds = ['email_in', 'email_out', 'appointment', 'meeting', 'task', 'follow_up'] as const;
export type ActivityKind = (typeof activityKinds)[number];

export const activityStatuses = ['open', 'completed', 'cancelled'] as const;
/** RFC 5545 §3.2.9 FBTYPE values, plus `free` for TRANSP:TRANSPARENT (§3.8.2.7). */
export const busyStatuses = ['free', 'tentative', 'busy', 'oof'] as const;
export const regardingTypes = ['account', 'contact', 'lead', 'opportunity'] as const;
export type RegardingType = (typeof regardingTypes)[number];

/** How the parties of an activity took part: RFC 5322 §3.6.2-3 header roles for e-mail,
 * RFC 5545 §3.8.4.1/§3.8.4.3 organizer/attendee for meetings. */
export const partyRoles = ['from', 'sender', 'reply_to', 'to', 'cc', 'bcc', 'organizer', 'attendee', 'optional_attendee'] as const;
export const correlationMethods = ['in-reply-to', 'references', 'token', 'smart'] as const;
export const priorities = ['low', 'normal', 'high'] as const;
/** How an e-mail was sent: by a person, or automatically (RFC 3834 auto-replies, RFC 3464 bounces). */
export const mailClassifications = ['normal', 'auto_reply', 'out_of_office', 'bounce'] as const;

/** How far a task is done (RFC 5545 §3.8.1.8 PERCENT-COMPLETE: an integer 0-100). */
export const percentComplete = z.number().int().min(0).max(100);

/**
 * Appointments and meetings: a reminder this many minutes before the start (RFC 5545 §3.6.6 VALARM with
 * a start-relative TRIGGER), 0 up to four weeks (40,320 minutes).
 */
export const reminderMinutes = z.number().int().min(0).max(40320);

export const regardingSchema = z
  .object({ type: z.enum(regardingTypes), id: recordId })
  .strict()
  .meta({ id: 'Regarding' });
export type Regarding = z.infer<typeof regardingSchema>;

export const partySchema = z
  .object({
    role: z.enum(partyRoles),
    address: z.string(),
    name: nullable(z.string()),
    contactId: nullable(recordId),
    accountId: nullable(recordId),
    leadId: nullable(recordId),
    userId: nullable(userId),
  })
  .meta({ id: 'Party' });
export type Party = z.infer<typeof partySchema>;

export const partyInputSchema = z
  .object({
    role: z.enum(partyRoles),
    address: emailAddress,
    name: nullable(shortText).optional(),
    contactId: nullable(recordId).optional(),
    accountId: nullable(recordId).optional(),
    leadId: nullable(recordId).optional(),
    userId: nullable(userId).optional(),
  })
  .strict()
  .meta({ id: 'PartyInput' });
export type PartyInput = z.infer<typeof partyInputSchema>;

export const correlationSchema = z
  .object({ method: z.enum(correlationMethods), activityId: recordId })
  .meta({ id: 'Correlation' });
export type Correlation = z.infer<typeof correlationSchema>;

/** Where an activity was seen: an IMAP message (mailbox + UIDVALIDITY + UID) or a DAV resource. */
export const sourceSchema = z
  .object({
    type: z.enum(['imap', 'caldav', 'carddav', 'smtp', 'api']),
    sourceId: z.string().describe('user or shared-mailbox id the source belongs to'),
    ref: z.string().describe('mailbox/uidvalidity/uid for IMAP, absolute href for DAV'),
    seenAt: timestamp,
  })
  .meta({ id: 'ActivitySource' });
export type ActivitySource = z.infer<typeof sourceSchema>;

export const attachmentSchema = z
  .object({
    id: recordId,
    filename: nullable(z.string()),
    contentType: z.string(),
    size: z.number().int().nonnegative(),
    sha256: z.string(),
    stored: z.boolean().describe('false when the file exceeded the size limit and only its metadata was kept'),
  })
  .meta({ id: 'Attachment' });
export type Attachment = z.infer<typeof attachmentSchema>;

/** Delivery of mail sent from the CRM (POST /api/v1/emails). */
export const deliverySchema = z
  .object({
    state: z
      .enum(['queued', 'sending', 'sent', 'failed', 'uncertain', 'cancelled'])
      .describe('failed: refused for good (see lastError); uncertain: the bridge stopped during the SMTP transaction, never re-sent by itself; both can be retried or cancelled (POST /api/v1/emails/:id/retry, /cancel)'),
    attempts: z.number().int(),
    lastError: nullable(z.string()),
    nextAttemptAt: nullable(z.string()),
    sentAt: nullable(z.string()),
  })
  .meta({ id: 'Delivery' });
export type Delivery = z.infer<typeof deliverySchema>;

export const activitySchema = z
  .object({
    id: recordId,
    kind: z.enum(activityKinds),
    subject: z.string(),
    owner: nullable(userId),
    start: nullable(timestamp),
    end: nullable(timestamp),
    due: nullable(timestamp),
    allDay: z.boolean(),
    timeZone: nullable(z.string()),
    location: nullable(z.string()),
    status: z.enum(activityStatuses),
    priority: z.enum(priorities),
    percentComplete: nullable(percentComplete).describe('tasks: RFC 5545 §3.8.1.8 PERCENT-COMPLETE; 100 when completed'),
    reminderMinutes: nullable(reminderMinutes).describe('appointments and meetings: minutes before the start of the reminder (RFC 5545 §3.6.6 VALARM)'),
    busyStatus: nullable(z.enum(busyStatuses)),
    messageId: nullable(z.string()),
    inReplyTo: nullable(z.string()),
    references: z.array(z.string()),
    threadId: nullable(z.string()),
    regarding: nullable(regardingSchema),
    parties: z.array(partySchema),
    correlation: nullable(correlationSchema),
    queue: nullable(z.string()),
    bodyText: nullable(z.string()),
    bodyHtml: nullable(z.string()).describe('sanitized HTML; never the raw message HTML'),
    classification: nullable(z.enum(mailClassifications)).describe('for e-mail: normal, auto_reply, out_of_office or bounce'),
    delivery: nullable(deliverySchema).describe('for mail sent from the CRM: where its delivery stands'),
    sources: z.array(sourceSchema),
    attachments: z.array(attachmentSchema),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Activity' });
export type Activity = z.infer<typeof activitySchema>;

const messageIdText = z.string().min(3).max(998).describe('RFC 5322 §3.6.4 msg-id, with or without angle brackets');

const activityFields = {
  kind: z.enum(activityKinds),
  subject: shortText,
  owner: nullable(userId).optional(),
  start: nullable(timestamp).optional(),
  end: nullable(timestamp).optional(),
  due: nullable(timestamp).optional(),
  allDay: z.boolean().optional(),
  timeZone: nullable(shortText).optional(),
  location: nullable(shortText).optional(),
  status: z.enum(activityStatuses).optional(),
  priority: z.enum(priorities).optional(),
  percentComplete: nullable(percentComplete).optional(),
  reminderMinutes: nullable(reminderMinutes).optional(),
  busyStatus: nullable(z.enum(busyStatuses)).optional(),
  messageId: nullable(messageIdText).optional(),
  inReplyTo: nullable(messageIdText).optional(),
  references: z.array(messageIdText).max(500).optional(),
  threadId: nullable(shortText).optional(),
  regarding: nullable(regardingSchema).optional(),
  parties: z.array(partyInputSchema).max(1000).optional(),
  queue: nullable(shortText).optional(),
  bodyText: nullable(longText).optional(),
};

/** A time span whose end is not before its start (RFC 5545 §3.8.2.2 requires DTEND after DTSTART). */
export function endNotBeforeStart(input: { start?: string | null | undefined; end?: string | null | undefined }): boolean {
  return !input.start || !input.end || Date.parse(input.end) >= Date.parse(input.start);
}

export const activityInputSchema = z
  .object(activityFields)
  .strict()
  .refine(endNotBeforeStart, { message: 'end must not be before start', path: ['end'] })
  .meta({ id: 'ActivityInput' });

export const activityPatchSchema = z
  .object(activityFields)
  .omit({ kind: true })
  .partial()
  .strict()
  .refine(endNotBeforeStart, { message: 'end must not be before start', path: ['end'] })
  .meta({ id: 'ActivityPatch' });

export type ActivityInput = z.infer<typeof activityInputSchema>;
export type ActivityPatch = z.infer<typeof activityPatchSchema>;

/** Fields only the bridge itself sets (mail ingestion, correlation); the API cannot send them. */
export interface ActivitySystemFields {
  /** An appointment becomes a meeting when attendees are added (and back). */
  kind?: ActivityKind;
  bodyHtml?: string | null;
  classification?: (typeof mailClassifications)[number] | null;
  /** De-duplication key of an e-mail (see src/domain/message-id.ts). */
  messageKey?: string | null;
  /** With messageKey, the identity of an e-mail: a fingerprint of what it says (src/mail/message-identity.ts). */
  contentFingerprint?: string;
  correlation?: Correlation | null;
  /** Tracking token of mail sent from the CRM (`CRM:0100042`). */
  trackingToken?: string | null;
  /** Normalised subject for smart matching (src/mail/subject.ts). */
  subjectKey?: string | null;
}
export type ActivityWrite = ActivityInput & ActivitySystemFields;
export type ActivityChange = ActivityPatch & ActivitySystemFields;
