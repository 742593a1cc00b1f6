import type { ErrorDetail } from '../domain/errors.js';
import { html, type SafeHtml } from './html.js';

/** Form controls; `disabled` renders a read-only view (entries the YAML declares). */
export interface FieldOptions {
  disabled?: boolean;
  type?: string;
  placeholder?: string;
  hint?: string;
  required?: boolean;
}

export function input(name: string, label: string, value: unknown, options: FieldOptions = {}): SafeHtml {
  return html`<label>${label} <input type="${options.type ?? 'text'}" name="${name}" value="${value ?? ''}"${options.placeholder ? html` placeholder="${options.placeholder}"` : ''}${options.required ? html` required` : ''}${options.disabled ? html` disabled` : ''}>${options.hint ? html` <span class="muted">${options.hint}</span>` : ''}</label>`;
}

/** Passwords are never sent back to the browser: the field is empty, and left empty it keeps the stored one. */
export function password(name: string, label: string, stored: boolean, options: FieldOptions = {}): SafeHtml {
  return html`<label>${label} <input type="password" name="${name}" value="" autocomplete="new-password"${stored ? html` placeholder="(stored; leave empty to keep)"` : ''}${options.disabled ? html` disabled` : ''}></label>`;
}

export function select(name: string, label: string, value: unknown, choices: readonly string[], options: FieldOptions & { blank?: string } = {}): SafeHtml {
  return html`<label>${label} <select name="${name}"${options.disabled ? html` disabled` : ''}>${options.blank !== undefined ? html`<option value="">${options.blank}</option>` : ''}${choices.map((choice) => html`<option value="${choice}"${choice === value ? html` selected` : ''}>${choice}</option>`)}</select>${options.hint ? html` <span class="muted">${options.hint}</span>` : ''}</label>`;
}

export function checkbox(name: string, label: string, checked: boolean, options: FieldOptions = {}): SafeHtml {
  return html`<label><input type="checkbox" name="${name}"${checked ? html` checked` : ''}${options.disabled ? html` disabled` : ''}> ${label}${options.hint ? html` <span class="muted">${options.hint}</span>` : ''}</label>`;
}

export function textarea(name: string, label: string, value: string, options: FieldOptions = {}): SafeHtml {
  return html`<label>${label}${options.hint ? html` <span class="muted">${options.hint}</span>` : ''}<textarea name="${name}"${options.disabled ? html` disabled` : ''}>${value}</textarea></label>`;
}

export function errorList(errors: readonly ErrorDetail[]): SafeHtml | '' {
  if (errors.length === 0) return '';
  return html`<div class="error" role="alert"><p>Not saved:</p><ul>${errors.map((error) => html`<li><code>${error.path}</code>: ${error.message}</li>`)}</ul></div>`;
}

/** Said above a form that was not saved: which typed secrets must be typed again (never echoed back). */
export function retypeNotice(fields: readonly string[]): SafeHtml | '' {
  if (fields.length === 0) return '';
  return html`<p class="error" role="alert">Not saved, so what you typed in ${fields.map((field, index) => html`${index > 0 ? ', ' : ''}<code>${field}</code>`)} was not kept: type it again before saving (a password is never sent back to the browser).</p>`;
}
