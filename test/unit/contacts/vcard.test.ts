import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contactFieldKeys, type CardFields } from '../../../src/contacts/card-fields.js';
import { parseCard, renderCard } from '../../../src/contacts/vcard.js';

const fixture = (name: string) => readFileSync(`test/fixtures/vcard/${name}`, 'utf8');
const all = [...contactFieldKeys];

describe('vCard mapping', () => {
  it('reads vCard 3.0 (Apple, grouped properties) and 4.0 (tel: URIs, urn:uuid UIDs)', () => {
    expect(parseCard(fixture('apple-v3.vcf'))).toEqual({
      version: '3.0',
      uid: 'apple-3f1c2d9e-0001',
      fields: { firstName: 'Johnny', lastName: 'Appleseed', displayName: 'Johnny Appleseed', emails: ['johnny@orchard.example'], phones: ['+1 (555) 010-0001'], company: 'Apple Orchards', title: 'Planter' },
    });
    expect(parseCard(fixture('nextcloud-v4.vcf'))).toMatchObject({
      version: '4.0',
      uid: 'urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1',
      fields: { firstName: 'Renée', lastName: 'Müller', phones: ['+49-30-1234567'], company: 'Firma GmbH', title: null },
    });
  });

  it('rejects broken cards and cards without UID or FN with INVALID_INPUT', () => {
    for (const name of ['broken-unterminated.vcf', 'no-uid.vcf', 'no-fn.vcf', 'not-a-vcard.vcf']) {
      expect(() => parseCard(fixture(name)), name).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
    expect(() => parseCard(fixture('no-uid.vcf'))).toThrow(/no UID/);
    expect(() => parseCard(fixture('no-fn.vcf'))).toThrow(/no FN/);
  });

  it('writes back in the version the card has, keeping unknown properties, parameters and groups', () => {
    const base = fixture('apple-v3.vcf');
    const parsed = parseCard(base);
    const fields: CardFields = { ...parsed.fields, firstName: 'John', emails: ['johnny@orchard.example', 'john@new.example'], company: 'Orchards Inc' };
    const text = renderCard({ base, uid: parsed.uid, version: '4.0', fields, selected: all, phoneRegion: 'US' });
    expect(text).toMatch(/^BEGIN:VCARD\r\nVERSION:3\.0\r\n/);
    expect(text).toContain('N:Appleseed;John;Q.;Dr.;Jr.');
    expect(text).toContain('ITEM1.EMAIL;TYPE=INTERNET,pref:johnny@orchard.example');
    expect(text).toContain('ITEM1.X-ABLABEL:_$!<Other>!$_');
    expect(text).toContain('ITEM2.ADR;TYPE=HOME,pref:;;1 Orchard Lane;Cupertino;CA;95014;United States');
    expect(text).toContain('ITEM2.X-ABADR:us');
    expect(text).toContain('NOTE:Likes apples\\, pears and plums');
    expect(text).toContain('X-SOCIALPROFILE;TYPE=twitter:x-apple:johnnyapple');
    expect(text).toContain('EMAIL;TYPE=INTERNET:john@new.example');
    expect(text).toContain('ORG:Orchards Inc;Planting');
    expect(parseCard(text).fields).toEqual({ ...fields, phones: parsed.fields.phones });

    const v4 = fixture('nextcloud-v4.vcf');
    const out = renderCard({ base: v4, uid: 'x', version: '3.0', fields: { ...parseCard(v4).fields, title: 'CEO', phones: ['+49 30 1234567'] }, selected: all, phoneRegion: null });
    expect(out).toMatch(/^BEGIN:VCARD\r\nVERSION:4\.0\r\n/);
    expect(out).toContain('X-CUSTOM;X-PARAM=a:keep me');
    // The same number in another notation is the same number: the URI form stays as it was.
    expect(out).toContain('tel:+49-30-1234567');
    expect(out).toContain('TITLE:CEO');
  });

  it('leaves unselected fields as the card has them and creates new cards with UID, FN and N', () => {
    const base = fixture('apple-v3.vcf');
    const parsed = parseCard(base);
    const text = renderCard({ base, uid: parsed.uid, version: '3.0', fields: { ...parsed.fields, phones: [], title: 'Boss' }, selected: ['displayName', 'title'], phoneRegion: null });
    expect(parseCard(text).fields).toEqual({ ...parsed.fields, title: 'Boss' });

    const created = renderCard({ base: null, uid: 'u-1', version: '3.0', fields: { firstName: 'Ada', lastName: 'Lovelace', displayName: 'Ada Lovelace', emails: ['ada@example.org'], phones: [], company: null, title: null }, selected: all, phoneRegion: null });
    expect(created).toMatch(/^BEGIN:VCARD\r\nVERSION:3\.0\r\n/);
    expect(parseCard(created)).toEqual({ version: '3.0', uid: 'u-1', fields: { firstName: 'Ada', lastName: 'Lovelace', displayName: 'Ada Lovelace', emails: ['ada@example.org'], phones: [], company: null, title: null } });
    expect(renderCard({ base: null, uid: 'u-2', version: '4.0', fields: parseCard(created).fields, selected: all, phoneRegion: null })).toMatch(/^BEGIN:VCARD\r\nVERSION:4\.0\r\n/);
  });
});

describe('list caps (the API limits of src/domain/contact.ts)', () => {
  const many = (n: number) => ['BEGIN:VCARD', 'VERSION:3.0', 'UID:u-many', 'FN:Many', ...Array.from({ length: n }, (_, i) => `EMAIL:a${i}@x.io`), 'END:VCARD', ''].join('\r\n');

  it('reads the first 50 addresses of a card with more and says so', () => {
    const card = parseCard(many(120));
    expect(card.fields.emails).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}@x.io`));
    expect(card.capped).toEqual([{ property: 'EMAIL', total: 120, kept: 50 }]);
    expect(parseCard(many(50)).capped).toBeUndefined();
  });

  it('writes a changed list into such a card without the values past the cap getting lost, new ones among the synced', () => {
    const base = many(120);
    const emails = [...parseCard(base).fields.emails.slice(1), 'new@x.io'];
    const text = renderCard({ base, uid: 'u-many', version: '3.0', fields: { ...parseCard(base).fields, emails }, selected: ['emails'], phoneRegion: null });
    const again = parseCard(text);
    expect(again.capped).toEqual([{ property: 'EMAIL', total: 120, kept: 50 }]);
    expect(again.fields.emails).toEqual(emails);
    expect(text).toContain('a119@x.io');
    expect(text).not.toContain('EMAIL:a0@x.io');
  });
});
