import { describe, expect, it } from 'vitest';
import { isDiscardFolder } from '../../../../src/sync/mail/folder-plan.js';
import type { MailFolder } from '../../../../src/ports/mail.js';

const folder = (path: string, specialUse: string | null = null, delimiter = '/'): MailFolder => ({ path, delimiter, specialUse, selectable: true });

describe('isDiscardFolder (where a moved message counts as deleted)', () => {
  it('is true for RFC 6154 \\Trash and \\Junk whatever their names', () => {
    expect(isDiscardFolder(folder('Papierkorb', '\\Trash'))).toBe(true);
    expect(isDiscardFolder(folder('[Gmail]/Spam', '\\Junk'))).toBe(true);
  });

  it('is true for the usual Trash and Junk names on servers without SPECIAL-USE, also below INBOX', () => {
    for (const path of ['Trash', 'Deleted Items', 'deleted messages', 'Junk', 'Junk E-mail', 'Spam', 'Bin']) expect(isDiscardFolder(folder(path))).toBe(true);
    expect(isDiscardFolder(folder('INBOX.Trash', null, '.'))).toBe(true);
  });

  it('is false for other folders, and for a look-alike name that carries another special use', () => {
    for (const path of ['Archive', 'INBOX', 'Projects/Trash talk', 'Trashcan', 'Customers/Junkyard Ltd']) expect(isDiscardFolder(folder(path))).toBe(false);
    expect(isDiscardFolder(folder('Trash', '\\Archive'))).toBe(false);
    expect(isDiscardFolder(folder('Sent', '\\Sent'))).toBe(false);
  });
});
