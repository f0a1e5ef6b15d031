import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasBidiControls } from '../../../../src/scan/engines/builtin/heuristics/bidi-file-name.js';
import { hasDoubleExtension } from '../../../../src/scan/engines/builtin/heuristics/double-extension.js';
import { heuristicNames } from '../../../../src/scan/engines/builtin/heuristics/run-heuristics.js';
import { isTypeMismatch } from '../../../../src/scan/engines/builtin/heuristics/type-mismatch.js';

describe('heuristics', () => {
  it('double extension: a document extension followed by an executable one', () => {
    for (const name of ['invoice.pdf.exe', 'INVOICE.PDF.EXE', 'photo.jpg.scr', 'report.docx.js', 'scan.pdf      .exe', 'a.b.txt.vbs']) {
      assert.equal(hasDoubleExtension(name), true, name);
    }
    for (const name of ['archive.tar.gz', 'setup.exe', 'v1.2.exe', 'notes.txt', 'data.pdf.zip', 'invoice.exe.pdf', 'x.pdf.']) {
      assert.equal(hasDoubleExtension(name), false, name);
    }
  });

  it('bidi controls anywhere in the name', () => {
    for (const char of ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f']) {
      assert.equal(hasBidiControls(`photo_${char}gpj.exe`), true, char.codePointAt(0)!.toString(16));
    }
    assert.equal(hasBidiControls('résumé 2024 – final.pdf'), false);
    assert.equal(hasBidiControls('تقرير.pdf'), false);
  });

  it('type mismatch: a declared document that is really an executable', () => {
    assert.equal(isTypeMismatch('application/pdf', 'pe'), true);
    assert.equal(isTypeMismatch('image/jpeg; name="a.jpg"', 'elf'), true);
    assert.equal(isTypeMismatch('application/msword', 'script-js'), true);
    assert.equal(isTypeMismatch('application/x-msdownload', 'pe'), false);
    assert.equal(isTypeMismatch('application/octet-stream', 'pe'), false);
    assert.equal(isTypeMismatch(undefined, 'pe'), false);
    assert.equal(isTypeMismatch('text/plain', 'script-js'), false);
    assert.equal(isTypeMismatch('application/pdf', 'pdf'), false);
    assert.equal(isTypeMismatch('application/pdf', 'zip'), false);
  });

  it('executables inside archives', () => {
    const info = { location: ['a.zip', 'b.exe'], insideArchive: true };
    assert.deepEqual(heuristicNames({ detectedType: 'pe' }, info), ['Heuristic.ExecutableInArchive']);
    assert.deepEqual(heuristicNames({ detectedType: 'script-vbs' }, info), ['Heuristic.ExecutableInArchive']);
    assert.deepEqual(heuristicNames({ detectedType: 'pdf' }, info), []);
    assert.deepEqual(heuristicNames({ detectedType: 'pe' }, { location: [], insideArchive: false }), []);
  });

  it('reports every heuristic that applies', () => {
    const names = heuristicNames({ detectedType: 'pe' }, { fileName: 'inv\u202eoice.pdf.exe', declaredType: 'application/pdf', location: [], insideArchive: true });
    assert.deepEqual(names, ['Heuristic.DoubleExtension', 'Heuristic.BidiFileName', 'Heuristic.TypeMismatch', 'Heuristic.ExecutableInArchive']);
  });
});
