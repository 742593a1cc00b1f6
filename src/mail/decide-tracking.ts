import type { TrackedBy } from '../store/mail-messages.js';

export type AutoTrackPolicy = 'none' | 'replies' | 'known-senders' | 'all';

/** Where a message lies in the user's mailbox, as far as tracking is concerned. */
export type FolderRole = 'tracked' | 'sent' | 'watched';

export interface TrackingFacts {
  mailbox: 'personal' | 'shared';
  folderRole: FolderRole;
  hasTrackingKeyword: boolean;
  policy: AutoTrackPolicy;
  /** In-Reply-To/References name a message the CRM already has. */
  repliesToCrmMail: boolean;
  /** The other side (sender of incoming, a recipient of sent mail) is a contact, lead or account. */
  counterpartKnown: boolean;
}

/**
 * Whether a message becomes a CRM activity, and why (the reason decides how it is untracked later).
 * The user's own mail client is the interface: a folder, a keyword, or the automatic policy.
 * In a shared mailbox every message is tracked.
 */
export function decideTracking(facts: TrackingFacts): TrackedBy | null {
  if (facts.mailbox === 'shared') return 'shared';
  if (facts.folderRole === 'tracked') return 'folder';
  if (facts.hasTrackingKeyword) return 'keyword';
  switch (facts.policy) {
    case 'all':
      return 'auto';
    case 'known-senders':
      return facts.counterpartKnown || facts.repliesToCrmMail ? 'auto' : null;
    case 'replies':
      return facts.repliesToCrmMail ? 'auto' : null;
    case 'none':
      return null;
  }
}
