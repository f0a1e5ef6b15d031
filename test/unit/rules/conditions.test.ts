import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateLevel, type Level } from '../../../src/rules/index.js';
import type { FactsByLevel } from '../../../src/rules/index.js';
import { attachment, filtering, result, rule } from './facts-fixtures.js';

function holds<L extends Level>(level: L, facts: FactsByLevel[L], condition: Record<string, unknown>): boolean {
  const outcome = evaluateLevel([rule({ level, conditions: [condition] })], level, facts);
  return outcome.applied.length === 1;
}

const f = (condition: Record<string, unknown>, facts = filtering()) => holds('filtering', facts, condition);
const a = (condition: Record<string, unknown>, facts = attachment()) => holds('attachment', facts, condition);
const r = (condition: Record<string, unknown>, facts = result()) => holds('result', facts, condition);

describe('filtering fields', () => {
  it('from: all text operators, case-insensitive', () => {
    assert.equal(f({ field: 'from', op: 'is', value: 'Alice@Example.org' }), true);
    assert.equal(f({ field: 'from', op: 'is', value: 'eve@example.org' }), false);
    assert.equal(f({ field: 'from', op: 'is-not', value: 'eve@example.org' }), true);
    assert.equal(f({ field: 'from', op: 'is-not', value: 'alice@example.org' }), false);
    assert.equal(f({ field: 'from', op: 'contains', value: 'EXAMPLE' }), true);
    assert.equal(f({ field: 'from', op: 'matches', value: '^ali.e@' }), true);
    assert.equal(f({ field: 'from', op: 'matches', value: '^bob' }), false);
    assert.equal(f({ field: 'from', op: 'glob', value: '*@example.org' }), true);
    assert.equal(f({ field: 'from', op: 'glob', value: '*@example.com' }), false);
    assert.equal(f({ field: 'from', op: 'in', value: ['x@y.z', 'alice@example.org'] }), true);
    assert.equal(f({ field: 'from', op: 'in', value: ['x@y.z'] }), false);
  });

  it('from-domain is derived from the From addresses', () => {
    assert.equal(f({ field: 'from-domain', op: 'is', value: 'EXAMPLE.org' }), true);
    assert.equal(f({ field: 'from-domain', op: 'glob', value: '*.org' }), true);
    assert.equal(f({ field: 'from-domain', op: 'in', value: ['example.com'] }), false);
  });

  it('sender, to, cc and recipient', () => {
    assert.equal(f({ field: 'sender', op: 'contains', value: 'lists.' }), true);
    assert.equal(f({ field: 'sender', op: 'is', value: 'x@y' }, filtering({ sender: undefined })), false);
    assert.equal(f({ field: 'sender', op: 'is-not', value: 'x@y' }, filtering({ sender: undefined })), true);
    assert.equal(f({ field: 'to', op: 'is', value: 'carol@example.com' }), true, 'any recipient in the list matches');
    assert.equal(f({ field: 'to', op: 'is', value: 'dave@other.test' }), false);
    assert.equal(f({ field: 'cc', op: 'is', value: 'dave@other.test' }), true);
    assert.equal(f({ field: 'recipient', op: 'is', value: 'dave@other.test' }), true);
    assert.equal(f({ field: 'recipient', op: 'glob', value: 'bob@*' }), true);
    assert.equal(f({ field: 'recipient', op: 'is-not', value: 'bob@example.com' }), false, 'is-not means no recipient is it');
  });

  it('subject: regex is case-insensitive unless case-sensitive is set', () => {
    assert.equal(f({ field: 'subject', op: 'matches', value: 'invoice \\d{4}' }), true);
    assert.equal(f({ field: 'subject', op: 'matches', value: 'invoice \\d{4}', 'case-sensitive': true }), false);
    assert.equal(f({ field: 'subject', op: 'contains', value: 'invoice' }), true);
    assert.equal(f({ field: 'subject', op: 'contains', value: 'invoice', 'case-sensitive': true }), false);
    assert.equal(f({ field: 'subject', op: 'is', value: 'quarterly invoice 2026' }), true);
    assert.equal(f({ field: 'subject', op: 'contains', value: 'x' }, filtering({ subject: undefined })), false);
  });

  it('header by name, any occurrence', () => {
    assert.equal(f({ field: 'header', name: 'X-Mailer', op: 'contains', value: 'outlook' }), true);
    assert.equal(f({ field: 'header', name: 'Received', op: 'is', value: 'from b' }), true);
    assert.equal(f({ field: 'header', name: 'X-Spam', op: 'matches', value: '.*' }), false, 'absent header matches nothing');
    assert.equal(f({ field: 'header', name: 'X-Spam', op: 'is-not', value: 'yes' }), true);
  });

  it('size with > and < and size strings', () => {
    assert.equal(f({ field: 'size', op: '>', value: '1MB' }), true);
    assert.equal(f({ field: 'size', op: '>', value: '2MB' }), false);
    assert.equal(f({ field: 'size', op: '<', value: '3 MiB' }), true);
    assert.equal(f({ field: 'size', op: 'is', value: 2097152 }), true);
    assert.equal(f({ field: 'size', op: 'is-not', value: '2M' }), false);
  });

  it('has-attachments, with the shorthand meaning "is true"', () => {
    assert.equal(f({ field: 'has-attachments' }), true);
    assert.equal(f({ field: 'has-attachments', op: 'is', value: false }), false);
    assert.equal(f({ field: 'has-attachments', op: 'is-not', value: true }, filtering({ hasAttachments: false })), true);
  });

  it('upstream host and IP (CIDR, IPv4 and IPv6)', () => {
    assert.equal(f({ field: 'upstream-host', op: 'glob', value: 'imap.*' }), true);
    assert.equal(f({ field: 'upstream-ip', op: 'is', value: '192.0.2.10' }), true);
    assert.equal(f({ field: 'upstream-ip', op: 'is', value: '192.0.2.0/24' }), true);
    assert.equal(f({ field: 'upstream-ip', op: 'is', value: '198.51.100.0/24' }), false);
    assert.equal(f({ field: 'upstream-ip', op: 'is-not', value: '198.51.100.0/24' }), true);
    assert.equal(f({ field: 'upstream-ip', op: 'in', value: ['10.0.0.0/8', '192.0.0.0/16'] }), true);
    assert.equal(f({ field: 'upstream-ip', op: 'in', value: ['2001:db8::/32'] }, filtering({ upstreamIp: '2001:db8::5' })), true);
    assert.equal(f({ field: 'upstream-ip', op: 'in', value: ['2001:db8::/32'] }, filtering({ upstreamIp: undefined })), false);
  });

  it('listener, user and application', () => {
    assert.equal(f({ field: 'listener', op: 'is', value: 'work-imap' }), true);
    assert.equal(f({ field: 'user', op: 'glob', value: '*@example.com' }), true);
    assert.equal(f({ field: 'application', op: 'in', value: ['thunderbird', 'outlook'] }), true);
    assert.equal(f({ field: 'application', op: 'is', value: 'x' }, filtering({ application: undefined })), false);
  });
});

