import { describe, expect, it } from 'vitest';
import type { MailFolder } from '../../../../src/ports/mail.js';
import { folderSegment, planPersonalFolders, resolveFolderPath, sentFolderPath } from '../../../../src/sync/mail/folder-plan.js';
import { batchesBySize } from '../../../../src/sync/mail/mailbox-sync.js';

const folder = (path: string, delimiter = '/', specialUse: string | null = null, selectable = true): MailFolder => ({ path, delimiter, specialUse, selectable });

describe('folder plan', () => {
  it('maps configured names onto the server delimiter and the INBOX namespace of Cyrus/Courier servers', () => {
    const dovecot = [folder('INBOX'), folder('Sent', '/', '\\Sent'), folder('CRM'), folder('CRM/Acme')];
    expect(resolveFolderPath('CRM/Acme', dovecot)).toBe('CRM/Acme');
    expect(resolveFolderPath('crm', dovecot)).toBe('CRM');
    const cyrus = [folder('INBOX', '.'), folder('INBOX.Sent', '.', '\\Sent'), folder('INBOX.Trash', '.', '\\Trash')];
    expect(resolveFolderPath('CRM', cyrus)).toBe('INBOX.CRM');
    expect(resolveFolderPath('CRM/Acme', cyrus)).toBe('INBOX.CRM.Acme');
    expect(resolveFolderPath('Sent', cyrus)).toBe('INBOX.Sent');
  });

  it('reads tracked folders and their sub-folders, Sent and INBOX, never Trash or Junk, and watches only the roots', () => {
    const folders = [folder('INBOX'), folder('Sent Items', '/', '\\Sent'), folder('Trash', '/', '\\Trash'), folder('Junk', '/', '\\Junk'), folder('CRM'), folder('CRM/Acme'), folder('CRM/Container', '/', null, false), folder('Archive')];
    expect(planPersonalFolders(folders, { trackedFolders: ['CRM'], extraFolders: ['Archive'] })).toEqual([
      { path: 'CRM', role: 'tracked', watch: true },
      { path: 'CRM/Acme', role: 'tracked', watch: false },
      { path: 'INBOX', role: 'watched', watch: true },
      { path: 'Archive', role: 'watched', watch: true },
      { path: 'Sent Items', role: 'sent', watch: true },
    ]);
    expect(planPersonalFolders(folders, { trackedFolders: ['CRM'], sentFolder: 'Archive' }).find((entry) => entry.role === 'sent')?.path).toBe('Archive');
  });

  it('takes a configured sent folder the server lacks as the \\Sent one (Gmail has no `Sent`), else the name as configured', () => {
    const gmail = [folder('INBOX'), folder('[Gmail]', '/', null, false), folder('[Gmail]/Sent Mail', '/', '\\Sent'), folder('[Gmail]/All Mail', '/', '\\All')];
    expect(sentFolderPath(gmail, 'Sent')).toBe('[Gmail]/Sent Mail');
    expect(sentFolderPath(gmail, undefined)).toBe('[Gmail]/Sent Mail');
    expect(sentFolderPath(gmail, '[Gmail]')).toBe('[Gmail]/Sent Mail');
    expect(sentFolderPath([...gmail, folder('Sent')], 'Sent')).toBe('Sent');
    const plain = [folder('INBOX', '.'), folder('INBOX.Archive', '.')];
    expect(sentFolderPath(plain, 'Sent Items')).toBe('INBOX.Sent Items');
    expect(sentFolderPath(plain, undefined)).toBe('INBOX.Sent');
  });

  it('makes record names safe as one folder segment', () => {
    expect(folderSegment('Acme/Corp', '/')).toBe('Acme-Corp');
    expect(folderSegment('A.B', '.')).toBe('A-B');
    // Cyrus (delimiter `.`) refuses a `/` in a mailbox name.
    expect(folderSegment('Acme/Corp', '.')).toBe('Acme-Corp');
    expect(folderSegment('*%\u0001', '/')).toBe('unnamed');
    expect(folderSegment('50% * off', '/')).toBe('50 off');
  });

  it('batches fetches by size, a big message alone', () => {
    const summaries = [5, 5, 30, 5].map((size, index) => ({ uid: index + 1, flags: [], modseq: null, size, internalDate: '' }));
    expect(batchesBySize(summaries, 20).map((batch) => batch.map((s) => s.uid))).toEqual([[1, 2], [3], [4]]);
  });
});
