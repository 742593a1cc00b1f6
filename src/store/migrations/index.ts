import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';
import * as mailIngestion from './0002-mail-ingestion.js';
import * as sending from './0003-sending-and-correlation.js';
import * as calendarSync from './0004-calendar-sync.js';
import * as contactSync from './0005-contact-sync.js';
import * as admin from './0006-admin.js';
import * as busyIndexes from './0007-busy-indexes.js';
import * as taskPercent from './0008-task-percent.js';
import * as appointmentReminder from './0009-appointment-reminder.js';
import * as messageFingerprint from './0010-message-fingerprint.js';
import * as oneSyncBase from './0011-one-sync-base.js';
import * as sharedState from './0012-shared-state.js';
import * as syncErrorCounts from './0013-sync-error-counts.js';

/**
 * Numbered migrations, listed statically so the compiled build needs no directory scan.
 * Add a file `NNNN-slug.ts` and a line here; never edit a migration that has shipped.
 */
export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-mail-ingestion': mailIngestion,
  '0003-sending-and-correlation': sending,
  '0004-calendar-sync': calendarSync,
  '0005-contact-sync': contactSync,
  '0006-admin': admin,
  '0007-busy-indexes': busyIndexes,
  '0008-task-percent': taskPercent,
  '0009-appointment-reminder': appointmentReminder,
  '0010-message-fingerprint': messageFingerprint,
  '0011-one-sync-base': oneSyncBase,
  '0012-shared-state': sharedState,
  '0013-sync-error-counts': syncErrorCounts,
};
