import { describe, expect, it } from 'vitest';
import { attachmentsOf } from '../../../../adapters/imap/body-structure.js';

describe('attachmentsOf (BODYSTRUCTURE, RFC 3501 §7.4.2)', () => {
  it('lists named, attached and non-text leaves; not the text bodies; a nested message as one', () => {
    const structure = {
      type: 'multipart/mixed',
      childNodes: [
        { type: 'multipart/alternative', childNodes: [{ type: 'text/plain', size: 10, encoding: '7bit' }, { type: 'text/html', size: 20, encoding: 'quoted-printable' }] },
        { type: 'application/pdf', size: 4000, encoding: 'base64', disposition: 'attachment', dispositionParameters: { filename: 'offer.pdf' } },
        { type: 'text/csv', size: 300, encoding: '7bit', parameters: { name: 'data.csv' } },
        { type: 'image/png', size: 50, encoding: 'base64', disposition: 'inline' },
        { type: 'message/rfc822', size: 900, encoding: '7bit', childNodes: [{ type: 'text/plain', size: 10 }] },
      ],
    };
    expect(attachmentsOf(structure)).toEqual([
      { filename: 'offer.pdf', contentType: 'application/pdf', encodedSize: 4000, encoding: 'base64' },
      { filename: 'data.csv', contentType: 'text/csv', encodedSize: 300, encoding: '7bit' },
      { filename: null, contentType: 'image/png', encodedSize: 50, encoding: 'base64' },
      { filename: null, contentType: 'message/rfc822', encodedSize: 900, encoding: '7bit' },
    ]);
    expect(attachmentsOf(undefined)).toEqual([]);
  });
});
