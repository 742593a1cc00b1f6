/**
 * Subject rules for reply correlation: reply and forward prefixes in common languages, and the
 * tracking token the bridge puts into the subject of mail sent from the CRM (`[CRM:0100042]`).
 */

// Reply prefixes: Re (en, most), AW (de), SV (sv, da, no), VS (fi), Antw (nl), RV (es), R/RIF (it),
// ODP (pl), YNT (tr), Ynt, Vá (hu), ΑΠ/ΣΧΕΤ (el), 回复/答复 (zh), Отв (ru).
const replyPrefixes = ['re', 'aw', 'sv', 'vs', 'antw', 'antwort', 'rv', 'r', 'rif', 'odp', 'ynt', 'vá', 'απ', 'σχετ', 'отв', 'ha'];
// Forward prefixes: Fwd/Fw (en), WG (de), TR (fr), VB (sv), VL (fi), Doorst (nl), RV/ENC (es/pt), I (it), PD (pl), İLT (tr), ΠΡΘ (el), 转发 (zh).
const forwardPrefixes = ['fwd', 'fw', 'wg', 'tr', 'vb', 'vl', 'doorst', 'enc', 'i', 'pd', 'ilt', 'i̇lt', 'πρθ', 'fwd'];
const cjkReply = ['回复', '答复', '回覆'];
const cjkForward = ['转发', '轉寄'];

// `Re:`, `RE[2]:`, `Re^3:`, `Re(2):`, with ASCII or full-width colon.
const prefixPattern = /^\s*([\p{L}]{1,7})(?:\[\d+\]|\^\d+|\(\d+\))?\s*[:：]\s*/u;

function stripOnePrefix(subject: string): { rest: string; kind: 'reply' | 'forward' } | null {
  for (const word of cjkReply) if (subject.trimStart().startsWith(`${word}:`) || subject.trimStart().startsWith(`${word}：`)) return { rest: subject.trimStart().slice(word.length + 1), kind: 'reply' };
  for (const word of cjkForward) if (subject.trimStart().startsWith(`${word}:`) || subject.trimStart().startsWith(`${word}：`)) return { rest: subject.trimStart().slice(word.length + 1), kind: 'forward' };
  const match = prefixPattern.exec(subject);
  if (!match) return null;
  const word = match[1]!.toLowerCase();
  if (replyPrefixes.includes(word)) return { rest: subject.slice(match[0].length), kind: 'reply' };
  if (forwardPrefixes.includes(word)) return { rest: subject.slice(match[0].length), kind: 'forward' };
  return null;
}

/** The first prefix decides: `Fwd: Re: x` is a forward, `Re: Fwd: x` a reply. */
export function isForward(subject: string): boolean {
  return stripOnePrefix(subject.replace(/^\s*\[[^\]]*\]\s*/, ''))?.kind === 'forward';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tokenPattern(prefix: string): RegExp {
  return new RegExp(`\\[${escapeRegExp(prefix)}(\\d{7,})\\]`, 'u');
}

/** The tracking token in a subject (`[CRM:0100042]` -> `CRM:0100042`), or null. */
export function findToken(subject: string, prefix: string): string | null {
  const match = tokenPattern(prefix).exec(subject);
  return match ? `${prefix}${match[1]}` : null;
}

/** `CRM:` + two-digit user number + five-digit counter; both grow past their width when needed. */
export function formatToken(prefix: string, userNumber: number, counter: number): string {
  return `${prefix}${String(userNumber).padStart(2, '0')}${String(counter).padStart(5, '0')}`;
}

/** Subject without any reply/forward prefixes, mailing-list tags or tracking token, lower-cased and
 * with whitespace collapsed: two messages of one conversation have the same key. */
export function subjectKey(subject: string, tokenPrefix: string): string {
  let rest = subject.replace(new RegExp(tokenPattern(tokenPrefix).source, 'gu'), ' ');
  for (let i = 0; i < 20; i += 1) {
    rest = rest.replace(/^\s*\[[^\]]{1,40}\]\s*/, '');
    const stripped = stripOnePrefix(rest);
    if (!stripped) break;
    rest = stripped.rest;
  }
  return rest.replace(/\s+/g, ' ').trim().toLowerCase();
}
