import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Message-IDs of mail sent from the CRM: `<act_01....h.<mac>@mail.domain>` (RFC 5322 §3.6.4
 * msg-id). The activity id is readable so a reply's In-Reply-To leads straight to it; the HMAC makes
 * sure a crafted In-Reply-To cannot attach a stranger's mail to any record it likes.
 */
function mac(activityId: string, key: string): string {
  return createHmac('sha256', key).update(`message-id:${activityId}`).digest('base64url').slice(0, 16).toLowerCase().replace(/[^a-z0-9]/g, 'x');
}

export function bridgeMessageId(activityId: string, domain: string, key: string): string {
  return `<${activityId.toLowerCase()}.h${mac(activityId.toUpperCase(), key)}@${domain}>`;
}

/** The activity id a bridge Message-ID names, when it is genuine; null for every other id. */
export function activityIdOf(messageId: string, domain: string, key: string): string | null {
  const match = /^<?([a-z]+_[0-9a-z]+)\.h([0-9a-z]{16})@([^>]+)>?$/i.exec(messageId.trim());
  if (!match || match[3]!.toLowerCase() !== domain.toLowerCase()) return null;
  const activityId = `${match[1]!.split('_')[0]!.toLowerCase()}_${match[1]!.split('_')[1]!.toUpperCase()}`;
  const expected = mac(activityId.toUpperCase(), key);
  const given = match[2]!.toLowerCase();
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected)) ? activityId : null;
}
