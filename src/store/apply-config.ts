import { randomBytes } from 'node:crypto';
import type { Config, OAuth2AuthConfig } from '../config/schema.js';
import { grantKeyOf, oauthClientSpec, type ConnectionKind } from '../oauth/providers.js';
import { grantKind } from './oauth-grants.js';
import type { CredentialOwner } from './credentials.js';
import type { Store } from './store.js';

/**
 * Bring the database in line with the configuration at start-up: users exist as CRM users, their
 * connection passwords are stored encrypted, configured webhooks are registered (and ones removed
 * from the file are switched off).
 */
export async function applyConfig(store: Store, config: Config): Promise<void> {
  await store.atomically(async (tx) => {
    const keep: Array<{ ownerType: CredentialOwner; ownerId: string; kind: string }> = [];
    for (const user of config.users) {
      await tx.users.upsert({ id: user.id, name: user.name, email: user.email });
      // The user's free/busy token (GET /freebusy/<user>.vfb?token=...), made once and kept.
      if ((await tx.credentials.get('user', user.id, 'freebusy-token')) === undefined) {
        await tx.credentials.put('user', user.id, 'freebusy-token', randomBytes(18).toString('base64url'));
      }
      keep.push({ ownerType: 'user', ownerId: user.id, kind: 'freebusy-token' });
      for (const kind of ['imap', 'smtp', 'caldav', 'carddav'] as const) {
        const connection = user[kind];
        if (!connection) continue;
        await keepSecret(tx, keep, 'user', user.id, kind, connection);
      }
    }
    for (const box of config.sharedMailboxes) {
      await keepSecret(tx, keep, 'shared-mailbox', box.id, 'imap', box.imap);
    }
    await tx.credentials.removeAllExcept(keep);

    const latest = await tx.changes.latestSeq();
    const configured = new Set(config.webhooks.map((hook) => hook.id));
    for (const hook of config.webhooks) {
      await tx.webhooks.upsert({ id: hook.id, url: hook.url, secret: hook.secret, events: hook.events, origin: 'config' }, latest);
    }
    for (const hook of await tx.webhooks.list()) {
      if (hook.origin === 'config' && !configured.has(hook.id) && hook.active) await tx.webhooks.deactivate(hook.id);
    }
  });
}

/**
 * A password is stored for its connection; an OAuth2 connection's grant (made by the admin UI's
 * Connect step, not by the file) is kept as long as a connection of its owner names its client.
 */
async function keepSecret(
  tx: Store,
  keep: Array<{ ownerType: CredentialOwner; ownerId: string; kind: string }>,
  ownerType: 'user' | 'shared-mailbox',
  ownerId: string,
  kind: ConnectionKind,
  connection: { password?: string | undefined; auth?: OAuth2AuthConfig | { type: 'password' } | undefined },
): Promise<void> {
  if (connection.auth?.type === 'oauth2') {
    keep.push({ ownerType, ownerId, kind: grantKind(grantKeyOf(oauthClientSpec(connection.auth, kind))) });
    return;
  }
  await tx.credentials.put(ownerType, ownerId, kind, connection.password ?? '');
  keep.push({ ownerType, ownerId, kind });
}
