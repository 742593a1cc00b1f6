// The log formats (issue 16, readable logs): JSON lines with level names for collectors, pino-pretty
// lines for people (the default on a terminal), secrets redacted in both, and expected failures
// (a refused login, an unreachable server) logged as code and reason without a stack trace.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/domain/errors.js';
import { errorLogFields } from '../../../src/domain/log-fields.js';
import { createLogger, defaultLogFormat } from '../../../src/logging.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('logging', () => {
  it('writes JSON lines with the level as a name and secrets redacted', () => {
    const out = capture();
    const log = createLogger('info', { format: 'json', destination: out.stream });
    log.warn({ source: 'imap:alice', imap: { password: 'pw-1' }, auth: { clientSecret: 'cs-2' } }, 'login rejected');
    log.debug('not at this level');
    const lines = out.text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'login rejected', source: 'imap:alice', service: 'crm-bridge', imap: { password: '[redacted]' }, auth: { clientSecret: '[redacted]' } });
    expect(out.text()).not.toMatch(/pw-1|cs-2/);
  });

  it('writes one readable line per entry with pino-pretty, secrets redacted there too', () => {
    const out = capture();
    const log = createLogger('info', { format: 'pretty', destination: out.stream });
    log.info({ source: 'imap:alice', password: 'pw-3' }, 'source synced');
    const text = out.text();
    expect(text).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: source synced\n/);
    expect(text).toContain('source: "imap:alice"');
    expect(text).not.toContain('pw-3');
    expect(text).not.toContain('"level"');
  });

  it('defaults to pretty on a terminal and JSON anywhere else', () => {
    expect(defaultLogFormat({ isTTY: true })).toBe('pretty');
    expect(defaultLogFormat({ isTTY: false })).toBe('json');
    expect(defaultLogFormat({})).toBe('json');
  });

  it('logs an expected failure as code and reason, and an unexpected one with its stack', () => {
    expect(errorLogFields(new BridgeError('AUTH', 'IMAP login to h:993 as alice rejected'))).toEqual({ code: 'AUTH', reason: 'IMAP login to h:993 as alice rejected' });
    expect(errorLogFields(new BridgeError('TEMPORARY', 'unreachable'))).toEqual({ code: 'TEMPORARY', reason: 'unreachable' });
    const bug = new TypeError('x is undefined');
    expect(errorLogFields(bug)).toEqual({ err: bug });
    const internal = new BridgeError('INTERNAL', 'failed unexpectedly');
    expect(errorLogFields(internal)).toEqual({ err: internal });
  });
});
