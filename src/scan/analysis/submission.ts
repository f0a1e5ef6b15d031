// The submission policy of stage 2 (analysis.submit): which decoded parts a deeper backend is asked
// about. Pure: the scan worker applies it to each part after stage 1 and the verdict-store lookup.
import type { AnalysisConfig, SubmitType } from '../../config/analysis-schema.js';
import type { AnalysisVerdict } from '../../types/analysis-verdict.js';
import type { DetectedType, Verdict } from '../../types/verdict.js';
import type { FileFacts } from '../types.js';

const TYPE_OF: Partial<Record<DetectedType, SubmitType>> = {
  zip: 'archive',
  gzip: 'archive',
  tar: 'archive',
  rar: 'archive',
  '7z': 'archive',
  pe: 'executable',
  elf: 'executable',
  macho: 'executable',
  lnk: 'executable',
  'script-js': 'script',
  'script-vbs': 'script',
  'script-powershell': 'script',
  'script-batch': 'script',
  hta: 'script',
  iso: 'disk-image',
};

/** The submit type of a part from its true file type (builtin file-type facts); undefined: none. */
export function submitTypeOf(facts: FileFacts | undefined): SubmitType | undefined {
  if (!facts) return undefined;
  if ((facts.detectedType === 'ole' || facts.detectedType === 'ooxml') && facts.hasMacros) return 'office-macro';
  if (facts.detectedType === 'pdf' && facts.pdfActive) return 'pdf-javascript';
  return TYPE_OF[facts.detectedType];
}

/** What stage 1 and the verdict store say about a part, as far as submission cares. */
export interface PartStanding {
  size: number;
  facts?: FileFacts;
  /** Stage 1's verdict of the part. */
  stageOneVerdict: Verdict;
  /** A stored verdict that still counts (an expired clean one does not). */
  storedVerdict?: AnalysisVerdict;
}

/** Why a part goes to stage 2 ('type:NAME' or 'suspicious'), or undefined when it does not. */
export function submissionReason(part: PartStanding, submit: AnalysisConfig['submit']): string | undefined {
  if (part.storedVerdict !== undefined) return undefined;
  // Stage 1 blocked it already (or could not look at it): a deeper look changes nothing.
  if (part.stageOneVerdict !== 'clean' && part.stageOneVerdict !== 'suspicious') return undefined;
  if (part.size < submit.minBytes || part.size > submit.maxBytes) return undefined;
  if (part.stageOneVerdict === 'suspicious' && submit.suspicious) return 'suspicious';
  const type = submitTypeOf(part.facts);
  return type !== undefined && submit.types.includes(type) ? `type:${type}` : undefined;
}

/** Whether a stage-2 verdict blocks under analysis.block. */
export function isBlocking(verdict: AnalysisVerdict, block: AnalysisConfig['block']): boolean {
  return verdict === 'malicious' || (verdict === 'suspicious' && block === 'suspicious');
}
