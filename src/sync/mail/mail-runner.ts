import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { serverSettings } from '../../config/server-settings.js';
import { BridgeError } from '../../domain/errors.js';
import type { Store } from '../../store/store.js';
import type { MailboxConnector } from '../../ports/mail.js';
import type { SourceRunner, SyncSource } from '../../ports/source.js';
import type { CorrelationSettings } from '../../mail/correlate.js';
import { syncMailbox, type MailboxSpec, type MailSyncDeps } from './mailbox-sync.js';

/** The mailbox a configured source stands for: a user's own mailbox or a shared one. */
export function mailboxSpecOf(config: Config, source: SyncSource): MailboxSpec {
  if (source.kind === 'imap') {
    const user = config.users.find((entry) => entry.id === source.ownerId);
    if (!user?.imap) throw new BridgeError('CONFIG', `${source.id}: no IMAP settings`);
    return {
      sourceId: source.id,
      mailbox: 'personal',
      ownerId: user.id,
      ownerEmail: user.email,
      queue: null,
      server: { ...serverSettings(user.imap, { type: 'user', id: user.id, kind: 'imap' }), commandTimeoutMs: config.sync.commandTimeoutSeconds * 1000, maxMessageBytes: config.mail.maxMessageBytes },
      personal: {
        trackedFolders: user.mail.trackedFolders,
        trackingKeyword: user.mail.trackingKeyword,
        autoTrack: user.mail.autoTrack,
        sentFolder: user.mail.sentFolder,
        extraFolders: user.mail.folders ?? [],
        importSince: user.mail.importSince,
        createContacts: user.mail.createContacts,
      },
    };
  }
  const box = config.sharedMailboxes.find((entry) => entry.id === source.ownerId);
  if (!box) throw new BridgeError('CONFIG', `${source.id}: no such shared mailbox`);
  const owner = box.owner ? config.users.find((user) => user.id === box.owner) : undefined;
  return {
    sourceId: source.id,
    mailbox: 'shared',
    ownerId: box.owner ?? null,
    ownerEmail: owner?.email ?? null,
    queue: box.id,
    server: { ...serverSettings(box.imap, { type: 'shared-mailbox', id: box.id, kind: 'imap' }), commandTimeoutMs: config.sync.commandTimeoutSeconds * 1000, maxMessageBytes: config.mail.maxMessageBytes },
    shared: { folders: box.folders, unknownSender: box.unknownSender, processed: box.processed, importSince: box.importSince },
  };
}

/** How replies are correlated, from the configuration (mail.domain, mail.trackingToken, mail.smartMatching). */
export function correlationSettings(config: Config, store: Store): CorrelationSettings {
  return {
    domain: config.mail.domain ?? null,
    messageIdKey: store.box.derivedKey('message-id'),
    token: { enabled: config.mail.trackingToken.enabled, prefix: config.mail.trackingToken.prefix },
    smart: config.mail.smartMatching,
  };
}

export function mailSyncDeps(config: Config, store: Store, connector: MailboxConnector, log: Logger): MailSyncDeps {
  return {
    store,
    connector,
    log,
    users: config.users.map((user) => ({ id: user.id, email: user.email })),
    maxItemAttempts: config.sync.maxItemAttempts,
    maxBodyBytes: config.mail.maxBodyBytes,
    maxMessageBytes: config.mail.maxMessageBytes,
    correlation: correlationSettings(config, store),
  };
}

/** Source runners for personal and shared mailboxes. */
export function mailRunners(config: Config, store: Store, connector: MailboxConnector, log: Logger): SourceRunner[] {
  const deps = mailSyncDeps(config, store, connector, log);
  const runOnce = (source: SyncSource, signal: AbortSignal, abort?: AbortSignal) => syncMailbox(mailboxSpecOf(config, source), deps, signal, abort);
  return [
    { kind: 'imap', runOnce },
    { kind: 'shared-mailbox', runOnce },
  ];
}
