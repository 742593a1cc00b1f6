import type { Config } from '../config/schema.js';
import type { SyncSource } from '../ports/source.js';

/** Every source the configuration names, in a stable order (users first, then shared mailboxes). */
export function sourcesOf(config: Config): SyncSource[] {
  const sources: SyncSource[] = [];
  for (const user of config.users) {
    if (user.imap) sources.push({ id: `imap:${user.id}`, kind: 'imap', ownerId: user.id, location: `${user.imap.host}:${user.imap.port}` });
    if (user.caldav) sources.push({ id: `caldav:${user.id}`, kind: 'caldav', ownerId: user.id, location: user.caldav.url });
    if (user.carddav) sources.push({ id: `carddav:${user.id}`, kind: 'carddav', ownerId: user.id, location: user.carddav.url });
  }
  for (const box of config.sharedMailboxes) {
    sources.push({ id: `shared-mailbox:${box.id}`, kind: 'shared-mailbox', ownerId: box.id, location: `${box.imap.host}:${box.imap.port}` });
  }
  return sources;
}