describe('attachment fields', () => {
  it('file-name glob with *, ? and [...]', () => {
    assert.equal(a({ field: 'file-name', op: 'glob', value: '*.pdf' }), true, 'case-insensitive');
    assert.equal(a({ field: 'file-name', op: 'glob', value: 'repor?.pdf' }), true);
    assert.equal(a({ field: 'file-name', op: 'glob', value: '[qr]eport.*' }), true);
    assert.equal(a({ field: 'file-name', op: 'glob', value: '[!r]eport.*' }), false);
    assert.equal(a({ field: 'file-name', op: 'glob', value: '*.exe' }), false);
    assert.equal(a({ field: 'file-name', op: 'glob', value: '*' }, attachment({ fileName: undefined })), false);
  });

  it('extension: last one, lower case, without the dot', () => {
    assert.equal(a({ field: 'extension', op: 'is', value: 'pdf' }), true);
    assert.equal(a({ field: 'extension', op: 'is', value: '.PDF' }), true);
    assert.equal(a({ field: 'extension', op: 'in', value: ['exe', 'gz'] }, attachment({ fileName: 'a.tar.GZ' })), true);
    assert.equal(a({ field: 'extension', op: 'is', value: 'tar' }, attachment({ fileName: 'a.tar.gz' })), false);
    assert.equal(a({ field: 'extension', op: 'is-not', value: 'exe' }, attachment({ fileName: 'README' })), true);
  });

  it('declared-type and detected-type', () => {
    assert.equal(a({ field: 'declared-type', op: 'glob', value: 'application/*' }), true);
    assert.equal(a({ field: 'declared-type', op: 'is', value: 'image/png' }), false);
    assert.equal(a({ field: 'detected-type', op: 'is', value: 'pdf' }), true);
    assert.equal(a({ field: 'detected-type', op: 'in', value: ['pe', 'elf'] }, attachment({ detectedType: 'pe' })), true);
    assert.equal(a({ field: 'detected-type', op: 'is-not', value: 'pe' }, attachment({ detectedType: undefined })), true);
  });

  it('size', () => {
    assert.equal(a({ field: 'size', op: '<', value: '100KB' }), true);
    assert.equal(a({ field: 'size', op: '>', value: 50_000 }), false);
  });

  it('boolean facts', () => {
    for (const [field, key] of [
      ['inside-archive', 'insideArchive'],
      ['encrypted', 'encrypted'],
      ['has-macros', 'hasMacros'],
      ['double-extension', 'doubleExtension'],
      ['bidi-name', 'bidiName'],
    ] as const) {
      assert.equal(a({ field }), false, field);
      assert.equal(a({ field }, attachment({ [key]: true })), true, field);
      assert.equal(a({ field, op: 'is', value: false }), true, field);
      assert.equal(a({ field, op: 'is-not', value: true }), true, field);
    }
  });

  it('part-verdict and detection', () => {
    const infected = attachment({ partVerdict: 'infected', detections: ['Eicar-Test-Signature'] });
    assert.equal(a({ field: 'part-verdict', op: 'is', value: 'infected' }, infected), true);
    assert.equal(a({ field: 'part-verdict', op: 'in', value: ['suspicious'] }, infected), false);
    assert.equal(a({ field: 'detection', op: 'matches', value: '^eicar' }, infected), true);
  });
});

