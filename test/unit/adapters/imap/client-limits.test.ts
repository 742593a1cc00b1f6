import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_MESSAGE_BYTES, responseLimits } from '../../../../adapters/imap/client.js';

const MIB = 1024 * 1024;

describe('imapflow buffer limits from mail.maxMessageBytes', () => {
  it('lets a message at the limit through and stays far below imapflow defaults (1 GiB literal, 2 GiB response)', () => {
    const limits = responseLimits(DEFAULT_MAX_MESSAGE_BYTES);
    expect(limits.maxLiteralSize).toBe(DEFAULT_MAX_MESSAGE_BYTES + MIB);
    expect(limits.maxLineLength).toBe(64 * MIB);
    // imapflow wants the response cap above the literal cap (marker line and framing).
    expect(limits.maxResponseSize).toBeGreaterThan(limits.maxLiteralSize);
    expect(limits.maxResponseSize).toBeLessThan(128 * MIB);
  });

  it('keeps room for header blocks and long SEARCH answers under a small limit; defaults when unset', () => {
    expect(responseLimits(64 * 1024)).toEqual({ maxLiteralSize: 17 * MIB, maxLineLength: 64 * MIB, maxResponseSize: 65 * MIB });
    expect(responseLimits(undefined)).toEqual(responseLimits(DEFAULT_MAX_MESSAGE_BYTES));
    expect(responseLimits(200 * MIB).maxLiteralSize).toBe(201 * MIB);
  });
});
