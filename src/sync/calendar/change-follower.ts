import type { Change } from '../../store/changes.js';
import { ChangeFeedFollower } from '../change-feed-follower.js';

const CALENDAR_KINDS = new Set(['appointment', 'meeting', 'task', 'follow_up']);

/**
 * Runs `caldav:<owner>` when an appointment, meeting, task or follow-up is created, changed or
 * deleted, so that it reaches the owner's calendar at once (CONTRACT.md). A deletion carries no
 * data: its owner is found through the sync status of the calendar/tasks pairs.
 */
export class CalendarChangeFollower extends ChangeFeedFollower {
  protected async sourcesFor(change: Change): Promise<string[]> {
    if (change.entity !== 'activity') return [];
    const data = change.data as { kind?: string; owner?: string | null } | null;
    if (data) return data.kind && CALENDAR_KINDS.has(data.kind) && data.owner ? [`caldav:${data.owner}`] : [];
    return (await this.usersHolding(change.id, ['calendar', 'tasks'])).map((user) => `caldav:${user}`);
  }
}
