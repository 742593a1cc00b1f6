// The attachments of a message as BODYSTRUCTURE describes them (RFC 3501 §7.4.2), so a message
// too large to fetch can still list what it carried without downloading a byte of it.

import type { MessageStructureObject } from 'imapflow';
import type { OversizedPart } from '../../src/ports/mail.js';

/** RFC 2183 filename, else the RFC 2045 `name` parameter of Content-Type; imapflow decodes RFC 2231. */
function filenameOf(node: MessageStructureObject): string | null {
  const name = node.dispositionParameters?.filename ?? node.parameters?.name;
  return typeof name === 'string' && name.trim() !== '' ? name.trim() : null;
}

/**
 * Leaf parts that are attachments: those with `Content-Disposition: attachment`, a filename, or a
 * type other than text (a body is a text part, or several in multipart/alternative). A nested
 * message/rfc822 is one attachment; its own parts are not listed.
 */
export function attachmentsOf(root: MessageStructureObject | undefined): OversizedPart[] {
  const parts: OversizedPart[] = [];
  const visit = (node: MessageStructureObject): void => {
    const type = (node.type ?? 'application/octet-stream').toLowerCase();
    if (type.startsWith('multipart/') && node.childNodes) {
      for (const child of node.childNodes) visit(child);
      return;
    }
    const filename = filenameOf(node);
    const isAttachment = node.disposition?.toLowerCase() === 'attachment' || filename !== null || !type.startsWith('text/');
    if (!isAttachment) return;
    parts.push({ filename, contentType: type, encodedSize: node.size ?? 0, encoding: (node.encoding ?? '7bit').toLowerCase() });
  };
  if (root) visit(root);
  return parts;
}
