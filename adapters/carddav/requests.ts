// Request bodies only CardDAV needs; the rest (sync-collection, addressbook-multiget, PROPFIND)
// comes from the CalDAV adapter's requests.ts.

import { escapeXml, NS_CARDDAV, NS_DAV } from '../caldav/xml.js';

/**
 * Extended MKCOL (RFC 5689 §5.1) creating an address book: resourcetype collection + addressbook
 * (RFC 6352 §6.3.1) and a display name, in one request.
 */
export function mkcolAddressBookBody(displayName: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<d:mkcol xmlns:d="${NS_DAV}" xmlns:card="${NS_CARDDAV}"><d:set><d:prop>` +
    '<d:resourcetype><d:collection/><card:addressbook/></d:resourcetype>' +
    `<d:displayname>${escapeXml(displayName)}</d:displayname>` +
    '</d:prop></d:set></d:mkcol>'
  );
}
