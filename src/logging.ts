import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * JSON logs with pino. Secrets never reach the log: every key that commonly holds one is redacted
 * wherever it appears (two levels deep), and config objects are never logged whole.
 */
const secretKeys = ['password', 'pass', 'secret', 'secretKey', 'token', 'tokens', 'authorization', 'cookie', 'apiKey', 'accessToken'];

export const redactPaths = [
  ...secretKeys,
  ...secretKeys.map((key) => `*.${key}`),
  ...secretKeys.map((key) => `*.*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'crm-bridge' }, redact: { paths: redactPaths, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}
