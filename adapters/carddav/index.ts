// CardDAV adapter: address books over the CalDAV adapter's fetch-based DAV code (discovery,
// sync-collection + addressbook-multiget, conditional writes) plus extended MKCOL.
export { CardDavConnector } from './connector.js';
export { CardDavSession } from './session.js';
