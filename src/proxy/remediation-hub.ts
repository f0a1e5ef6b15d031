// Retroactive remediation (#14), the proxy's side: remembers which released messages carried a part
// still under analysis, turns a blocking late verdict (this machine's, or one shared by another, #18)
// into a move or flag for each such IMAP message, and hands those to every open session of that
// account — or to the account's next session — which carries them out with its own commands
// (imap/server-actions.ts). POP3 mail cannot be taken back: its event says so.
import type { Logger } from 'pino';
import type { AnalysisConfig } from '../config/analysis-schema.js';
import type { SessionServerActions } from '../protocol/session-ports.js';
import type { EventLog } from '../store/events.js';
import type { RemediationStore } from '../store/remediations.js';
import type { AnalysisFollowUp, LateVerdict, ReleasedMessage } from '../types/analysis-follow-up.js';
import type { ServerAction, ServerActionOutcome } from '../types/server-action.js';

type Deliver = (actions: readonly ServerAction[]) => void;

const OUTCOME_ACTION: Record<ServerActionOutcome, string> = {
  done: 'moved-on-server',
  gone: 'already-gone-from-server',
  failed: 'server-action-failed',
  unsupported: 'server-action-unsupported',
};

export class RemediationHub implements AnalysisFollowUp {
  private readonly sessions = new Map<string, Set<Deliver>>();
  private readonly ports = new Map<string, SessionServerActions>();

  constructor(
    private readonly store: RemediationStore,
    private readonly events: EventLog,
    private readonly settings: () => Pick<AnalysisConfig, 'remediate' | 'quarantineFolder'>,
    private readonly log?: Logger,
  ) {}

  released(message: ReleasedMessage, sha256s: readonly string[]): void {
    try {
      this.store.recordReleased(message, sha256s);
    } catch (error) {
      // The message went out either way; only a later move of it becomes impossible.
      this.log?.error({ err: error, mailbox: message.mailbox, uid: message.uid }, 'a released message could not be remembered for remediation');
    }
  }

  lateVerdict(verdict: LateVerdict): void {
    if (!verdict.blocking) return;
    const { remediate, quarantineFolder } = this.settings();
    const queued = this.store.queueFor(verdict.sha256, verdict, remediate, quarantineFolder);
    const found = `${verdict.verdict}${verdict.name ? ` (${verdict.name})` : ''} from ${verdict.backend}`;
    for (const message of queued.untouchable) {
      const { protocol, ...origin } = message;
      const why = protocol === 'pop3' ? `POP3 cannot take a delivered message back (UIDL ${message.uidl ?? 'not listed by the client'})` : 'analysis.remediate is none, or the message cannot be named on the server';
      this.events.append({ ...origin, verdict: 'late-verdict', detections: [], actions: ['late-verdict-not-remediated'], bytes: 0, scanMs: 0, note: `${found}; ${why}` });
    }
    for (const { upstream, user, action, subject, messageId } of queued.imap) {
      this.events.append({ upstream, user, mailbox: action.mailbox, uidValidity: action.uidValidity, uid: action.uid, subject, messageId, verdict: 'late-verdict', detections: [], actions: [`${action.kind}-queued`], bytes: 0, scanMs: 0, note: `${found}; done in the next session of ${user}` });
      for (const deliver of this.sessions.get(key(upstream, user)) ?? []) deliver([action]);
    }
  }

  /** The port a session on `upstream` follows once its user has logged in. */
  forSession(upstream: string): SessionServerActions {
    let port = this.ports.get(upstream);
    if (port === undefined) {
      port = this.portFor(upstream);
      this.ports.set(upstream, port);
    }
    return port;
  }

  /** What the sessions on one upstream use (shared by them: it holds nothing of a session). */
  private portFor(upstream: string): SessionServerActions {
    return {
      follow: (user, deliver) => {
        const account = key(upstream, user);
        const followers = this.sessions.get(account) ?? new Set<Deliver>();
        followers.add(deliver);
        this.sessions.set(account, followers);
        const pending = this.store.pending(upstream, user);
        if (pending.length > 0) deliver(pending);
        return () => {
          followers.delete(deliver);
          if (followers.size === 0) this.sessions.delete(account);
        };
      },
      done: (action, outcome, detail) => this.done(upstream, action, outcome, detail),
    };
  }

  private done(upstream: string, action: ServerAction, outcome: ServerActionOutcome, detail: string): void {
    // Another session of the account may have done it first; only the first outcome counts.
    if (!this.store.finish(action.id, outcome, detail)) return;
    const about = this.store.describe(action.id);
    const level = outcome === 'done' || outcome === 'gone' ? 'info' : 'warn';
    this.log?.[level]({ upstream, mailbox: action.mailbox, uid: action.uid, outcome, detail }, 'retroactive remediation');
    const done = outcome === 'done' ? (action.kind === 'move' ? `moved-to:${action.folder}` : 'flagged-on-server') : OUTCOME_ACTION[outcome];
    this.events.append({
      upstream,
      user: about?.user,
      mailbox: action.mailbox,
      uidValidity: action.uidValidity,
      uid: action.uid,
      subject: about?.subject,
      messageId: about?.messageId,
      verdict: 'late-verdict',
      detections: [],
      actions: [done],
      bytes: 0,
      scanMs: 0,
      note: `${about?.verdict ?? 'blocking'}${about?.detection ? ` (${about.detection})` : ''}; the server said: ${detail}`,
    });
  }
}

function key(upstream: string, user: string): string {
  return `${upstream}\u0000${user}`;
}
