/** Escape text for HTML element content and attribute values (OWASP rule #1 and #2). */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`=/]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A tagged template that escapes every interpolated value unless it is already `SafeHtml`. */
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

export function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · crm-bridge</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#1d2430;background:#f5f6f8}
header{background:#1d2430;color:#fff;padding:.8rem 1.5rem;display:flex;justify-content:space-between;align-items:center}
main{max-width:60rem;margin:1.5rem auto;padding:0 1rem}
section{background:#fff;border-radius:6px;padding:1rem 1.5rem;margin-bottom:1rem;box-shadow:0 1px 2px #0002}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e6ea}
.error{color:#a4161a}form.inline{display:inline}button{cursor:pointer}
label{display:block;margin:.5rem 0}input{padding:.3rem;font-size:1rem}
</style></head>
<body><header><strong>crm-bridge</strong><span>${title}</span></header><main>${body}</main></body></html>`.value;
}
