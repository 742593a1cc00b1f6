import type { FolderRole } from '../../mail/decide-tracking.js';
import type { MailFolder } from '../../ports/mail.js';

/**
 * Which folders of a personal mailbox are read, and in which role. Pure: it works on the folder
 * list the server gave. Configured names use `/` as hierarchy separator and are mapped onto the
 * server's delimiter and personal namespace (Cyrus and Courier keep folders under `INBOX.`).
 */
export interface PlannedFolder {
  path: string;
  role: FolderRole;
  /** Worth an IDLE connection under `serve` (sub-folders of tracked folders are polled instead). */
  watch: boolean;
}

export function delimiterOf(folders: readonly MailFolder[]): string {
  return folders.find((folder) => folder.path.toUpperCase() === 'INBOX')?.delimiter || folders[0]?.delimiter || '/';
}

/** The server path for a configured folder name: an existing folder if one matches, else where to create it. */
export function resolveFolderPath(name: string, folders: readonly MailFolder[]): string {
  const delimiter = delimiterOf(folders);
  const translated = name.split('/').join(delimiter);
  const byPath = new Map(folders.map((folder) => [folder.path.toLowerCase(), folder.path]));
  const inboxPrefixed = `INBOX${delimiter}${translated}`;
  const existing = byPath.get(translated.toLowerCase()) ?? byPath.get(inboxPrefixed.toLowerCase());
  if (existing) return existing;
  // A server whose other folders all live below INBOX wants new ones there too.
  const others = folders.filter((folder) => folder.path.toUpperCase() !== 'INBOX');
  const underInbox = others.length > 0 && others.every((folder) => folder.path.toUpperCase().startsWith(`INBOX${delimiter}`));
  return underInbox ? inboxPrefixed : translated;
}

/**
 * A folder name safe to use as one path segment: no delimiter, no wildcard, no control characters,
 * and no `/` whatever the delimiter: configured folder names use `/` between segments, and Cyrus
 * (delimiter `.`) refuses a `/` in a name ("Invalid mailbox name").
 */
export function folderSegment(name: string, delimiter: string): string {
  const replacement = delimiter === '-' ? '_' : '-';
  const cleaned = [...name]
    .filter((char) => char.charCodeAt(0) >= 0x20 && char.charCodeAt(0) !== 0x7f && char !== '*' && char !== '%')
    .map((char) => (char === delimiter || char === '/' ? replacement : char))
    .join('')
    // A dropped wildcard leaves two spaces where there was one: `50% * off` -> `50 off`.
    .replace(/ {2,}/g, ' ')
    .trim();
  return cleaned.slice(0, 100) || 'unnamed';
}

/** Names mail clients give Trash and Junk on servers without RFC 6154 SPECIAL-USE. */
const discardNames = /^(trash|bin|deleted|deleted items|deleted messages|junk|junk e-mail|junk email|spam)$/i;

/** Trash or Junk (RFC 6154 \Trash, \Junk, or by its usual name): a message moved there was thrown away. */
export function isDiscardFolder(folder: MailFolder): boolean {
  if (folder.specialUse === '\\Trash' || folder.specialUse === '\\Junk') return true;
  const leaf = folder.delimiter ? (folder.path.split(folder.delimiter).at(-1) ?? folder.path) : folder.path;
  return folder.specialUse === null && discardNames.test(leaf.trim());
}

export function isBelow(path: string, parent: string, delimiter: string): boolean {
  return path.toLowerCase().startsWith(`${parent}${delimiter}`.toLowerCase());
}

/**
 * Where sent mail lies: the configured folder when the server has it, else the one marked \Sent
 * (RFC 6154 §2), else `Sent` in the personal namespace. A configured name the server lacks (`Sent`
 * on Gmail, whose sent mail is in `[Gmail]/Sent Mail`) falls back to \Sent instead of reading nothing.
 */
export function sentFolderPath(folders: readonly MailFolder[], configured: string | undefined): string {
  const named = configured ? resolveFolderPath(configured, folders) : undefined;
  if (named !== undefined && folders.some((folder) => folder.path === named && folder.selectable)) return named;
  return folders.find((folder) => folder.specialUse === '\\Sent')?.path ?? named ?? resolveFolderPath('Sent', folders);
}

export interface PersonalFolderConfig {
  trackedFolders: readonly string[];
  sentFolder?: string | undefined;
  extraFolders?: readonly string[] | undefined;
}

/**
 * Tracked folders and every folder below them (`CRM/Acme`) are read in the `tracked` role; INBOX
 * and configured extra folders in the `watched` role (keyword and automatic tracking); the sent
 * folder (configured if the server has it, else RFC 6154 \Sent) last, in the `sent` role. Trash and
 * Junk are never read.
 */
export function planPersonalFolders(folders: readonly MailFolder[], config: PersonalFolderConfig): PlannedFolder[] {
  const delimiter = delimiterOf(folders);
  const selectable = folders.filter((folder) => folder.selectable && folder.specialUse !== '\\Trash' && folder.specialUse !== '\\Junk');
  const planned = new Map<string, PlannedFolder>();
  const add = (path: string, role: FolderRole, watch = true) => {
    if (!planned.has(path.toLowerCase()) && selectable.some((folder) => folder.path === path)) planned.set(path.toLowerCase(), { path, role, watch });
  };
  for (const name of config.trackedFolders) {
    const root = resolveFolderPath(name, folders);
    add(root, 'tracked');
    for (const folder of selectable) if (isBelow(folder.path, root, delimiter)) add(folder.path, 'tracked', false);
  }
  // Incoming mail before sent mail: a sent reply then finds the message it answers already stored.
  const inbox = folders.find((folder) => folder.path.toUpperCase() === 'INBOX');
  if (inbox) add(inbox.path, 'watched');
  for (const name of config.extraFolders ?? []) add(resolveFolderPath(name, folders), 'watched');
  add(sentFolderPath(folders, config.sentFolder), 'sent');
  return [...planned.values()];
}
