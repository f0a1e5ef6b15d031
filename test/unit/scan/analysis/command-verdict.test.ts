import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verdictFromEnding, type ProgramEnding } from '../../../../src/scan/analysis/command-verdict.js';
import { safeFileName } from '../../../../src/scan/analysis/private-temp-copy.js';

const ended = (over: Partial<ProgramEnding>): ProgramEnding => ({ code: 0, signal: null, stdout: '', stderr: '', ...over });

describe('verdictFromEnding', () => {
  it('exit status: 0 clean, 1 malicious, 2 suspicious, others and signals error (with stderr\'s first line)', () => {
    assert.deepEqual(verdictFromEnding('b', ended({ code: 0 })), { verdict: 'clean', backend: 'b' });
    assert.deepEqual(verdictFromEnding('b', ended({ code: 1 })), { verdict: 'malicious', backend: 'b' });
    assert.deepEqual(verdictFromEnding('b', ended({ code: 2 })), { verdict: 'suspicious', backend: 'b' });
    assert.deepEqual(verdictFromEnding('b', ended({ code: 3, stderr: '\n  cannot open db\nmore' })), { verdict: 'error', backend: 'b', detail: 'exit status 3: cannot open db' });
    assert.deepEqual(verdictFromEnding('b', ended({ code: null, signal: 'SIGKILL', stdout: '{"verdict": "clean"}' })), { verdict: 'error', backend: 'b', detail: 'killed by SIGKILL' });
  });

  it('a JSON answer replaces the status\'s verdict; its name is kept to one printable line', () => {
    assert.deepEqual(verdictFromEnding('b', ended({ code: 0, stdout: '\n{"verdict":"malicious","name":"Evil\\u0007.A\\nsecond"}\n' })), { verdict: 'malicious', name: 'Evil?.A', backend: 'b' });
    assert.deepEqual(verdictFromEnding('b', ended({ code: 1, stdout: '{"verdict":"clean","name":"   "}' })), { verdict: 'clean', backend: 'b' });
  });

  it('JSON that does not parse or validate is an error, naming what is wrong', () => {
    const cases = ['{', '{"verdict": "Clean"}', '{"name": "x"}', '{"verdict": "clean", "name": ""}', `{"verdict": "clean", "name": "${'n'.repeat(201)}"}`];
    for (const stdout of cases) {
      const result = verdictFromEnding('b', ended({ code: 0, stdout }));
      assert.equal(result.verdict, 'error', stdout);
      assert.ok(result.detail && result.detail.length < 400, stdout);
    }
  });

  it('other stdout is not interpreted: its first non-empty line, bounded and printable, is the detail', () => {
    const long = 'y'.repeat(500);
    const result = verdictFromEnding('b', ended({ code: 1, stdout: `\n\t${long}\nnext` }));
    assert.equal(result.verdict, 'malicious');
    assert.equal(result.detail, `${'y'.repeat(200)}…`);
    assert.equal(verdictFromEnding('b', ended({ code: 0, stdout: '[1,2]' })).detail, '[1,2]', 'only an object is read as JSON');
  });
});

describe('safeFileName', () => {
  it('keeps letters, digits, dot, dash, underscore; no leading dot or dash; keeps a short extension', () => {
    assert.equal(safeFileName('report.pdf'), 'report.pdf');
    assert.equal(safeFileName('../../etc/passwd'), 'etc_passwd');
    assert.equal(safeFileName('-rf'), 'rf');
    assert.equal(safeFileName('.bashrc'), 'bashrc');
    assert.equal(safeFileName('Rechnung März.docm'), 'Rechnung_M_rz.docm');
    assert.equal(safeFileName(undefined), 'part');
    assert.equal(safeFileName('...'), 'part');
    const long = safeFileName(`${'a'.repeat(300)}.xlsm`);
    assert.equal(long.length, 100);
    assert.ok(long.endsWith('.xlsm'));
  });
});
