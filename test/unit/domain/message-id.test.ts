import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/domain/errors.js';
import { isSyntheticMessageId, messageKey, normalizeMessageId, parseMessageIdList, stripComments, syntheticMessageId } from '../../../src/domain/message-id.js';

describe('normalizeMessageId', () => {
  it.each([
    ['<abc@example.com>', '<abc@example.com>'],
    ['  <abc@example.com>  ', '<abc@example.com>'],
    ['<abc@example.com> (sent by Foo)', '<abc@example.com>'],
    ['(comment) <abc@example.com>', '<abc@example.com>'],
    ['<first@x> <second@x>', '<first@x>'],
    ['garbage <real@example.com> trailing', '<real@example.com>'],
    ['abc@example.com', '<abc@example.com>'],
    ['abc@example.com (comment)', '<abc@example.com>'],
    ['<CAF=x+y.z@mail.gmail.com>', '<CAF=x+y.z@mail.gmail.com>'],
    // Obsolete/broken ids without @ are still ids when bracketed (RFC 5322 §4.5.4 obs-id-left).
    ['<local-only>', '<local-only>'],
  ])('%j -> %j', (input, expected) => {
    expect(normalizeMessageId(input)).toBe(expected);
  });

  it.each(['', '   ', '<>', '< >', 'not an id', 'two@at@signs', 'a b@example.com', '@example.com', 'abc@', '(only a comment)'])(
    'returns null for %j',
    (input) => {
      expect(normalizeMessageId(input)).toBeNull();
    },
  );
});

describe('parseMessageIdList', () => {
  it('returns every bracketed id in header order', () => {
    expect(parseMessageIdList('<a@x> <b@x>\r\n <c@x>')).toEqual(['<a@x>', '<b@x>', '<c@x>']);
  });

  it('drops repeats, comparing case-insensitively and keeping the first spelling', () => {
    expect(parseMessageIdList('<A@x> <b@x> <a@X> <b@x>')).toEqual(['<A@x>', '<b@x>']);
  });

  it('ignores text and comments between ids', () => {
    expect(parseMessageIdList('<a@x> (Alice\'s message of Monday) "quoted" <b@x>')).toEqual(['<a@x>', '<b@x>']);
  });

  it('falls back to bare ids when a broken client left out the brackets', () => {
    expect(parseMessageIdList('a@x, b@x c@x')).toEqual(['<a@x>', '<b@x>', '<c@x>']);
  });

  it('returns an empty list for an empty or id-less header', () => {
    expect(parseMessageIdList('')).toEqual([]);
    expect(parseMessageIdList('Your message of Monday')).toEqual([]);
  });
});

describe('syntheticMessageId', () => {
  const sha256OfAbc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

  it('makes a stable id in the reserved .invalid domain from the hash', () => {
    expect(syntheticMessageId(sha256OfAbc)).toBe(`<${sha256OfAbc}.synthetic@crm-bridge.invalid>`);
    expect(syntheticMessageId(sha256OfAbc.toUpperCase())).toBe(syntheticMessageId(sha256OfAbc));
  });

  it('produces an id that normalizes to itself', () => {
    const id = syntheticMessageId(sha256OfAbc);
    expect(normalizeMessageId(id)).toBe(id);
  });

  it('rejects anything that is not a SHA-256 hex digest', () => {
    expect(() => syntheticMessageId('abc')).toThrow(BridgeError);
    expect(() => syntheticMessageId(`${sha256OfAbc}0`)).toThrow(/SHA-256/);
  });
});

describe('messageKey', () => {
  it('strips the brackets and lower-cases', () => {
    expect(messageKey('<CAF=Abc.DEF@Mail.Example.COM>')).toBe('caf=abc.def@mail.example.com');
  });

  it('gives the same key for bracketed, bare and padded spellings', () => {
    expect(messageKey(' <Id@Example.com> ')).toBe('id@example.com');
    expect(messageKey('id@example.com')).toBe('id@example.com');
  });
});

describe('stripComments', () => {
  it('removes nested comments and honours quoted-pairs', () => {
    expect(stripComments('a (b (c) d) e')).toBe('a   e');
    expect(stripComments('a (b \\) c) d')).toBe('a   d');
  });

  it('handles a long run of parentheses in linear time', () => {
    const hostile = '('.repeat(200_000) + 'x';
    const started = Date.now();
    expect(stripComments(hostile).trim()).toBe('');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('isSyntheticMessageId', () => {
  it('recognises the identities syntheticMessageId makes, and nothing else', () => {
    const synthetic = syntheticMessageId('a'.repeat(64));
    expect(isSyntheticMessageId(synthetic)).toBe(true);
    expect(isSyntheticMessageId(synthetic.toUpperCase())).toBe(true);
    expect(isSyntheticMessageId('<abc@example.com>')).toBe(false);
    expect(isSyntheticMessageId('<synthetic@crm-bridge.example>')).toBe(false);
  });
});
