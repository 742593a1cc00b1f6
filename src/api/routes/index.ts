import type { ApiContext } from '../context.js';
import type { AnyRoute } from '../route.js';
import { accountRoutes } from './accounts.js';
import { activityRoutes } from './activities.js';
import { calendarItemRoutes } from './calendar-items.js';
import { changeRoutes } from './changes.js';
import { contactRoutes } from './contacts.js';
import { discoverRoutes } from './discover.js';
import { emailRoutes } from './emails.js';
import { freeBusyRoutes } from './freebusy.js';
import { leadRoutes } from './leads.js';
import { opportunityRoutes } from './opportunities.js';
import { syncErrorRoutes } from './sync-errors.js';
import { userRoutes } from './users.js';
import { webhookRoutes } from './webhooks.js';

/** Every /api/v1 route; the OpenAPI document is generated from this same list. */
export function apiRoutes(ctx: ApiContext): AnyRoute[] {
  return [
    ...accountRoutes(ctx),
    ...contactRoutes(ctx),
    ...leadRoutes(ctx),
    ...opportunityRoutes(ctx),
    ...activityRoutes(ctx),
    ...emailRoutes(ctx),
    ...calendarItemRoutes(ctx),
    ...freeBusyRoutes(ctx),
    ...changeRoutes(ctx),
    ...webhookRoutes(ctx),
    ...userRoutes(ctx),
    ...discoverRoutes(ctx),
    ...syncErrorRoutes(ctx),
  ];
}
