// Turns what the envelope reader and the scanner produce into the facts rules see.
import type { MessageEnvelope } from '../mime/envelope.js';
import type { AttachmentFacts, FilteringFacts, ResultFacts } from '../rules/index.js';
import { BIDI_FILE_NAME, hasBidiControls } from './engines/builtin/heuristics/bidi-file-name.js';
import { DOUBLE_EXTENSION, hasDoubleExtension } from './engines/builtin/heuristics/double-extension.js';
import type { MessageInspection, PartReport } from './message-inspection.js';

export interface ConnectionFacts {
  upstreamHost: string;
  upstreamIp?: string;
  listener: string;
  user?: string;
  application?: string;
}

export function filteringFacts(envelope: MessageEnvelope, size: number, hasAttachments: boolean, connection: ConnectionFacts): FilteringFacts {
  const senderHeader = envelope.headers.find((header) => header.name === 'sender');
  const facts: FilteringFacts = {
    from: envelope.from,
    to: envelope.to,
    cc: envelope.cc,
    headers: envelope.headers,
    size,
    hasAttachments,
    ...connection,
  };
  if (senderHeader) facts.sender = addressOf(senderHeader.value);
  if (envelope.subject !== undefined) facts.subject = envelope.subject;
  return facts;
}

export function attachmentFacts(part: Pick<PartReport, 'fileName' | 'declaredType' | 'size' | 'facts' | 'findings' | 'verdict' | 'scanned'>): AttachmentFacts {
  const names = part.findings.map((finding) => finding.name);
  const fileName = part.fileName ?? '';
  const facts: AttachmentFacts = {
    declaredType: part.declaredType.toLowerCase(),
    size: part.size,
    insideArchive: false,
    encrypted: part.findings.some((finding) => finding.kind === 'encrypted'),
    hasMacros: part.facts?.hasMacros === true,
    // Computed from the name too, so the rule works when only clamd scans.
    doubleExtension: names.includes(DOUBLE_EXTENSION) || hasDoubleExtension(fileName),
    bidiName: names.includes(BIDI_FILE_NAME) || hasBidiControls(fileName),
    detections: names,
  };
  if (part.scanned !== false) facts.partVerdict = part.verdict;
  if (part.fileName !== undefined) facts.fileName = part.fileName;
  if (part.facts) facts.detectedType = part.facts.detectedType;
  return facts;
}

export function resultFacts(inspection: MessageInspection): ResultFacts {
  return {
    verdict: inspection.verdict,
    detections: [...new Set(inspection.findings.map((finding) => finding.name))],
    engines: [...new Set(inspection.findings.map((finding) => finding.engine))],
  };
}

function addressOf(headerValue: string): string {
  const bracketed = /<([^<>]*)>/.exec(headerValue);
  return (bracketed ? bracketed[1] : headerValue).trim().toLowerCase();
}
