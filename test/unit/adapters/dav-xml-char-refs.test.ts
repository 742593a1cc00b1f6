// Numeric character references that name no XML character (XML 1.0 §2.2, §4.1) in a DAV body:
// decoded as U+FFFD and reported on the element and its multistatus response, never thrown.

import { describe, expect, it } from 'vitest';
import { parseMultistatus } from '../../../adapters/caldav/multistatus.js';
import { decodeEntities, parseXml } from '../../../adapters/caldav/xml.js';

describe('character references', () => {
  it('decodes legal references and turns the others into U+FFFD, naming them', () => {
    const seen: string[] = [];
    const text = decodeEntities('a&#x41;&#66;&#x110000;&#0;&#xD800;&#99999999999999999999;&#x1F600;&amp;', (ref) => seen.push(ref));
    expect(text).toBe('aAB\uFFFD\uFFFD\uFFFD\uFFFD\u{1F600}&');
    expect(seen).toEqual(['&#x110000;', '&#0;', '&#xD800;', '&#99999999999999999999;']);
  });

  it('marks the element (text or attribute) that holds one', () => {
    const root = parseXml('<a><b x="&#x110000;"/><c>ok</c><d>bad &#x110000;</d></a>');
    expect(root.children.map((c) => c.invalidReference)).toEqual(['&#x110000;', undefined, '&#x110000;']);
    expect(root.children[2]?.text).toBe('bad \uFFFD');
  });

  it('gives the multistatus response that holds one its reference; the others none', () => {
    const ms = parseMultistatus(
      '<d:multistatus xmlns:d="DAV:">' +
        '<d:response><d:href>/c/a.vcf</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>' +
        '<d:response><d:href>/c/b.vcf</d:href><d:propstat><d:prop><d:getetag>"&#x110000;"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>' +
        '</d:multistatus>',
      'http://dav.example/c/',
    );
    expect(ms.responses.map((r) => [r.href, r.invalidReference])).toEqual([
      ['http://dav.example/c/a.vcf', null],
      ['http://dav.example/c/b.vcf', '&#x110000;'],
    ]);
  });
});
