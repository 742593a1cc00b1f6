import express, { type Request, type Router } from 'express';
import type { ApiContext } from '../api/context.js';
import { checkAdminLogin } from './bootstrap.js';
import { html, page } from './html.js';
import type { AdminSessions } from './sessions.js';

const cookieName = 'crm_bridge_admin';

function sessionCookie(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === cookieName) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** A form post must come from our own pages (SameSite=Strict already blocks most cross-site posts). */
function sameOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * The admin UI under /admin: a login form and a status page. Every page but the login form needs a
 * session. The full configuration UI is issue 7; this is the authenticated shell it grows in.
 */
export function adminRouter(ctx: ApiContext, sessions: AdminSessions): Router {
  const router = express.Router();
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));
  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  const loginPage = (error?: string) =>
    page('Log in', html`<section><h1>Log in</h1>${error ? html`<p class="error">${error}</p>` : ''}
<form method="post" action="/admin/login">
<label>User <input name="username" autocomplete="username" value="admin" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button></form></section>`);

  router.get('/login', (_req, res) => {
    res.type('html').send(loginPage());
  });

  router.post('/login', async (req, res) => {
    const body = req.body as { username?: unknown; password?: unknown };
    if (!sameOrigin(req)) return void res.status(403).type('html').send(loginPage('cross-site request refused'));
    const ok = typeof body.username === 'string' && typeof body.password === 'string' && (await checkAdminLogin(ctx.store, body.username, body.password));
    if (!ok) {
      ctx.log.warn({ username: typeof body.username === 'string' ? body.username.slice(0, 64) : null }, 'admin login failed');
      return void res.status(401).type('html').send(loginPage('wrong user or password'));
    }
    const token = await sessions.open();
    const secure = req.secure ? '; Secure' : '';
    res.setHeader('Set-Cookie', `${cookieName}=${token}; Path=/admin; HttpOnly; SameSite=Strict${secure}`);
    res.redirect(303, '/admin');
  });

  router.use(async (req, res, next) => {
    if (await sessions.isValid(sessionCookie(req))) return next();
    if (req.method === 'GET') return res.redirect(303, '/admin/login');
    res.status(401).type('html').send(loginPage('please log in'));
  });

  router.post('/logout', async (req, res) => {
    if (!sameOrigin(req)) return void res.status(403).end();
    await sessions.close(sessionCookie(req));
    res.setHeader('Set-Cookie', `${cookieName}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0`);
    res.redirect(303, '/admin/login');
  });

  router.get('/', async (_req, res) => {
    const users = await ctx.store.users.list();
    const errors = await ctx.store.syncErrors.recent(20);
    const hooks = await ctx.store.webhooks.list();
    const latest = await ctx.store.changes.latestSeq();
    res.type('html').send(
      page('Status', html`<section><h1>Status</h1>
<p>Change feed at sequence ${latest}. ${ctx.config.api.tokens.length} API token(s) configured.</p>
<form class="inline" method="post" action="/admin/logout"><button>Log out</button></form></section>
<section><h2>Users</h2><table><tr><th>id</th><th>name</th><th>e-mail</th><th>connections</th><th>free/busy URL (Outlook: Internet Free/Busy)</th></tr>
${await Promise.all(users.map(async (user) => {
  const configured = ctx.config.users.find((entry) => entry.id === user.id);
  const connections = configured ? (['imap', 'smtp', 'caldav', 'carddav'] as const).filter((kind) => configured[kind]).join(', ') : '';
  const token = await ctx.store.credentials.get('user', user.id, 'freebusy-token');
  const base = ctx.config.server.publicUrl ?? '';
  return html`<tr><td>${user.id}</td><td>${user.name}</td><td>${user.email}</td><td>${connections || 'none'}</td><td><code>${base}/freebusy/${user.email}.vfb?token=${token ?? ''}</code></td></tr>`;
}))}</table></section>
<section><h2>Shared mailboxes</h2><ul>${ctx.config.sharedMailboxes.map((box) => html`<li>${box.id} (${box.address})</li>`)}</ul></section>
<section><h2>Webhooks</h2><table><tr><th>id</th><th>url</th><th>delivered up to</th><th>failed attempts</th></tr>
${hooks.map((hook) => html`<tr><td>${hook.id}</td><td>${hook.url}</td><td>${hook.cursorSeq}</td><td>${hook.attempts}</td></tr>`)}</table></section>
<section><h2>Recent sync errors</h2><table><tr><th>when</th><th>source</th><th>item</th><th>code</th><th>message</th></tr>
${errors.map((error) => html`<tr><td>${error.at}</td><td>${error.source}</td><td>${error.itemRef ?? ''}</td><td>${error.code}</td><td>${error.message}</td></tr>`)}</table></section>`),
    );
  });

  return router;
}
