/**
 * A scan of the raw MIME structure for what mailparser repairs without telling: multiparts without a
 * closing delimiter, header lines without a colon, undecodable charsets (RFC 2046 §5.1.1, RFC 5322 §2.2).
 */

import { charsetProblem } from './header-checks.js';
import { quote, type WarningList } from './parse-warnings.js';

/** A header block larger than this is not inspected further (mailparser rejects blocks over 1 MB anyway). */
const MAX_SCANNED_HEADER_BYTES = 1024 * 1024;
/** RFC 2046 §5.1.1: a boundary is at most 70 characters; a delimiter line adds `--`, `--` and transport padding. */
const MAX_DELIMITER_LINE = 200;

interface OpenMultipart {
  boundary: string;
  type: string;
}

/**
 * Walks the raw message once to find what mailparser tolerates without saying so: header lines
 * without a colon (dropped), text parts in charsets it cannot decode (read as UTF-8), multiparts
 * missing their boundary or their closing delimiter (truncated messages). Only header blocks and
 * short lines starting with `--` are turned into strings, so a large attachment costs one pass of
 * `indexOf` over its bytes and no copies.
 */
export function scanStructure(source: Buffer, warnings: WarningList): void {
  const open: OpenMultipart[] = [];
  let inHeader = true;
  let isTopLevel = true;
  let headerLines: string[] = [];
  let headerBytes = 0;

  const finishHeader = () => {
    inspectHeaderBlock(headerLines, isTopLevel, open, warnings);
    headerLines = [];
    headerBytes = 0;
    inHeader = false;
    isTopLevel = false;
  };

  let pos = 0;
  while (pos < source.length) {
    const newline = source.indexOf(0x0a, pos);
    const next = newline === -1 ? source.length : newline + 1;
    let end = newline === -1 ? source.length : newline;
    if (end > pos && source[end - 1] === 0x0d) end--;

    if (open.length > 0 && end - pos >= 2 && end - pos <= MAX_DELIMITER_LINE && source[pos] === 0x2d && source[pos + 1] === 0x2d) {
      const delimiter = matchDelimiter(source.toString('latin1', pos, end).replace(/[ \t]+$/, ''), open);
      if (delimiter !== null) {
        if (inHeader) finishHeader();
        for (const inner of open.slice(delimiter.index + 1)) warnings.add(unclosedWarning(inner));
        open.length = delimiter.index + (delimiter.closing ? 0 : 1);
        // After a delimiter comes a part's header block; after a close delimiter, an epilogue.
        inHeader = !delimiter.closing;
        pos = next;
        continue;
      }
    }

    if (inHeader) {
      if (end === pos) {
        finishHeader();
      } else if (headerBytes < MAX_SCANNED_HEADER_BYTES) {
        headerLines.push(source.toString('latin1', pos, end));
        headerBytes += end - pos;
      }
    }
    pos = next;
  }
  if (inHeader && headerLines.length > 0) finishHeader();
  for (const multipart of open) warnings.add(unclosedWarning(multipart));
}

/**
 * RFC 2046 §5.1.1: a line is a delimiter when it is exactly `--` boundary (or `--` boundary `--` for
 * the close delimiter) apart from trailing whitespace. The innermost open multipart is tried first,
 * but a delimiter of an outer one also ends the inner ones.
 */
function matchDelimiter(line: string, open: readonly OpenMultipart[]): { index: number; closing: boolean } | null {
  for (let index = open.length - 1; index >= 0; index--) {
    const boundary = open[index]?.boundary;
    if (boundary === undefined) continue;
    if (line === `--${boundary}`) return { index, closing: false };
    if (line === `--${boundary}--`) return { index, closing: true };
  }
  return null;
}

function unclosedWarning(multipart: OpenMultipart): string {
  return `${multipart.type} part with boundary ${quote(multipart.boundary)} has no closing delimiter (RFC 2046 §5.1.1); the message is probably truncated`;
}

/** Header field name: printable US-ASCII except colon (RFC 5322 §2.2, §3.6.8). */
const FIELD_LINE = /^([!-9;-~]+)[ \t]*:(.*)$/s;

function inspectHeaderBlock(lines: readonly string[], isTopLevel: boolean, open: OpenMultipart[], warnings: WarningList): void {
  const fields = new Map<string, string>();
  // The field a continuation line belongs to; null inside a repeated field, whose value is ignored
  // because, like mailparser, we let the first Content-Type/-Disposition count.
  let current: string | null = null;
  let inField = false;
  lines.forEach((line, index) => {
    if ((line.startsWith(' ') || line.startsWith('\t')) && inField) {
      if (current !== null) fields.set(current, `${fields.get(current) ?? ''} ${line.trim()}`);
      return;
    }
    const field = FIELD_LINE.exec(line);
    inField = field !== null;
    if (field !== null) {
      const name = (field[1] ?? '').toLowerCase();
      current = fields.has(name) ? null : name;
      if (current !== null) fields.set(name, (field[2] ?? '').trim());
      return;
    }
    current = null;
    // An mbox "From " separator line in front of the message is not a header (RFC 4155).
    if (isTopLevel && index === 0 && line.startsWith('From ')) return;
    const where = isTopLevel ? 'message header' : 'MIME part header';
    warnings.add(`${where} line without a colon ignored (RFC 5322 §2.2): ${quote(line.slice(0, 60))}`);
  });

  const contentType = parseContentType(fields.get('content-type'));
  if (contentType.type.startsWith('multipart/')) {
    const boundary = contentType.params.get('boundary');
    if (boundary === undefined || boundary === '') {
      warnings.add(`${contentType.type} without a boundary parameter (RFC 2046 §5.1.1); its parts cannot be found`);
    } else {
      open.push({ boundary, type: contentType.type });
    }
    return;
  }
  const disposition = parseContentType(fields.get('content-disposition')).type;
  if (!contentType.type.startsWith('text/') || disposition === 'attachment') return;
  const charset = contentType.params.get('charset');
  const problem = charset === undefined ? null : charsetProblem(charset);
  if (problem !== null) warnings.add(`${contentType.type} body: ${problem}`);
}

/**
 * A Content-Type or Content-Disposition value: `type/subtype` (default text/plain, RFC 2045 §5.2)
 * and its parameters, quoted strings unquoted and comments dropped (RFC 2045 §5.1 allows both; a
 * quoted boundary may itself contain parentheses). Enough for boundary and charset; RFC 2231
 * continuations are not needed for either in practice.
 */
function parseContentType(value: string | undefined): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  if (value === undefined) return { type: 'text/plain', params };
  const parts: string[] = [];
  let part = '';
  let quoted = false;
  let commentDepth = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if ((quoted || commentDepth > 0) && ch === '\\') {
      if (quoted) part += value[i + 1] ?? '';
      i++;
    } else if (commentDepth > 0) {
      if (ch === '(') commentDepth++;
      else if (ch === ')') commentDepth--;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (quoted) {
      part += ch;
    } else if (ch === '(') {
      commentDepth = 1;
    } else if (ch === ';') {
      parts.push(part);
      part = '';
    } else {
      part += ch;
    }
  }
  parts.push(part);
  const [type = '', ...rest] = parts;
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq === -1) continue;
    params.set(param.slice(0, eq).trim().toLowerCase(), param.slice(eq + 1).trim());
  }
  return { type: type.trim().toLowerCase() || 'text/plain', params };
}
