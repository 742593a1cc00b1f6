import type { Response, Router } from 'express';
import { sessionOf, type AdminContext } from '../context.js';
import { input, password } from '../fields.js';
import { csrfField, html, page, postButton } from '../html.js';

const usernamePattern = /^[A-Za-z0-9_.@-]{1,64}$/;
const minPasswordLength = 12;

/** Admin accounts: several admins may log in; each change is audited (without the password). */
export function registerAdminsPages(router: Router, ctx: AdminContext): void {
  const render = async (res: Response, message?: { error?: string; ok?: string }, status = 200) => {
    const session = sessionOf(res);
    const accounts = await ctx.accounts.list();
    res.status(status).type('html').send(
      page('Admins', html`<section><h1>Admin accounts</h1>
${message?.error ? html`<p class="error" role="alert">${message.error}</p>` : ''}${message?.ok ? html`<p class="ok" role="status">${message.ok}</p>` : ''}
<table><tr><th>user</th><th>created</th><th>password changed</th><th></th></tr>
${accounts.map((account) => html`<tr><td>${account.username}</td><td>${account.createdAt}</td><td>${account.updatedAt}</td><td>${account.username === session.username || accounts.length === 1 ? '' : postButton(`/admin/admins/${encodeURIComponent(account.username)}/delete`, 'Delete', session.csrfToken)}</td></tr>`)}</table></section>
<section><h2>Add an admin, or set a password</h2><form method="post" action="/admin/admins">${csrfField(session.csrfToken)}
${input('username', 'User', '', { required: true })}${password('password', `Password (at least ${minPasswordLength} characters)`, false)}
<button type="submit">Save</button></form>
<p class="muted">The <code>admin</code> account's password is reset to CRM_BRIDGE_ADMIN_PASSWORD (or admin.password) at every start when that is set.</p></section>`, { session, active: '/admin/admins' }),
    );
  };

  router.get('/admins', async (_req, res) => {
    await render(res);
  });

  router.post('/admins', async (req, res) => {
    const session = sessionOf(res);
    const body = req.body as Record<string, string | undefined>;
    const username = (body['username'] ?? '').trim();
    const secret = body['password'] ?? '';
    if (!usernamePattern.test(username)) return render(res, { error: 'User: letters, digits, _ . @ - (at most 64)' }, 400);
    if (secret.length < minPasswordLength) return render(res, { error: `Password: at least ${minPasswordLength} characters` }, 400);
    const existed = await ctx.accounts.exists(username);
    // A changed password ends that admin's other sessions; an admin changing their own stays logged in here.
    await ctx.accounts.setPassword(username, secret, username === session.username ? { keepSessionToken: session.token } : {});
    await ctx.audit.record(session.username, existed ? 'admin.password' : 'admin.create', `admin:${username}`, { username, password: secret });
    await render(res, { ok: existed ? `Password of ${username} changed${username === session.username ? '; your other sessions were logged out' : `; ${username}'s sessions were logged out`}.` : `Admin ${username} added.` });
  });

  router.post('/admins/:username/delete', async (req, res) => {
    const session = sessionOf(res);
    const username = String(req.params['username']);
    if (username === session.username) return render(res, { error: 'You cannot delete your own account.' }, 400);
    if (!(await ctx.accounts.exists(username))) return render(res, { error: `No admin ${username}.` }, 404);
    await ctx.accounts.remove(username);
    await ctx.audit.record(session.username, 'admin.delete', `admin:${username}`, { username });
    await render(res, { ok: `Admin ${username} deleted.` });
  });
}
