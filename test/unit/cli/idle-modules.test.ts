// The packages a running proxy loads only when something needs them (each costs MiB of resident memory
// that an idle proxy, or one relaying without scanning, would otherwise hold from start-up on).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUN_PROXY = new URL('../../../src/cli/run-proxy.ts', import.meta.url).href;

/** Packages in require.cache (CommonJS, also when imported from ESM) after importing `modules` in a fresh process, then running `then`. */
function loadedPackages(modules: string[], then = ''): string[] {
  const script = `${modules.map((module, index) => `const m${index} = await import(${JSON.stringify(module)});`).join('\n')}
${then}
const { createRequire } = await import('node:module');
const names = Object.keys(createRequire(import.meta.url).cache).map((path) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(path)?.[1]).filter(Boolean);
console.log(JSON.stringify([...new Set(names)]));`;
  const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../../..', import.meta.url)), encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop() as string) as string[];
}

const LAZY = ['libmime', 'iconv-lite', 'encoding-japanese', 're2js', 'node-forge', 'mailparser', 'ioredis'];

test('importing the proxy loads none of the packages it needs only for a certificate, a header value, a user regex, an envelope or Redis', () => {
  const loaded = loadedPackages([RUN_PROXY]);
  assert.ok(loaded.includes('better-sqlite3'), `the probe sees CommonJS packages: ${loaded.join(', ')}`);
  assert.deepEqual(LAZY.filter((name) => loaded.includes(name)), []);
});

test('libmime and re2js load when a header value is decoded and a user regex compiled', () => {
  const loaded = loadedPackages(
    [new URL('../../../src/mime/libmime.ts', import.meta.url).href, new URL('../../../src/rules/pattern.ts', import.meta.url).href],
    `if (m0.libmime.decodeWords('=?utf-8?q?caf=C3=A9?=') !== 'café') throw new Error('decodeWords');
if (!m1.compileUserRegex('^inv(oice)?', false).test('INVOICE 12')) throw new Error('regex');`,
  );
  assert.deepEqual(['libmime', 're2js'].filter((name) => !loaded.includes(name)), []);
});
