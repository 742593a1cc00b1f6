import type { Config } from '../config/schema.js';
import type { FolderState, MailboxConnector, MailboxSession, MailServerSettings, MessageSummary } from '../ports/mail.js';
import { mailboxSpecOf } from '../sync/mail/mail-runner.js';
import type { SourceStates } from '../sync/source-states.js';
import { sourcesOf } from '../sync/sources.js';

const serverKey = (settings: Pick<MailServerSettings, 'host' | 'port' | 'username'>) => `${settings.host.toLowerCase()}:${settings.port}:${settings.username.toLowerCase()}`;

/**
 * Reports how far a mailbox pass has come to the status registry, for the admin UI's progress bar
 * during a first import: messages looked at (UID-ranged summaries) out of the messages in the
 * folders opened so far (SELECT's EXISTS). It only observes the session the sync uses.
 */
export class ProgressConnector implements MailboxConnector {
  private readonly sourceByServer = new Map<string, string>();

  constructor(
    private readonly inner: MailboxConnector,
    private readonly states: SourceStates,
    config: Config,
  ) {
    for (const source of sourcesOf(config)) {
      if (source.kind === 'imap' || source.kind === 'shared-mailbox') this.sourceByServer.set(serverKey(mailboxSpecOf(config, source).server), source.id);
    }
  }

  async connect(settings: MailServerSettings, abort?: AbortSignal): Promise<MailboxSession> {
    const session = await this.inner.connect(settings, abort);
    const sourceId = this.sourceByServer.get(serverKey(settings));
    return sourceId === undefined ? session : observe(session, (done, total) => this.states.progress(sourceId, done, total));
  }
}

function observe(session: MailboxSession, report: (done: number, total: number) => void): MailboxSession {
  const totals = new Map<string, number>();
  let done = 0;
  const sum = () => [...totals.values()].reduce((a, b) => a + b, 0);
  const openFolder = async (path: string): Promise<FolderState> => {
    const state = await session.openFolder(path);
    totals.set(path, state.messages);
    report(Math.min(done, sum()), sum());
    return state;
  };
  const summaries = async (path: string, from: number, to: number): Promise<MessageSummary[]> => {
    const found = await session.summaries(path, from, to);
    done += found.length;
    report(Math.min(done, sum()), sum());
    return found;
  };
  // Every other member is the session's own, bound to it (private fields keep working).
  return new Proxy(session, {
    get(target, property) {
      if (property === 'openFolder') return openFolder;
      if (property === 'summaries') return summaries;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
