// CalDAV/CardDAV adapter: implements the DAV ports of src/ports/dav.ts over plain fetch
// (discovery, sync-collection + multiget, conditional writes, free-busy).
export { CalDavConnector } from './connector.js';
export { CalDavScheduleOutbox } from './schedule-outbox.js';
export { CalDavSession, type CalDavSessionOptions } from './session.js';
export { discover, type DiscoveredAccount } from './discovery.js';
export { statusError, fetchError } from './parse-dav-error.js';
