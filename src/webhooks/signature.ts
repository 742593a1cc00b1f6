import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: HMAC-SHA256 over `<unix seconds>.<raw body>` with the endpoint's secret, sent
 * as `X-CRM-Bridge-Signature: t=<unix seconds>,v1=<hex>`. Including the timestamp lets receivers
 * reject replays of old deliveries.
 */
export const signatureHeader = 'x-crm-bridge-signature';

export function signPayload(secret: string, body: string, unixSeconds: number): string {
  const digest = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${digest}`;
}

/** Receiver-side check, also used by the tests: signature valid and not older than `toleranceSeconds`. */
export function verifySignature(secret: string, body: string, header: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts['t']);
  const given = parts['v1'];
  if (!Number.isInteger(timestamp) || !given || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = signPayload(secret, body, timestamp).split('v1=')[1]!;
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** `*`, `contact.*`, `*.deleted` or `contact.created` against an event name `entity.op`. */
export function eventMatches(patterns: readonly string[], event: string): boolean {
  const [entity, op] = event.split('.');
  return patterns.some((pattern) => {
    if (pattern === '*') return true;
    const [wantEntity, wantOp] = pattern.split('.');
    return (wantEntity === '*' || wantEntity === entity) && (wantOp === undefined || wantOp === '*' || wantOp === op);
  });
}
