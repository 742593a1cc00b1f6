import type { Request } from 'express';

/** The value of one cookie of the request (RFC 6265 §5.4 Cookie header), percent-decoded. */
export function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}
