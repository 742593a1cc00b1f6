// AddressBookConnector over the CalDAV adapter's HTTP and discovery code: the same server
// speaks both protocols (RFC 6352 §7.1.1 addressbook-home-set is found by the same PROPFIND).

import type { AddressBookAccount, AddressBookConnector, AddressBookSession } from '../../src/ports/address-book.js';
import type { DavServerSettings } from '../../src/ports/dav.js';
import { discover } from '../caldav/discovery.js';
import { davHttpFor, type DavHttp } from '../caldav/http.js';
import { CalDavSession, type CalDavSessionOptions } from '../caldav/session.js';
import { CardDavSession } from './session.js';

export class CardDavConnector implements AddressBookConnector {
  private readonly options: CalDavSessionOptions;

  /** Address books are often large and their items small: 500 hrefs per addressbook-multiget by default. */
  constructor(options: CalDavSessionOptions = {}) {
    this.options = { multigetBatchSize: 500, ...options };
  }

  async connect(settings: DavServerSettings, abort?: AbortSignal): Promise<AddressBookSession> {
    const http = this.http(settings, abort);
    const account = await discover(http, settings.url);
    return new CardDavSession(http, new CalDavSession(http, account, this.options));
  }

  resume(settings: DavServerSettings, account: AddressBookAccount, abort?: AbortSignal): AddressBookSession {
    const http = this.http(settings, abort);
    return new CardDavSession(http, new CalDavSession(http, { principalUrl: account.principalUrl, calendarHomeUrl: null, addressbookHomeUrl: account.addressbookHomeUrl }, this.options));
  }

  private http(settings: DavServerSettings, abort: AbortSignal | undefined): DavHttp {
    return davHttpFor(settings, abort);
  }
}
