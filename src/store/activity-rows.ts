/** Rows of the activity tables to domain records and back, for src/store/activities.ts. */
import type { Activity, ActivityChange, ActivitySource, ActivityWrite, Attachment, Party, PartyInput, Regarding } from '../domain/activity.js';
import { normalizeEmail } from '../domain/fields.js';
import type { OutboxEntry } from './outbox.js';
import type { ActivitiesTable, ActivityPartiesTable, AttachmentsTable } from './schema.js';

/** The activities row insert() writes for a new activity. */
export function activityRow(id: string, input: ActivityWrite, now: string): ActivitiesTable {
  return {
    id,
    kind: input.kind,
    subject: input.subject,
    owner: input.owner ?? null,
    start_at: isoOrNull(input.start),
    end_at: isoOrNull(input.end),
    due_at: isoOrNull(input.due),
    all_day: input.allDay ? 1 : 0,
    time_zone: input.timeZone ?? null,
    location: input.location ?? null,
    status: input.status ?? (input.kind === 'email_in' || input.kind === 'email_out' ? 'completed' : 'open'),
    priority: input.priority ?? 'normal',
    // RFC 5545 §3.8.1.8: a completed to-do is 100 % done.
    percent_complete: input.percentComplete ?? (input.status === 'completed' && (input.kind === 'task' || input.kind === 'follow_up') ? 100 : null),
    reminder_minutes: input.reminderMinutes ?? null,
    busy_status: input.busyStatus ?? (input.kind === 'appointment' || input.kind === 'meeting' ? 'busy' : null),
    message_id: input.messageId ?? null,
    in_reply_to: input.inReplyTo ?? null,
    references_json: JSON.stringify(input.references ?? []),
    thread_id: input.threadId ?? null,
    regarding_type: input.regarding?.type ?? null,
    regarding_id: input.regarding?.id ?? null,
    correlation_method: input.correlation?.method ?? null,
    correlation_activity_id: input.correlation?.activityId ?? null,
    queue: input.queue ?? null,
    body_text: input.bodyText ?? null,
    body_html: input.bodyHtml ?? null,
    classification: input.classification ?? null,
    message_key: input.messageKey ?? null,
    content_fingerprint: input.contentFingerprint ?? '',
    tracking_token: input.trackingToken ?? null,
    subject_key: input.subjectKey ?? null,
    created_at: now,
    updated_at: now,
  };
}

export function partyRows(activityId: string, parties: readonly PartyInput[]): ActivityPartiesTable[] {
  return parties.map((party, position) => ({
    activity_id: activityId,
    position,
    role: party.role,
    address: party.address,
    address_normalized: normalizeEmail(party.address),
    name: party.name ?? null,
    contact_id: party.contactId ?? null,
    account_id: party.accountId ?? null,
    lead_id: party.leadId ?? null,
    user_id: party.userId ?? null,
  }));
}

/**
 * The percentage after a change: what the change says, else 100 when a task is completed and no
 * longer 100 when it is reopened (RFC 5545 §3.8.1.8: 100 means done), else unchanged.
 */
export function percentAfter(current: Activity, changes: ActivityChange): number | null {
  if (changes.percentComplete !== undefined) return changes.percentComplete;
  const kind = changes.kind ?? current.kind;
  const status = changes.status ?? current.status;
  if (status === current.status || (kind !== 'task' && kind !== 'follow_up')) return current.percentComplete;
  if (status === 'completed') return 100;
  return current.percentComplete === 100 ? null : current.percentComplete;
}

export function isoOrNull(value: string | null | undefined): string | null {
  return value ? new Date(value).toISOString() : null;
}

export function toParty(row: ActivityPartiesTable): Party {
  return {
    role: row.role as Party['role'],
    address: row.address,
    name: row.name,
    contactId: row.contact_id,
    accountId: row.account_id,
    leadId: row.lead_id,
    userId: row.user_id,
  };
}

export function toAttachment(row: AttachmentsTable): Attachment {
  return { id: row.id, filename: row.filename, contentType: row.content_type, size: row.size, sha256: row.sha256, stored: row.stored === 1 };
}

export function toActivity(row: ActivitiesTable, parties: Party[], sources: ActivitySource[], attachments: Attachment[], outbox: OutboxEntry | undefined): Activity {
  return {
    id: row.id,
    kind: row.kind as Activity['kind'],
    subject: row.subject,
    owner: row.owner,
    start: row.start_at,
    end: row.end_at,
    due: row.due_at,
    allDay: row.all_day === 1,
    timeZone: row.time_zone,
    location: row.location,
    status: row.status as Activity['status'],
    priority: row.priority as Activity['priority'],
    percentComplete: row.percent_complete,
    reminderMinutes: row.reminder_minutes,
    busyStatus: row.busy_status as Activity['busyStatus'],
    messageId: row.message_id,
    inReplyTo: row.in_reply_to,
    references: JSON.parse(row.references_json) as string[],
    threadId: row.thread_id,
    regarding: row.regarding_type && row.regarding_id ? { type: row.regarding_type as Regarding['type'], id: row.regarding_id } : null,
    parties,
    correlation: row.correlation_method && row.correlation_activity_id ? { method: row.correlation_method as NonNullable<Activity['correlation']>['method'], activityId: row.correlation_activity_id } : null,
    queue: row.queue,
    bodyText: row.body_text,
    bodyHtml: row.body_html,
    classification: row.classification as Activity['classification'],
    delivery: outbox ? { state: outbox.state, attempts: outbox.attempts, lastError: outbox.lastError, nextAttemptAt: outbox.state === 'queued' ? outbox.nextAttemptAt : null, sentAt: outbox.sentAt } : null,
    sources,
    attachments,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
