import { describe, expect, it } from 'vitest';
import { activityIdOf, bridgeMessageId } from '../../../src/mail/bridge-message-id.js';
import { findToken, formatToken, isForward, subjectKey } from '../../../src/mail/subject.js';

describe('subjects', () => {
  it('strips reply and forward prefixes in common languages, list tags and the tracking token', () => {
    const key = 'quote for 20 licences';
    for (const subject of [
      'Quote for 20 licences',
      'Re: Quote for 20 licences',
      'RE[2]: Quote for 20 licences',
      'Re^3: Re: Quote for 20 licences',
      'AW: WG: Quote for 20 licences',
      'SV: Quote for 20 licences',
      'VS: Quote for 20 licences',
      'Antw: Quote for 20 licences',
      'Fwd: Re: Quote for 20 licences',
      '回复：Quote for 20 licences',
      '[sales] Re: Quote   for 20 licences [CRM:0100042]',
      'Re: [CRM:0100042] Quote for 20 licences',
    ]) {
      expect(subjectKey(subject, 'CRM:'), subject).toBe(key);
    }
    expect(subjectKey('Reminder: invoice', 'CRM:')).toBe('reminder: invoice');
  });

  it('tells forwards from replies by the first prefix', () => {
    expect(isForward('Fwd: Re: offer')).toBe(true);
    expect(isForward('WG: offer')).toBe(true);
    expect(isForward('TR: offre')).toBe(true);
    expect(isForward('Re: Fwd: offer')).toBe(false);
    expect(isForward('AW: offer')).toBe(false);
    expect(isForward('Fwdx: offer')).toBe(false);
  });

  it('formats and finds tracking tokens', () => {
    expect(formatToken('CRM:', 1, 323)).toBe('CRM:0100323');
    expect(formatToken('CRM:', 123, 1234567)).toBe('CRM:1231234567');
    expect(findToken('Re: Offer [CRM:0100323]', 'CRM:')).toBe('CRM:0100323');
    expect(findToken('Re: Offer [CRM:12]', 'CRM:')).toBeNull();
    expect(findToken('Re: Offer [TKT:0100323]', 'CRM:')).toBeNull();
    // The prefix is matched literally, not as a pattern.
    expect(findToken('Re: [TaX0100323] x', 'T.X')).toBeNull();
    expect(findToken('Re: [T.X0100323] x', 'T.X')).toBe('T.X0100323');
  });
});

describe('bridge Message-IDs', () => {
  it('name the activity and carry an HMAC that a forger cannot produce', () => {
    const id = bridgeMessageId('act_01M84S87JCTJFG454A8E3NM1CE', 'example.com', 'k1');
    expect(id).toMatch(/^<act_01m84s87jctjfg454a8e3nm1ce\.h[0-9a-z]{16}@example\.com>$/);
    expect(activityIdOf(id, 'example.com', 'k1')).toBe('act_01M84S87JCTJFG454A8E3NM1CE');
    expect(activityIdOf(id.toUpperCase(), 'EXAMPLE.com', 'k1')).toBe('act_01M84S87JCTJFG454A8E3NM1CE');
    expect(activityIdOf(id, 'example.com', 'other-key')).toBeNull();
    expect(activityIdOf(id, 'evil.example', 'k1')).toBeNull();
    expect(activityIdOf(id.replace('act_01m84', 'act_01m85'), 'example.com', 'k1')).toBeNull();
    expect(activityIdOf('<random@example.com>', 'example.com', 'k1')).toBeNull();
  });
});
