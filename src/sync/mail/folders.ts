import type { Regarding } from '../../domain/activity.js';
import type { MailFolder } from '../../ports/mail.js';
import { delimiterOf, folderSegment, planPersonalFolders, resolveFolderPath, type PlannedFolder } from './folder-plan.js';
import type { MailPass } from './mail-pass.js';
import type { FolderLayout } from './moved-out.js';

/** The folders a pass reads, the records `CRM/<name>` folders are linked to, and the server's layout. */
export interface PassFolders {
  planned: PlannedFolder[];
  links: ReadonlyMap<string, { type: string; id: string }>;
  layout: FolderLayout;
}

export function regardingOf(folders: PassFolders, path: string): Regarding | null {
  const link = folders.links.get(path);
  return link ? ({ type: link.type, id: link.id } as Regarding) : null;
}

export async function planFolders(pass: MailPass): Promise<PassFolders> {
  let folders = await pass.session.listFolders();
  if (pass.spec.shared) {
    const planned = pass.spec.shared.folders.map((name) => ({ path: resolveFolderPath(name, folders), role: 'watched' as const, watch: true }));
    return { planned, links: new Map(), layout: { server: [], read: new Set() } };
  }
  const personal = pass.spec.personal!;
  folders = await ensureTrackedFolders(pass, folders, personal.trackedFolders);
  const links = await pass.store.mailMessages.folderLinks(pass.spec.sourceId);
  const planned = planPersonalFolders(folders, { trackedFolders: personal.trackedFolders, sentFolder: personal.sentFolder, extraFolders: personal.extraFolders });
  return { planned, links, layout: { server: folders, read: new Set(planned.map((folder) => folder.path)) } };
}

/**
 * Tracked folders exist, and below the first one a folder per open account and opportunity of the
 * user (`CRM/<name>`), linked to its record so mail moved there is filed as regarding it.
 */
async function ensureTrackedFolders(pass: MailPass, folders: MailFolder[], trackedFolders: readonly string[]): Promise<MailFolder[]> {
  const { session, store, spec } = pass;
  const existing = new Set(folders.map((folder) => folder.path.toLowerCase()));
  let created = false;
  const create = async (path: string) => {
    if (existing.has(path.toLowerCase())) return;
    await session.createFolder(path);
    existing.add(path.toLowerCase());
    created = true;
  };
  for (const name of trackedFolders) await create(resolveFolderPath(name, folders));
  let current = folders;
  if (created) {
    // The server may have put a new folder elsewhere than asked: the IMAP client adds the personal
    // namespace prefix (RFC 2342), so on an account listing only INBOX `CRM` becomes `INBOX.CRM`.
    // The folders below it, and their links, start from where it really is.
    current = await session.listFolders();
    for (const folder of current) existing.add(folder.path.toLowerCase());
    created = false;
  }
  const rootName = trackedFolders[0];
  if (rootName && spec.ownerId) {
    const root = resolveFolderPath(rootName, current);
    const delimiter = delimiterOf(current);
    const links = await store.mailMessages.folderLinks(spec.sourceId);
    const linkedRecords = new Map([...links].map(([folder, record]) => [`${record.type}:${record.id}`, folder]));
    const usedPaths = new Set([...links.keys()].map((path) => path.toLowerCase()));
    for (const record of await openRecordsOfOwner(pass, spec.ownerId)) {
      const key = `${record.type}:${record.id}`;
      let path = linkedRecords.get(key);
      if (path && !existing.has(path.toLowerCase())) path = await relinkIfPrefixed(pass, path, current, usedPaths);
      if (!path) {
        path = `${root}${delimiter}${folderSegment(record.name, delimiter)}`;
        // Two records with the same name get distinct folders.
        if (usedPaths.has(path.toLowerCase())) path = `${path} (${record.id.slice(-6)})`;
        await store.mailMessages.linkFolder(spec.sourceId, path, { type: record.type, id: record.id });
        usedPaths.add(path.toLowerCase());
      }
      await create(path);
    }
  }
  return created ? session.listFolders() : current;
}

/**
 * A link stored before the bridge listed the folders again after creating them points at
 * `CRM.<name>` while the server created `INBOX.CRM.<name>` (the IMAP client adds the personal
 * namespace prefix): move the link to where the folder really is.
 */
async function relinkIfPrefixed(pass: MailPass, path: string, folders: readonly MailFolder[], usedPaths: Set<string>): Promise<string> {
  const prefixed = `INBOX${delimiterOf(folders)}${path}`.toLowerCase();
  const actual = folders.find((folder) => folder.path.toLowerCase() === prefixed)?.path;
  if (!actual || usedPaths.has(prefixed)) return path;
  await pass.store.mailMessages.moveFolderLink(pass.spec.sourceId, path, actual);
  usedPaths.add(prefixed);
  return actual;
}

async function openRecordsOfOwner(pass: MailPass, owner: string): Promise<Array<{ type: Regarding['type']; id: string; name: string }>> {
  const records: Array<{ type: Regarding['type']; id: string; name: string }> = [];
  for (let cursor: string | undefined, first = true; first || cursor; first = false) {
    const page = await pass.store.accounts.list({ owner }, { limit: 500, cursor });
    records.push(...page.items.map((account) => ({ type: 'account' as const, id: account.id, name: account.name })));
    cursor = page.next ?? undefined;
  }
  for (let cursor: string | undefined, first = true; first || cursor; first = false) {
    const page = await pass.store.opportunities.list({ owner, stage: 'open' }, { limit: 500, cursor });
    records.push(...page.items.map((deal) => ({ type: 'opportunity' as const, id: deal.id, name: deal.name })));
    cursor = page.next ?? undefined;
  }
  return records;
}
