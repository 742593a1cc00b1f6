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

/** The password of an `Authorization: Basic` header (RFC 7617 §2), if any. */
function basicPasswordFrom(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
}

/**
 * `GET /freebusy/:user.vfb`: the user's VFREEBUSY, usable as Outlook's Internet Free/Busy search
 * path (`http://host/freebusy/%NAME%@%SERVER%.vfb?token=...`) and by other clients. `:user` is a
 * user id or e-mail address. Authorised by that user's own free/busy token (`?token=`, or as the
 * password of Basic auth) or an API token (bearer, or as the Basic password); anything else is 401, and an unknown user is 404 only after authorisation (so the
 * endpoint does not reveal who exists).
 */
export function freeBusyFile(ctx: ApiContext, isApiToken: (token: string) => boolean): RequestHandler {
  return async (req, res, next) => {
    try {
      const file = String(req.params['file'] ?? '');
      if (!file.toLowerCase().endsWith('.vfb')) throw new BridgeError('NOT_FOUND', 'free/busy files end in .vfb');
      // Express has percent-decoded the path parameter once already (a malformed escape is its 400);
      // decoding again would turn `%25zz` into a URIError, an unauthenticated 500.
      const who = file.slice(0, -4);
      const users = await ctx.store.users.list();
      const user = users.find((candidate) => candidate.id === who || normalizeEmail(candidate.email) === normalizeEmail(who));
      const bearer = bearerFrom(req.headers.authorization);
      // Outlook and other clients that cannot add a query parameter prompt for a password on a
      // Basic challenge (RFC 7617): any user name, the free/busy token (or an API token) as password.
      const basic = basicPasswordFrom(req.headers.authorization);
      const token = typeof req.query['token'] === 'string' ? req.query['token'] : basic;
      const userToken = user ? await ctx.store.credentials.get('user', user.id, 'freebusy-token') : undefined;
      const authorised =
        (bearer !== undefined && isApiToken(bearer)) || (basic !== undefined && isApiToken(basic)) || (token !== undefined && userToken !== undefined && sameSecret(token, userToken));
      if (!authorised) {
        res.setHeader('WWW-Authenticate', 'Basic realm="crm-bridge free/busy", charset="UTF-8"');
        throw new BridgeError('UNAUTHORIZED', "send ?token=<the user's free/busy token>, Basic auth with that token as password, or an API bearer token");
      }
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
