// What telling the kind of a text part costs (the builtin engine's detectFileType on text: HTML, HTA,
// script or plain text), per part, for this checkout and, with `--baseline OTHER` (another checkout's
// root with node_modules linked), for that one, rounds alternating. The texts: generated prose (lorem
// words, and English whose words hold many of the strings script indicators look for), a batch and a
// JavaScript file, each 400 KB. Prints JSON: best-round CPU microseconds per part for each text and
// build, and the baseline/this ratio. Fails when the builds disagree on any text's type.
// Usage: node --import tsx scripts/bench/text-detection.ts [--rounds 7] [--parts 200] [--baseline DIR]
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { FileFacts } from '../../src/scan/types.js';
import { loremLines, prng } from '../../test/helpers/messages.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, parts: { type: 'string', default: '200' }, baseline: { type: 'string' } } });
const rounds = Number(values.rounds);
const parts = Number(values.parts);
const TEXT_BYTES = 400 * 1024;

type DetectFileType = (content: Buffer, fileName?: string) => FileFacts;

const ENGLISH = (
  'the end of the day we set off to start again if nothing else remember to let the children rest while ' +
  'the committee resumed its evaluation of the delivery schedule and its dimensions percent of the ' +
  'variety of functions constant commands executed echo going to deliver a letter before the deadline ' +
  'then said more and then some remarks about the weather were made in the garden by everyone present'
).split(' ');

function words(list: readonly string[], seed: number): string {
  const next = prng(seed);
  const lines: string[] = [];
  let size = 0;
  while (size < TEXT_BYTES) {
    let line = '';
    while (line.length < 70) line += `${list[Math.floor(next() * list.length)]} `;
    const capitalised = `${line.charAt(0).toUpperCase()}${line.slice(1).trimEnd()}.\r\n`;
    lines.push(capitalised);
    size += capitalised.length;
  }
  return lines.join('');
}

function repeatTo(unit: string): string {
  return unit.repeat(Math.ceil(TEXT_BYTES / unit.length)).slice(0, TEXT_BYTES);
}

const TEXTS: Record<string, Buffer> = {
  lorem: Buffer.from(repeatTo(`${loremLines(2000, 3, 76).join('\r\n')}\r\n`)),
  english: Buffer.from(words(ENGLISH, 5)),
  batch: Buffer.from(repeatTo('@echo off\r\nrem build step\r\nset target=%TEMP%\\x.exe\r\nif exist %target% del /f %target%\r\ngoto :run\r\n:run\r\n')),
  javascript: Buffer.from(repeatTo('function add(a, b) {\n  const sum = a + b;\n  return sum;\n}\nvar total = add(1, 2);\nlet list = [1, 2].map((x) => { return x * 2; });\n')),
};

async function load(root: string): Promise<DetectFileType> {
  const url = pathToFileURL(join(resolve(root), 'src/scan/engines/builtin/file-type/detect-file-type.ts')).href;
  return ((await import(url)) as { detectFileType: DetectFileType }).detectFileType;
}

function cpuMicroseconds(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

async function main(): Promise<void> {
  const builds: { name: string; detect: DetectFileType; best: Record<string, number> }[] = [{ name: 'this', detect: await load(join(import.meta.dirname, '../..')), best: {} }];
  if (values.baseline) builds.push({ name: 'baseline', detect: await load(values.baseline), best: {} });
  const types: Record<string, string> = {};
  for (const [name, text] of Object.entries(TEXTS)) {
    const seen = new Set(builds.map((build) => JSON.stringify(build.detect(text))));
    if (seen.size !== 1) throw new Error(`the builds disagree on ${name}: ${[...seen].join(' / ')}`);
    types[name] = [...seen][0];
  }
  for (let round = 0; round < rounds; round++) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
      for (const [name, text] of Object.entries(TEXTS)) {
        const spent = cpuMicroseconds(() => {
          for (let part = 0; part < parts; part++) build.detect(text);
        });
        build.best[name] = Math.min(build.best[name] ?? Infinity, spent / parts);
      }
    }
  }
  const round1 = (value: number) => Math.round(value * 10) / 10;
  const report = {
    measure: `best of ${rounds} rounds, CPU microseconds per part of ${TEXT_BYTES} bytes`,
    types,
    builds: Object.fromEntries(builds.map((build) => [build.name, Object.fromEntries(Object.entries(build.best).map(([name, value]) => [name, round1(value)]))])),
    ...(builds.length === 2
      ? { speedup: Object.fromEntries(Object.keys(TEXTS).map((name) => [name, Math.round((builds[1].best[name] / builds[0].best[name]) * 100) / 100])) }
      : {}),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
