import { z } from 'zod';
import { discover, DISCOVERABLE_ADDRESS } from '../../discovery/discover.js';
import { BridgeError } from '../../domain/errors.js';
import type { ApiContext } from '../context.js';
import { defineRoute } from '../route.js';

const mailServer = { type: ['object', 'null'], properties: { host: { type: 'string' }, port: { type: 'integer' }, security: { type: 'string', enum: ['none', 'starttls', 'tls'] }, username: { type: 'string' }, source: { type: 'string' } } };
const davServer = { type: ['object', 'null'], properties: { url: { type: 'string' }, username: { type: 'string' }, source: { type: 'string' } } };

/**
 * Proposed connection settings for an address (src/discovery/discover.ts): what its domain
 * publishes in DNS SRV records (RFC 6186, RFC 8314, RFC 6764), Mozilla autoconfig documents and
 * the well-known CalDAV/CardDAV URIs. Nothing is stored; the admin UI fills its user form with it.
 */
export const discoverRoutes = (ctx: ApiContext) => [
  defineRoute({
    method: 'post',
    path: '/discover',
    tag: 'users',
    summary: 'Propose IMAP, SMTP, CalDAV and CardDAV settings for an e-mail address from DNS SRV records, autoconfig documents and well-known URIs',
    body: z.object({ email: z.string().trim().max(320).regex(DISCOVERABLE_ADDRESS, 'expected an e-mail address such as alice@example.com') }).strict(),
    response: {
      description: 'the proposals (null where nothing was found) and every lookup made',
      schema: { type: 'object', properties: { email: { type: 'string' }, imap: mailServer, smtp: mailServer, caldav: davServer, carddav: davServer, tried: { type: 'array', items: { type: 'string' } } } },
    },
    errors: [503],
    handler: async ({ body }) => {
      if (!ctx.discovery) throw new BridgeError('TEMPORARY', 'autodiscovery is not available in this process');
      return discover(body.email, ctx.discovery, ctx.config.discovery.autoconfigUrls);
    },
  }),
];
