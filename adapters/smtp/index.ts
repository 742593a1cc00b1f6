// SMTP adapter (issue 4): implements the MailSender port of src/ports/sending.ts with nodemailer.
export { SmtpSender, transportOptions, timeoutOf, DEFAULT_TIMEOUT_MS } from './sender.js';
export { toBridgeError, enhancedStatus, serverAddress, type SmtpErrorContext } from './parse-smtp-error.js';
