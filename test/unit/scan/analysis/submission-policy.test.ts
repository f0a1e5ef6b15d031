// The submission policy of stage 2 on real file-type facts (the builtin detector over sample files).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analysisSchema } from '../../../../src/config/analysis-schema.js';
import { isBlocking, submissionReason, submitTypeOf } from '../../../../src/scan/analysis/submission.js';
import { detectFileType } from '../../../../src/scan/engines/builtin/file-type/detect-file-type.js';
import { isoImage, minimalElf, minimalPe, oleFile, ooxmlFile, pdfFile, shellLink, zipFile } from '../engines/samples.js';

const defaults = analysisSchema.parse({}).submit;

function reason(content: Buffer, fileName: string, over: { verdict?: 'clean' | 'suspicious' | 'infected' | 'encrypted'; stored?: 'clean' | 'malicious' } = {}, submit = defaults) {
  return submissionReason(
    { size: content.length, facts: detectFileType(content, fileName), stageOneVerdict: over.verdict ?? 'clean', ...(over.stored ? { storedVerdict: over.stored } : {}) },
    submit,
  );
}

describe('stage-2 submission policy', () => {
  it('maps true file types onto the submit types', () => {
    const cases: [Buffer, string, string | undefined][] = [
      [ooxmlFile(true), 'report.docm', 'office-macro'],
      [ooxmlFile(false), 'report.docx', undefined],
      [oleFile(['WordDocument', 'Macros', 'VBA', '_VBA_PROJECT']), 'old.doc', 'office-macro'],
      [pdfFile('/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>'), 'a.pdf', 'pdf-javascript'],
      [pdfFile('/Type /Catalog'), 'plain.pdf', undefined],
      [zipFile([{ name: 'a.txt', data: 'hello' }]), 'a.zip', 'archive'],
      [minimalPe(), 'setup.exe', 'executable'],
      [minimalElf(), 'run', 'executable'],
      [shellLink(), 'open.lnk', 'executable'],
      [isoImage(), 'disk.iso', 'disk-image'],
      [Buffer.from('Set s = CreateObject("WScript.Shell")\r\ns.Run "calc"\r\n'), 'x.vbs', 'script'],
      [Buffer.from('just some text\n'), 'notes.txt', undefined],
    ];
    for (const [content, name, expected] of cases) assert.equal(submitTypeOf(detectFileType(content, name)), expected, name);
    assert.equal(submitTypeOf(undefined), undefined, 'no facts (builtin not configured): no type');
  });

  it('submits a selected type, and only the types configured', () => {
    assert.equal(reason(zipFile([{ name: 'a.txt', data: 'x' }]), 'a.zip'), 'type:archive');
    assert.equal(reason(zipFile([{ name: 'a.txt', data: 'x' }]), 'a.zip', {}, { ...defaults, types: ['executable'] }), undefined);
    assert.equal(reason(minimalPe(), 'a.exe', {}, { ...defaults, types: ['executable'] }), 'type:executable');
  });

  it('always submits what stage 1 found suspicious when submit.suspicious, whatever its type', () => {
    const text = Buffer.from('plain words\n');
    assert.equal(reason(text, 'a.txt', { verdict: 'suspicious' }), 'suspicious');
    assert.equal(reason(text, 'a.txt', { verdict: 'suspicious' }, { ...defaults, suspicious: false }), undefined);
    assert.equal(reason(text, 'a.txt'), undefined);
  });

  it('never submits parts stage 1 blocked or could not read, nor parts with a stored verdict', () => {
    const zip = zipFile([{ name: 'a.txt', data: 'x' }]);
    assert.equal(reason(zip, 'a.zip', { verdict: 'infected' }), undefined);
    assert.equal(reason(zip, 'a.zip', { verdict: 'encrypted' }), undefined);
    assert.equal(reason(zip, 'a.zip', { stored: 'clean' }), undefined);
    assert.equal(reason(zip, 'a.zip', { stored: 'malicious' }), undefined);
  });

  it('keeps to the size range, both ends included', () => {
    const pe = minimalPe();
    assert.equal(reason(pe, 'a.exe', {}, { ...defaults, minBytes: pe.length, maxBytes: pe.length }), 'type:executable');
    assert.equal(reason(pe, 'a.exe', {}, { ...defaults, minBytes: pe.length + 1 }), undefined);
    assert.equal(reason(pe, 'a.exe', {}, { ...defaults, maxBytes: pe.length - 1 }), undefined);
  });

  it('blocks by analysis.block', () => {
    assert.equal(isBlocking('malicious', 'malicious'), true);
    assert.equal(isBlocking('suspicious', 'malicious'), false);
    assert.equal(isBlocking('suspicious', 'suspicious'), true);
    assert.equal(isBlocking('clean', 'suspicious'), false);
  });
});