describe('result fields', () => {
  const infected = result({ verdict: 'infected', detections: ['Eicar-Test-Signature', 'Heuristic.DoubleExtension'], engines: ['builtin', 'clamd'] });
  it('verdict', () => {
    assert.equal(r({ field: 'verdict', op: 'is', value: 'infected' }, infected), true);
    assert.equal(r({ field: 'verdict', op: 'is-not', value: 'clean' }, infected), true);
    assert.equal(r({ field: 'verdict', op: 'in', value: ['timeout', 'error'] }, infected), false);
  });
  it('detection and engine', () => {
    assert.equal(r({ field: 'detection', op: 'contains', value: 'doubleext' }, infected), true);
    assert.equal(r({ field: 'detection', op: 'glob', value: 'Heuristic.*' }, infected), true);
    assert.equal(r({ field: 'detection', op: 'is', value: 'x' }), false);
    assert.equal(r({ field: 'engine', op: 'is', value: 'clamd' }, infected), true);
    assert.equal(r({ field: 'engine', op: 'in', value: ['mime'] }, infected), false);
  });
  it('engine names a stage-2 backend as analysis:NAME', () => {
    const analysed = result({ verdict: 'infected', detections: ['Trojan.Test'], engines: ['analysis:sandbox'] });
    assert.equal(r({ field: 'engine', op: 'is', value: 'analysis:sandbox' }, analysed), true);
    assert.equal(r({ field: 'engine', op: 'glob', value: 'analysis:*' }, analysed), true);
    assert.equal(r({ field: 'engine', op: 'is', value: 'analysis:sandbox' }, infected), false);
  });
});

describe('any and not', () => {
  it('all top-level conditions must hold', () => {
    assert.equal(holds('attachment', attachment(), { any: [{ field: 'encrypted' }, { field: 'extension', op: 'is', value: 'pdf' }] }), true);
    assert.equal(holds('attachment', attachment(), { any: [{ field: 'encrypted' }, { field: 'has-macros' }] }), false);
    assert.equal(holds('attachment', attachment(), { not: { field: 'encrypted' } }), true);
    assert.equal(holds('attachment', attachment(), { not: { any: [{ field: 'encrypted' }, { field: 'size', op: '>', value: 10 }] } }), false);
    const both = rule({ level: 'attachment', conditions: [{ field: 'extension', op: 'is', value: 'pdf' }, { field: 'size', op: '>', value: '1MB' }] });
    assert.equal(evaluateLevel([both], 'attachment', attachment()).applied.length, 0);
  });
});
