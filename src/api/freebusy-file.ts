import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { renderVFreeBusy } from '../calendar/freebusy.js';
import { busyOfUser } from '../calendar/user-busy.js';
import { BridgeError } from '../domain/errors.js';
import { normalizeEmail } from '../domain/fields.js';
import { bearerFrom } from './auth.js';
import type { ApiContext } from './context.js';
import { defaultWindow } from './routes/freebusy.js';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `GET /freebusy/:user.vfb`: the user's VFREEBUSY, usable as Outlook's Internet Free/Busy search
 * path (`http://host/freebusy/%NAME%@%SERVER%.vfb?token=...`) and by other clients. `:user` is a
 * user id or e-mail address. Authorised by that user's own free/busy token (`?token=`) or an API
 * bearer token; anything else is 401, and an unknown user is 404 only after authorisation (so the
 * endpoint does not reveal who exists).
 */
export function freeBusyFile(ctx: ApiContext, isApiToken: (token: string) => boolean): RequestHandler {
  return async (req, res, next) => {
    try {
      const file = String(req.params['file'] ?? '');
      if (!file.toLowerCase().endsWith('.vfb')) throw new BridgeError('NOT_FOUND', 'free/busy files end in .vfb');
      const who = decodeURIComponent(file.slice(0, -4));
      const users = await ctx.store.users.list();
      const user = users.find((candidate) => candidate.id === who || normalizeEmail(candidate.email) === normalizeEmail(who));
      const bearer = bearerFrom(req.headers.authorization);
      const token = typeof req.query['token'] === 'string' ? req.query['token'] : undefined;
      const userToken = user ? await ctx.store.credentials.get('user', user.id, 'freebusy-token') : undefined;
      const authorised = (bearer !== undefined && isApiToken(bearer)) || (token !== undefined && userToken !== undefined && sameSecret(token, userToken));
      if (!authorised) throw new BridgeError('UNAUTHORIZED', 'send ?token=<the user\'s free/busy token> or an API bearer token');
      if (!user) throw new BridgeError('NOT_FOUND', `no user ${who}`);
      const window = defaultWindow(ctx.config);
      const periods = await busyOfUser(ctx.store, user.id, window.from, window.to);
      res.setHeader('Cache-Control', 'private, max-age=60');
      res.type('text/calendar; charset=utf-8').send(renderVFreeBusy({ organizer: { email: user.email, name: user.name }, start: window.from, end: window.to, periods, now: new Date() }));
    } catch (error) {
      next(error);
    }
  };
}
