import { describe, expect, it } from 'vitest';
import { backoffSeconds } from '../../../src/domain/backoff.js';
import { eventMatches, signPayload, verifySignature } from '../../../src/webhooks/signature.js';

describe('webhook signatures', () => {
  it('signs timestamp and body with HMAC-SHA256 and verifies them', () => {
    const header = signPayload('s3cret-s3cret-s3cret', '{"a":1}', 1_700_000_000);
    // Reference value from: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac s3cret-s3cret-s3cret
    expect(header).toBe('t=1700000000,v1=79a6c445ff099c53dc2ea6b6df3e4609699187aa67857a2783882ea8fd1e5c11');
    expect(verifySignature('s3cret-s3cret-s3cret', '{"a":1}', header, 1_700_000_010)).toBe(true);
    expect(verifySignature('s3cret-s3cret-s3cret', '{"a":2}', header, 1_700_000_010)).toBe(false);
    expect(verifySignature('other-secret-000000', '{"a":1}', header, 1_700_000_010)).toBe(false);
    expect(verifySignature('s3cret-s3cret-s3cret', '{"a":1}', header, 1_700_001_000)).toBe(false);
  });

  it('matches event patterns', () => {
    expect(eventMatches(['*'], 'contact.created')).toBe(true);
    expect(eventMatches(['contact.*'], 'contact.deleted')).toBe(true);
    expect(eventMatches(['contact'], 'contact.updated')).toBe(true);
    expect(eventMatches(['*.deleted'], 'lead.deleted')).toBe(true);
    expect(eventMatches(['*.deleted'], 'lead.created')).toBe(false);
    expect(eventMatches(['activity.created'], 'contact.created')).toBe(false);
  });

  it('backs off exponentially with jitter up to the cap', () => {
    expect(backoffSeconds(1, 3600, () => 0.5)).toBe(1);
    expect(backoffSeconds(4, 3600, () => 0.5)).toBe(8);
    expect(backoffSeconds(30, 3600, () => 1)).toBe(3600);
    expect(backoffSeconds(3, 3600, () => 0)).toBeCloseTo(3.2);
  });
});
