import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

/**
 * Logs with pino: JSON lines for a log collector, or pino-pretty's one readable line per entry for
 * people (`logging.format`; default pretty on a terminal, JSON otherwise). Levels are names
 * (`"level":"warn"`), not pino's numbers. Secrets never reach the log: every key that commonly
 * holds one is redacted wherever it appears (two levels deep), and config objects are never
 * logged whole.
 */
const secretKeys = ['password', 'pass', 'secret', 'secretKey', 'clientSecret', 'token', 'tokens', 'authorization', 'cookie', 'apiKey', 'accessToken', 'refreshToken'];

export const redactPaths = [
  ...secretKeys,
  ...secretKeys.map((key) => `*.${key}`),
  ...secretKeys.map((key) => `*.*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
];

export const logFormats = ['json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];

/** The format when the configuration names none: pretty for a person at a terminal, JSON for everything else. */
export function defaultLogFormat(stream: { isTTY?: boolean } = process.stdout): LogFormat {
  return stream.isTTY === true ? 'pretty' : 'json';
}

export function createLogger(level: string, options: { format?: LogFormat | undefined; destination?: DestinationStream } = {}): Logger {
  const format = options.format ?? defaultLogFormat();
  const settings = {
    level,
    base: { service: 'crm-bridge' },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (format === 'json') return options.destination ? pino(settings, options.destination) : pino(settings);
  // In-process (no worker thread): a line is written before the process may exit on a fatal error.
  const stream = pretty({
    destination: options.destination ?? 1,
    colorize: options.destination === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    sync: true,
  });
  return pino(settings, stream);
}
