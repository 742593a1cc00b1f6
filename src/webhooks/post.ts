import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup, literalTargetRefusal, RefusedTarget, type TargetPolicy } from './target-policy.js';

/**
 * One webhook POST over node:http(s), answering the HTTP status. Not fetch: the target policy
 * must judge the very address the socket connects to, which only a `lookup` of our own gives
 * (fetch resolves the name itself). Redirects are not followed (a 3xx is a failed delivery).
 */
export function postWebhook(url: string, headers: Record<string, string>, body: string, options: { timeoutMs: number; policy: TargetPolicy }): Promise<number> {
  const target = new URL(url);
  // An IP literal is connected to without a lookup: judge it here.
  const literal = literalTargetRefusal(options.policy, url);
  if (literal) return Promise.reject(new RefusedTarget(literal));
  const port = target.port || (target.protocol === 'https:' ? 443 : 80);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(options.policy, port),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    req.on('response', (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on('error', reject);
    req.end(body);
  });
}
