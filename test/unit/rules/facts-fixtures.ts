import type { AttachmentFacts, FilteringFacts, ResultFacts } from '../../../src/rules/index.js';
import { parseRules, type Rule } from '../../../src/rules/index.js';

export function filtering(overrides: Partial<FilteringFacts> = {}): FilteringFacts {
  return {
    from: ['alice@example.org'],
    sender: 'bulk@lists.example.net',
    to: ['bob@example.com', 'carol@example.com'],
    cc: ['dave@other.test'],
    subject: 'Quarterly Invoice 2026',
    headers: [
      { name: 'x-mailer', value: 'Outlook 16' },
      { name: 'received', value: 'from a' },
      { name: 'received', value: 'from b' },
    ],
    size: 2 * 1024 * 1024,
    hasAttachments: true,
    upstreamHost: 'imap.example.org',
    upstreamIp: '192.0.2.10',
    listener: 'work-imap',
    user: 'bob@example.com',
    application: 'Thunderbird',
    ...overrides,
  };
}

export function attachment(overrides: Partial<AttachmentFacts> = {}): AttachmentFacts {
  return {
    fileName: 'Report.PDF',
    declaredType: 'application/pdf',
    detectedType: 'pdf',
    size: 50_000,
    insideArchive: false,
    encrypted: false,
    hasMacros: false,
    doubleExtension: false,
    bidiName: false,
    partVerdict: 'clean',
    detections: [],
    ...overrides,
  };
}

export function result(overrides: Partial<ResultFacts> = {}): ResultFacts {
  return { verdict: 'clean', detections: [], engines: [], ...overrides };
}

let counter = 0;

/** One rule from its YAML shape, with an id and a name filled in when missing. */
export function rule(raw: Record<string, unknown>): Rule {
  counter += 1;
  return parseRules([{ id: `r-test-${counter}`, name: `test ${counter}`, enabled: true, actions: ['log'], ...raw }], 'rules')[0];
}
