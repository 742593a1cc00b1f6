// DavConnector over plain fetch: discovery (RFC 6764, RFC 5397, RFC 4791 §6.2.1, RFC 6352 §7.1.1)
// with HTTP Basic auth, then a session bound to the discovered principal and homes.
//
// tsdav is not used for the requests: its davRequest drops the body of non-2xx answers into an
// untyped `raw`, its XML layer strips namespaces and converts numeric-looking sync-tokens, ctags
// and ETag-less text to numbers, and its helpers do not throw on 412 (DESIGN.md principle 8).

import type { DavConnector, DavServerSettings, DavSession } from '../../src/ports/dav.js';
import { discover } from './discovery.js';
import { davHttpFor } from './http.js';
import { CalDavSession } from './session.js';

export class CalDavConnector implements DavConnector {
  async connect(settings: DavServerSettings, abort?: AbortSignal): Promise<DavSession> {
    const http = davHttpFor(settings, abort);
    const account = await discover(http, settings.url);
    return new CalDavSession(http, account);
  }
}
