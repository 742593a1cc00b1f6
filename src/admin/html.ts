/** Escape text for HTML element content and attribute values (OWASP rule #1 and #2). */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`=/]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * A tagged template that escapes every interpolated value unless it is already `SafeHtml`.
 *
 * Why not a template engine (Eta): the views are TypeScript, so the compiler checks every value a
 * page uses, escaping is by construction (only `html` makes SafeHtml), and `npm run build` needs no
 * step that copies template files into dist/.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    const rendered = Array.isArray(value) ? value.map((item) => (item instanceof SafeHtml ? item.value : escapeHtml(item))).join('') : value instanceof SafeHtml ? value.value : escapeHtml(value);
    out += rendered + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** HTML that an allowlist sanitizer produced (src/mail/sanitize-html.ts): the only way to trust markup from outside. */
export function trusted(sanitized: string): SafeHtml {
  return new SafeHtml(sanitized);
}

export interface PageOptions {
  /** The logged-in admin; absent on the login page (no navigation, no logout). */
  session?: { username: string; csrfToken: string };
  active?: string;
}

const nav: ReadonlyArray<[string, string]> = [
  ['/admin', 'Status'],
  ['/admin/users', 'Users'],
  ['/admin/shared-mailboxes', 'Shared mailboxes'],
  ['/admin/activities', 'Activities'],
  ['/admin/freebusy', 'Free/busy'],
  ['/admin/audit', 'Audit log'],
  ['/admin/admins', 'Admins'],
];

/** A hidden field with the session's CSRF token: every form of a logged-in page has one. */
export function csrfField(csrfToken: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrfToken}">`;
}

/** A POST button in a form of its own (retry, resync, delete, log out). */
/** A button that posts; with `confirm`, admin.js asks that question first (no inline handler: the CSP forbids them). */
export function postButton(action: string, label: string, csrfToken: string, className = '', confirm?: string): SafeHtml {
  return html`<form class="inline" method="post" action="${action}"${confirm ? html` data-confirm="${confirm}"` : ''}>${csrfField(csrfToken)}<button type="submit" class="${className}">${label}</button></form>`;
}

/**
 * The page shell. No inline script or style (CSP `script-src 'self'; style-src 'self'`): the
 * stylesheet, htmx and our small script are files under /admin/assets/. htmx sends the CSRF token as
 * a header, read from the meta tag by admin.js.
 */
export function page(title: string, body: SafeHtml, options: PageOptions = {}): string {
  const { session } = options;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · crm-bridge</title>
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true}'>
${session ? html`<meta name="csrf-token" content="${session.csrfToken}">` : ''}
<link rel="stylesheet" href="/admin/assets/admin.css">
<link rel="icon" type="image/svg+xml" href="/admin/assets/favicon.svg">
<script src="/admin/assets/htmx.min.js" defer></script>
<script src="/admin/assets/admin.js" defer></script>
</head>
<body><header><strong>crm-bridge</strong>
${session
  ? html`<nav>${nav.map(([href, label]) => html`<a href="${href}"${options.active === href ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>
<span class="who">${session.username} ${postButton('/admin/logout', 'Log out', session.csrfToken, 'link')}</span>`
  : html`<span>${title}</span>`}
</header><main>${body}</main></body></html>`.value;
}
