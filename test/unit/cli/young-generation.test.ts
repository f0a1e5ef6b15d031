// The proxy's young generation stays small however node was started: the bin's shebang and the service
// unit pass PROXY_NODE_FLAGS; without them `start` stops the semi-spaces from growing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PROXY_NODE_FLAGS, capYoungGenerationGrowth, withProxyNodeFlags } from '../../../src/cli/young-generation.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const CAP = fileURLToPath(new URL('../../../src/cli/young-generation.ts', import.meta.url));

/** New-space size in KiB of a child node, before and after allocating 400 MB of short-lived objects. */
function newSpaceGrowth(nodeArgs: string[], cap: boolean): { before: number; after: number } {
  const script = `
    const v8 = require('node:v8');
    const newSpace = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size / 1024;
    const before = newSpace();
    ${cap ? `require(${JSON.stringify(CAP)}).capYoungGenerationGrowth([], '');` : ''}
    let keep = [];
    for (let i = 0; i < 4e6; i++) { keep.push({ i, text: 'x' + i }); if (keep.length > 20000) keep = []; }
    console.log(JSON.stringify({ before, after: newSpace() }));`;
  const child = spawnSync(process.execPath, [...nodeArgs, '--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { before: number; after: number };
}

describe('young generation of the proxy process', () => {
  it('the bin runs node with the proxy flags (env -S, which npm shims read too)', () => {
    const shebang = readFileSync(MAIN, 'utf8').split('\n')[0];
    assert.equal(shebang, `#!/usr/bin/env -S node ${PROXY_NODE_FLAGS.join(' ')}`);
  });

  it('the service adds the flags, keeping a value the user chose', () => {
    assert.deepEqual(withProxyNodeFlags([]), [...PROXY_NODE_FLAGS]);
    assert.deepEqual(withProxyNodeFlags(['--enable-source-maps']), [...PROXY_NODE_FLAGS, '--enable-source-maps']);
    assert.deepEqual(withProxyNodeFlags(['--max-semi-space-size=8']), ['--max-semi-space-size=8']);
  });

  it('without the flag, start caps growth; with one (command line or NODE_OPTIONS) it leaves V8 alone', () => {
    assert.equal(capYoungGenerationGrowth(['--max-semi-space-size=4'], ''), false);
    assert.equal(capYoungGenerationGrowth([], '--max-old-space-size=512 --max-semi-space-size=2'), false);
    assert.equal(capYoungGenerationGrowth(['--semi-space-growth-factor=2'], ''), false);
  });

  it('V8 honours the cap after the heap is set up: the semi-spaces do not grow under allocation', () => {
    const uncapped = newSpaceGrowth([], false);
    assert.ok(uncapped.after > uncapped.before, `without the cap V8 grows new space (${uncapped.before} → ${uncapped.after} KiB)`);
    const capped = newSpaceGrowth([], true);
    assert.equal(capped.after, capped.before);
    const flagged = newSpaceGrowth(['--max-semi-space-size=1'], false);
    assert.ok(flagged.after <= 2048, `--max-semi-space-size=1: ${flagged.after} KiB of new space`);
  });
});
