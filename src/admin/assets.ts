import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import express, { type Router } from 'express';

/** The admin UI's stylesheet: a file for CSP `style-src 'self'` (no inline styles). */
const css = `
body{font-family:system-ui,sans-serif;margin:0;color:#1d2430;background:#f5f6f8}
header{background:#1d2430;color:#fff;padding:.6rem 1.5rem;display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}
header nav{display:flex;gap:1rem;flex:1;flex-wrap:wrap}header a{color:#cfd8e3;text-decoration:none}
header a[aria-current]{color:#fff;border-bottom:2px solid #6ea8fe}.who{font-size:.9rem}
main{max-width:72rem;margin:1.5rem auto;padding:0 1rem}
section{background:#fff;border-radius:6px;padding:1rem 1.5rem;margin-bottom:1rem;box-shadow:0 1px 2px #0002}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
.error{color:#a4161a}.ok{color:#1b7a3a}.muted{color:#6b7280}.note{background:#fff7d6;padding:.5rem .8rem;border-radius:4px}
form.inline{display:inline}button{cursor:pointer;padding:.3rem .7rem}button.link{background:none;border:none;color:#cfd8e3;text-decoration:underline;padding:0}
label{display:block;margin:.4rem 0}input,select,textarea{padding:.3rem;font-size:1rem;font-family:inherit}
input[type=text],input[type=password],input[type=url],input[type=email],input[type=search]{width:22rem;max-width:100%}
input.url{width:42rem}textarea{width:100%;min-height:8rem;font-family:ui-monospace,monospace;font-size:.9rem}
fieldset{border:1px solid #e3e6ea;border-radius:4px;margin:.6rem 0;padding:.5rem 1rem}legend{font-weight:600}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:3px;font-size:.8rem;background:#e3e6ea}
.state-idle{background:#d3f2dc}.state-pending{background:#eef0f3}.state-syncing{background:#d6e6ff}.state-error{background:#fbd5d5}.state-auth-failed{background:#fbd5d5}
progress{width:10rem}code{word-break:break-all}.body{border:1px solid #e3e6ea;padding:.8rem;overflow:auto;max-height:30rem}
.timeline li{margin:.4rem 0}.checks{margin:.4rem 0}.checks label{display:inline-block;margin:0 .8rem 0 0}.actions form{margin-right:.3rem}
`;

/**
 * What admin.js does: copy buttons (free/busy URLs), confirmation of buttons that ask (data-confirm),
 * port proposals when the security mode changes, and the CSRF header on htmx requests. A
 * file, not inline script, so the CSP can forbid inline script entirely.
 */
const script = `'use strict';
document.addEventListener('click', function (event) {
  var button = event.target.closest && event.target.closest('[data-copy]');
  if (!button) return;
  var source = document.getElementById(button.getAttribute('data-copy'));
  if (!source) return;
  var text = source.value !== undefined ? source.value : source.textContent;
  var done = function () { button.textContent = 'Copied'; setTimeout(function () { button.textContent = 'Copy'; }, 1500); };
  var fallback = function () { if (source.select) { source.select(); if (document.execCommand('copy')) done(); } };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
  else fallback();
});
document.addEventListener('submit', function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute('data-confirm');
  if (question && !window.confirm(question)) event.preventDefault();
});
// Security none/starttls proposes the plain port, tls the TLS port (RFC 8314 §3.3, RFC 6409), when
// the port is empty or still one of those defaults (a port typed by hand stays).
var defaultPorts = { imap: { none: '143', starttls: '143', tls: '993' }, smtp: { none: '587', starttls: '587', tls: '465' } };
document.addEventListener('change', function (event) {
  var select = event.target;
  var match = select.name && /^(imap|smtp)\\.security$/.exec(select.name);
  if (!match) return;
  var port = select.form && select.form.querySelector('input[name="' + match[1] + '.port"]');
  if (!port) return;
  var ports = defaultPorts[match[1]];
  var known = Object.keys(ports).map(function (key) { return ports[key]; });
  if (port.value === '' || known.indexOf(port.value) >= 0) port.value = ports[select.value] || port.value;
});
document.addEventListener('htmx:configRequest', function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) event.detail.headers['X-CSRF-Token'] = meta.getAttribute('content');
});
`;

/** The tab icon: two linked nodes (CRM and groupware), in the UI's blue; SVG, so one file serves every size. */
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f5fbf"/><circle cx="10" cy="16" r="5" fill="#fff"/><circle cx="22" cy="16" r="5" fill="none" stroke="#fff" stroke-width="2.5"/><rect x="13" y="14.75" width="6" height="2.5" fill="#fff"/></svg>`;

/** Static files of the admin UI: public (no data in them), so the login page can use them too. */
export function assetsRouter(): Router {
  const router = express.Router();
  const htmx = readFileSync(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'), 'utf8');
  const send = (type: string, body: string) => (_req: express.Request, res: express.Response) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type(type).send(body);
  };
  router.get('/admin.css', send('text/css', css));
  router.get('/admin.js', send('application/javascript', script));
  router.get('/htmx.min.js', send('application/javascript', htmx));
  router.get('/favicon.svg', send('image/svg+xml', favicon));
  return router;
}
