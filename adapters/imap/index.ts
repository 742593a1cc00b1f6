// IMAP adapter (issue 3): implements the mail ports of src/ports/mail.ts with imapflow.
export { ImapConnector } from './connector.js';
export { ImapSession } from './session.js';
export { ImapWatcherFactory, type ImapWatcherOptions } from './watcher.js';
export { toBridgeError } from './parse-imap-error.js';
