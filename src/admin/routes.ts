import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import type { ApiContext } from '../api/context.js';
import { assetsRouter } from './assets.js';
import { createAdminContext, sessionOf, type AdminContext, type AdminHooks } from './context.js';
import { html, page } from './html.js';
import { registerAdminsPages } from './pages/admins.js';
import { registerActivityPages } from './pages/activities.js';
import { registerAuditPage } from './pages/audit.js';
import { registerFreeBusyPage } from './pages/freebusy.js';
import { registerSharedMailboxPages } from './pages/shared-mailboxes.js';
import { registerStatusPages } from './pages/status.js';
import { registerUserPages } from './pages/users.js';
import { registerOAuthCallback, registerOAuthConnect } from './pages/oauth-connect.js';
import { csrfMatches, type AdminSessions } from '../store/admin-sessions.js';
import { cookieValue } from './cookies.js';

const cookieName = 'crm_bridge_admin';

function sessionCookie(req: Request): string | undefined {
  return cookieValue(req, cookieName);
}

/**
 * A form post must come from our own pages. Browsers say so in Sec-Fetch-Site (same-origin); without
 * it (older browsers, scripts) the Origin header, when present, must name this host.
 */
function sameOrigin(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * The client's address: the socket's peer, or with `server.trustProxy` (a reverse proxy in front)
 * the address X-Forwarded-For names (express's req.ip, `trust proxy` set in http-app.ts). Off by
 * default: anyone can send that header, and trusting it would let a guesser pick a fresh address
 * for every attempt.
 */
const clientAddress = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/**
 * The admin UI under /admin (README "Admin UI"). Every route but the login form and the static
 * assets needs a session: GET redirects to the login page, anything else is refused with 401.
 * Every POST of a logged-in page must carry the session's CSRF token (form field `_csrf` or
 * header `X-CSRF-Token`), else 403. Security headers come from helmet with a CSP that allows no
 * inline script or style at all.
 */
export function adminRouter(api: ApiContext, sessions: AdminSessions, hooks: AdminHooks): Router {
  const ctx = createAdminContext(api, sessions, hooks);
  const router = express.Router();
  router.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:', 'cid:'],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
        },
      },
      // same-origin: our own form posts keep their Origin header; nothing leaks to other sites.
      referrerPolicy: { policy: 'same-origin' },
      strictTransportSecurity: ctx.secureCookies,
    }),
  );
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use('/assets', assetsRouter());
  router.use(express.urlencoded({ extended: false, limit: '64kb' }));

  registerLogin(router, ctx);
  registerOAuthCallback(router, ctx);

  router.use(async (req, res, next) => {
    const session = await ctx.sessions.lookup(sessionCookie(req));
    if (!session) {
      // An htmx request (the polling status panel) would swap the login page into the panel: tell htmx to load it instead.
      if (req.headers['hx-request']) return void res.status(401).setHeader('HX-Redirect', '/admin/login').end();
      if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, '/admin/login');
      return void res.status(401).type('html').send(page('Log in', html`<section><p class="error">Please <a href="/admin/login">log in</a>.</p></section>`));
    }
    res.locals['admin'] = session;
    next();
  });
  router.use(requireCsrf);

  router.post('/logout', async (req, res) => {
    await ctx.sessions.close(sessionCookie(req));
    res.setHeader('Set-Cookie', `${cookieName}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0${ctx.secureCookies ? '; Secure' : ''}`);
    res.redirect(303, '/admin/login');
  });

  registerStatusPages(router, ctx);
  registerUserPages(router, ctx);
  registerOAuthConnect(router, ctx);
  registerSharedMailboxPages(router, ctx);
  registerActivityPages(router, ctx);
  registerFreeBusyPage(router, ctx);
  registerAuditPage(router, ctx);
  registerAdminsPages(router, ctx);
  return router;
}

/** Synchronizer-token check for every state-changing request of a session (OWASP CSRF cheat sheet). */
function requireCsrf(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const submitted = (req.body as Record<string, unknown> | undefined)?.['_csrf'] ?? req.headers['x-csrf-token'];
  if (!sameOrigin(req) || !csrfMatches(sessionOf(res).csrfToken, submitted)) {
    res.status(403).type('html').send(page('Refused', html`<section><h1>Refused</h1><p class="error">The form was not sent by this admin page (missing or wrong CSRF token). Reload the page and try again.</p></section>`));
    return;
  }
  next();
}

function registerLogin(router: Router, ctx: AdminContext): void {
  const loginPage = (error?: string, username = 'admin') =>
    page('Log in', html`<section><h1>Log in</h1>${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/admin/login">
<label>User <input type="text" name="username" autocomplete="username" value="${username}" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button></form></section>`);

  router.get('/login', (_req, res) => {
    res.type('html').send(loginPage());
  });

  // The login form has no session to tie a token to yet; it is protected from cross-site posts by
  // the Origin / Sec-Fetch-Site check and SameSite=Strict, and from guessing by the rate limit.
  router.post('/login', async (req, res) => {
    const body = req.body as { username?: unknown; password?: unknown };
    if (!sameOrigin(req)) return void res.status(403).type('html').send(loginPage('cross-site request refused'));
    const username = typeof body.username === 'string' ? body.username.slice(0, 64) : '';
    const keys = ctx.throttle.keysFor(username, clientAddress(req));
    const wait = await ctx.throttle.retryAfter(keys);
    if (wait > 0) {
      ctx.log.warn({ username, address: clientAddress(req) }, 'admin login refused: too many failed attempts');
      res.setHeader('Retry-After', String(wait));
      return void res.status(429).type('html').send(loginPage(`Too many failed logins from here; try again in ${wait < 120 ? `${wait} second(s)` : `${Math.ceil(wait / 60)} minute(s)`}.`, username));
    }
    const ok = typeof body.password === 'string' && username !== '' && (await ctx.accounts.verify(username, body.password));
    if (!ok) {
      await ctx.throttle.fail(keys);
      ctx.log.warn({ username, address: clientAddress(req) }, 'admin login failed');
      return void res.status(401).type('html').send(loginPage('wrong user or password', username));
    }
    await ctx.throttle.succeed(keys);
    const token = await ctx.sessions.open(username);
    const secure = ctx.secureCookies || req.secure ? '; Secure' : '';
    res.setHeader('Set-Cookie', `${cookieName}=${token}; Path=/admin; HttpOnly; SameSite=Strict${secure}`);
    res.redirect(303, '/admin');
  });
}
