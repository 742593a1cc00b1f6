// Starts every real server the integration tests (and bench scripts) talk to, on free
// loopback ports with fresh temp dirs, and stops them again. No vitest imports here, so
// this works from any Node/tsx script:
//
//   import { withTestServers } from '../test/servers/index.js';
//   await withTestServers(async (servers) => { ... servers.dovecot.imapPort ... });

import { startDovecot, type DovecotServer } from './dovecot.js';
import { startCourier, type CourierServer } from './courier.js';
import { startCyrus, type CyrusServer } from './cyrus.js';
import { startRadicale, type RadicaleServer } from './radicale.js';
import { startSabre, type SabreServer } from './sabre.js';
import { startSmtp, type SmtpServerHandle } from './smtp.js';
import type { TestServers } from './types.js';
import { startXandikos, type XandikosServer } from './xandikos.js';

export type {
  Credentials,
  CourierInfo,
  CyrusInfo,
  DovecotInfo,
  RadicaleInfo,
  SabreInfo,
  SmtpInfo,
  TestServers,
  XandikosInfo,
} from './types.js';
export { startDovecot, type DovecotServer } from './dovecot.js';
export { addCourierUser, createCourierUser, startCourier, type CourierServer } from './courier.js';
export { addCyrusUser, createCyrusUser, startCyrus, type CyrusServer } from './cyrus.js';
export { startRadicale, type RadicaleServer } from './radicale.js';
export { addSabreUser, createSabreUser, startSabre, type SabreServer } from './sabre.js';
export { startSmtp, type SmtpServerHandle } from './smtp.js';
export { startXandikos, type XandikosServer } from './xandikos.js';
export * from './users.js';

export interface RunningTestServers {
  /** Plain JSON: safe to pass to vitest workers (provide/inject) or write to a file. */
  info: TestServers;
  dovecot: DovecotServer;
  smtp: SmtpServerHandle;
  radicale: RadicaleServer;
  xandikos: XandikosServer;
  sabre: SabreServer;
  cyrus: CyrusServer;
  courier: CourierServer;
  /** Stops everything (process groups killed, temp dirs removed). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Start Dovecot (IMAP + LMTP), then the SMTP server that delivers into it; Radicale, Xandikos
 * sabre/dav, Cyrus and Courier start concurrently with Dovecot. If anything fails, whatever did start is
 * stopped again and the error (with the failing server's log) is thrown.
 */
export async function startTestServers(): Promise<RunningTestServers> {
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    const list = stoppers.splice(0).reverse();
    const results = await Promise.allSettled(list.map((s) => s()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      throw new AggregateError(failed.map((f): unknown => f.reason), 'stopping the test servers failed');
    }
  };
  const track = <T extends { stop(): Promise<void> }>(p: Promise<T>): Promise<T> =>
    p.then((s) => {
      stoppers.push(() => s.stop());
      return s;
    });

  const dovecotAndSmtp = track(startDovecot()).then(async (dovecot) => {
    const smtp = await track(startSmtp({ dovecot: dovecot.info }));
    return { dovecot, smtp };
  });
  const [mail, radicale, xandikos, sabre, cyrus, courier] = await Promise.allSettled([
    dovecotAndSmtp,
    track(startRadicale()),
    track(startXandikos()),
    track(startSabre()),
    track(startCyrus()),
    track(startCourier()),
  ]);
  if (mail.status === 'rejected' || radicale.status === 'rejected' || xandikos.status === 'rejected' || sabre.status === 'rejected' || cyrus.status === 'rejected' || courier.status === 'rejected') {
    await stopAll().catch(() => undefined);
    const errors = [mail, radicale, xandikos, sabre, cyrus, courier]
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => (r.reason instanceof Error ? r.reason.message : String(r.reason)));
    throw new Error(`starting the test servers failed:\n\n${errors.join('\n\n')}`);
  }

  const info: TestServers = {
    dovecot: mail.value.dovecot.info,
    smtp: mail.value.smtp.info,
    radicale: radicale.value.info,
    xandikos: xandikos.value.info,
    sabre: sabre.value.info,
    cyrus: cyrus.value.info,
    courier: courier.value.info,
  };
  return {
    info,
    dovecot: mail.value.dovecot,
    smtp: mail.value.smtp,
    radicale: radicale.value,
    xandikos: xandikos.value,
    sabre: sabre.value,
    cyrus: cyrus.value,
    courier: courier.value,
    stop: stopAll,
  };
}

/** Start all servers, run `fn`, always stop them. */
export async function withTestServers<T>(fn: (servers: TestServers) => Promise<T>): Promise<T> {
  const running = await startTestServers();
  try {
    return await fn(running.info);
  } finally {
    await running.stop();
  }
}
