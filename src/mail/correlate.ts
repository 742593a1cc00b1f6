import type { Activity, Correlation } from '../domain/activity.js';
import { normalizeEmail } from '../domain/fields.js';
import type { Store } from '../store/store.js';
import { activityIdOf } from './bridge-message-id.js';
import { messageKey } from '../domain/message-id.js';
import type { ParsedMessage } from './parsed-message.js';
import { findToken, isForward, subjectKey } from './subject.js';

export interface CorrelationSettings {
  /** mail.domain and the key that signs the bridge's Message-IDs. */
  domain: string | null;
  messageIdKey: string;
  token: { enabled: boolean; prefix: string };
  smart: { enabled: boolean; minParticipants: number; windowDays: number };
}

export interface CorrelationMatch {
  correlation: Correlation;
  activity: Activity;
}

type Correlatable = Pick<ParsedMessage, 'inReplyTo' | 'references' | 'subject' | 'from' | 'to' | 'cc' | 'date'>;

/**
 * The activity a message with this id stands for: by stored key, or by a genuine bridge Message-ID.
 * Several activities have the key when a copy said something else than the first (a forgery,
 * src/mail/message-identity.ts): the one sharing the most addresses with `message` wins, the oldest
 * on a tie.
 */
async function activityForId(store: Store, id: string, message: Correlatable, settings: CorrelationSettings): Promise<Activity | undefined> {
  const candidates = await store.activities.findByMessageKey(messageKey(id));
  const byKey = candidates.reduce<Activity | undefined>((best, candidate) => (best === undefined || overlap(message, candidate) > overlap(message, best) ? candidate : best), undefined);
  if (byKey) return byKey;
  const activityId = settings.domain ? activityIdOf(id, settings.domain, settings.messageIdKey) : null;
  return activityId ? store.activities.get(activityId) : undefined;
}

function addressesOf(message: Correlatable): Set<string> {
  return new Set([...message.from, ...message.to, ...message.cc].map((address) => normalizeEmail(address.address)));
}

/** Addresses both share; `externalOnly` leaves out CRM users (the mailbox owner is on both anyway). */
function overlap(message: Correlatable, activity: Activity, externalOnly = false): number {
  const mine = addressesOf(message);
  const theirs = activity.parties.filter((party) => !externalOnly || party.userId === null).map((party) => normalizeEmail(party.address));
  return new Set(theirs.filter((address) => mine.has(address))).size;
}

/**
 * Which CRM activity a message answers, in this order (README "Reply correlation"):
 * 1. In-Reply-To, 2. References from newest to oldest (RFC 5322 §3.6.4), each against every known
 * Message-ID; 3. the tracking token in the subject, if the token's mail shares a participant other
 * than CRM users with this one (an unrelated system using the same prefix cannot hijack a record);
 * 4. smart matching (off by
 * default): same subject without prefixes, at least `minParticipants` shared addresses, within
 * `windowDays` before the message. A forward starts a new conversation: only In-Reply-To counts.
 */
export async function correlate(store: Store, message: Correlatable, settings: CorrelationSettings): Promise<CorrelationMatch | null> {
  if (message.inReplyTo) {
    const activity = await activityForId(store, message.inReplyTo, message, settings);
    if (activity) return { correlation: { method: 'in-reply-to', activityId: activity.id }, activity };
  }
  if (isForward(message.subject)) return null;
  for (const reference of [...message.references].reverse()) {
    const activity = await activityForId(store, reference, message, settings);
    if (activity) return { correlation: { method: 'references', activityId: activity.id }, activity };
  }
  if (settings.token.enabled) {
    const token = findToken(message.subject, settings.token.prefix);
    const activity = token ? await store.activities.findByTrackingToken(token) : undefined;
    if (activity && overlap(message, activity, true) > 0) return { correlation: { method: 'token', activityId: activity.id }, activity };
  }
  if (settings.smart.enabled) {
    const key = subjectKey(message.subject, settings.token.prefix);
    // A day of slack after the message's Date: sender clocks are often off, and Date has no milliseconds.
    const dated = message.date ? new Date(message.date) : new Date();
    const until = new Date(dated.getTime() + 86_400_000);
    const since = new Date(dated.getTime() - settings.smart.windowDays * 86_400_000);
    if (key.length >= 3) {
      const candidates = await store.activities.findBySubjectKey(key, since.toISOString(), until.toISOString());
      // The most recent candidate sharing enough participants: the message most likely answered.
      for (const activity of candidates.reverse()) {
        if (overlap(message, activity) >= settings.smart.minParticipants) return { correlation: { method: 'smart', activityId: activity.id }, activity };
      }
    }
  }
  return null;
}
