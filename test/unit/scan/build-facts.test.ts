import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateLevel, parseRules } from '../../../src/rules/index.js';
import { readEnvelope } from '../../../src/mime/envelope.js';
import { attachmentFacts, filteringFacts, resultFacts } from '../../../src/scan/build-facts.js';
import type { MessageInspection, PartReport } from '../../../src/scan/message-inspection.js';

const CRLF = '\r\n';
const connection = { upstreamHost: 'imap.example.org', upstreamIp: '192.0.2.1', listener: 'main', user: 'me@example.org', application: 'Thunderbird' };

describe('fact builders', () => {
  it('filteringFacts from a real envelope', async () => {
    const message = Buffer.from(
      ['From: "Alice" <Alice@Example.ORG>', 'Sender: Bulk Mailer <bulk@lists.example.net>', 'To: bob@example.com, Team: carol@example.com;', 'Cc: dave@other.test', 'Subject: =?UTF-8?Q?Rechnung_f=C3=BCr_Mai?=', 'X-Mailer: Outlook', '', 'body'].join(CRLF),
    );
    const facts = filteringFacts(await readEnvelope(message), message.length, false, connection);
    assert.deepEqual(facts.from, ['alice@example.org']);
    assert.equal(facts.sender, 'bulk@lists.example.net');
    assert.deepEqual(facts.to, ['bob@example.com', 'carol@example.com']);
    assert.equal(facts.subject, 'Rechnung für Mai');
    assert.equal(facts.listener, 'main');
    const [rule] = parseRules(
      [{ id: 'r-f', name: 'German invoices', level: 'filtering', conditions: [{ field: 'subject', op: 'contains', value: 'FÜR' }, { field: 'header', name: 'X-Mailer', op: 'is', value: 'outlook' }], actions: ['skip-scan'] }],
      'rules',
    );
    assert.equal(evaluateLevel([rule], 'filtering', facts).applied.length, 1);
  });

  it('attachmentFacts from a part report', () => {
    const part: PartReport = {
      path: '2',
      fileName: 'secret.zip',
      declaredType: 'Application/ZIP',
      facts: { detectedType: 'zip' },
      findings: [{ engine: 'archive', name: 'Archive.Encrypted', kind: 'encrypted', location: ['secret.zip', 'a.docm'] }],
      errors: [],
      verdict: 'encrypted',
      size: 1234,
      scanned: true,
      rules: { applied: [], trace: [] },
    };
    assert.deepEqual(attachmentFacts(part), {
      fileName: 'secret.zip',
      declaredType: 'application/zip',
      detectedType: 'zip',
      size: 1234,
      insideArchive: false,
      encrypted: true,
      hasMacros: false,
      doubleExtension: false,
      bidiName: false,
      partVerdict: 'encrypted',
      detections: ['Archive.Encrypted'],
    });
  });

  it('attachmentFacts computes name heuristics itself and handles a nameless part', () => {
    const base: PartReport = { path: '1', declaredType: 'text/plain', findings: [], errors: [], verdict: 'clean', size: 10, scanned: true, rules: { applied: [], trace: [] } };
    const nameless = attachmentFacts(base);
    assert.equal(nameless.fileName, undefined);
    assert.equal(nameless.detectedType, undefined);
    assert.equal(nameless.doubleExtension, false);
    const disguised = attachmentFacts({ ...base, fileName: 'invoice.pdf.exe', facts: { detectedType: 'ole', hasMacros: true } });
    assert.equal(disguised.doubleExtension, true);
    assert.equal(disguised.hasMacros, true);
    assert.equal(attachmentFacts({ ...base, fileName: 'photo_\u202Egpj.exe' }).bidiName, true);
  });

  it('attachmentFacts of a part kept from the engines has no verdict', () => {
    const facts = attachmentFacts({ declaredType: 'text/plain', findings: [], verdict: 'clean', size: 3, scanned: false });
    assert.equal(facts.partVerdict, undefined);
  });

  it('resultFacts collects detections and engines once each', () => {
    const inspection: MessageInspection = {
      verdict: 'infected',
      parts: [],
      findings: [
        { engine: 'builtin', name: 'Eicar-Test-Signature', kind: 'signature', location: ['a'] },
        { engine: 'clamd', name: 'Eicar-Test-Signature', kind: 'signature', location: ['a'] },
        { engine: 'builtin', name: 'Heuristic.DoubleExtension', kind: 'heuristic', location: ['b'] },
      ],
      errors: [],
    };
    assert.deepEqual(resultFacts(inspection), { verdict: 'infected', detections: ['Eicar-Test-Signature', 'Heuristic.DoubleExtension'], engines: ['builtin', 'clamd'] });
  });
});
