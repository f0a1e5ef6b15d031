// What happens after stage 2 lets go of a message (#14): the pipeline reports releases and late
// verdicts here; the proxy turns them into remembered messages and retroactive remediation (and,
// with analysis.share, into verdicts published to other machines, #18).
import type { MessageOrigin } from './message-origin.js';
import type { AnalysisVerdict } from './analysis-verdict.js';

export interface ReleasedMessage extends MessageOrigin {
  protocol: 'imap' | 'pop3';
}

export interface LateVerdict {
  sha256: string;
  verdict: AnalysisVerdict;
  name?: string;
  /** `analysis:NAME`, `manual`, or where a shared verdict came from. */
  backend: string;
  /** True when analysis.block says this verdict blocks. */
  blocking: boolean;
}

export interface AnalysisFollowUp {
  /** A message went out (maximum wait, or `holds release`) while these decoded parts were still being analysed. */
  released(message: ReleasedMessage, sha256s: readonly string[]): void;
  /** A verdict landed for a part after its message had been released; already stored in the verdict store. */
  lateVerdict(verdict: LateVerdict): void;
}
