// Hex tokens compiled into matching steps: runs of exact bytes (searched with Buffer.indexOf), byte
// classes (a 256-entry table for nibbles and single-byte alternatives), bounded gaps ('??' runs
// become gaps too), alternatives and negated alternatives. Unbounded gaps are not steps: they split
// a signature into segments (see compile-signature.ts).
import type { HexToken } from './hex-pattern.js';

export type Step =
  | { kind: 'run'; bytes: Buffer }
  | { kind: 'class'; table: Uint8Array }
  | { kind: 'gap'; min: number; max: number }
  | { kind: 'alt'; options: Step[][] }
  | { kind: 'notAlt'; options: Buffer[]; length: number };

const classTables = new Map<string, Uint8Array>();

function classTable(members: Array<{ value: number; mask: number }>, negated: boolean): Uint8Array {
  const key = `${negated ? '!' : ''}${members.map((m) => `${m.mask}/${m.value}`).sort().join(',')}`;
  let table = classTables.get(key);
  if (!table) {
    table = new Uint8Array(256);
    for (let byte = 0; byte < 256; byte++) {
      const member = members.some((m) => (byte & m.mask) === m.value);
      table[byte] = member !== negated ? 1 : 0;
    }
    classTables.set(key, table);
  }
  return table;
}

type ByteToken = HexToken & { kind: 'byte' };

function isSingleByteOption(option: HexToken[]): option is [ByteToken] {
  return option.length === 1 && option[0].kind === 'byte';
}

export function compileSteps(tokens: HexToken[]): Step[] {
  const steps: Step[] = [];
  let run: number[] = [];
  const flushRun = (): void => {
    if (run.length > 0) steps.push({ kind: 'run', bytes: Buffer.from(run) });
    run = [];
  };
  const pushGap = (min: number, max: number): void => {
    flushRun();
    const previous = steps[steps.length - 1];
    if (previous?.kind === 'gap') {
      previous.min += min;
      previous.max += max;
    } else {
      steps.push({ kind: 'gap', min, max });
    }
  };
  for (const token of tokens) {
    if (token.kind === 'byte') {
      if (token.mask === 0xff) run.push(token.value);
      else if (token.mask === 0) pushGap(1, 1);
      else {
        flushRun();
        steps.push({ kind: 'class', table: classTable([token], false) });
      }
    } else if (token.kind === 'gap') {
      pushGap(token.min, token.max);
    } else if (token.options.every(isSingleByteOption)) {
      flushRun();
      steps.push({ kind: 'class', table: classTable(token.options.map((o) => o[0]), token.negated) });
    } else if (token.negated) {
      flushRun();
      const options = token.options.map((o) => Buffer.from(o.map((t) => (t as ByteToken).value)));
      steps.push({ kind: 'notAlt', options, length: options[0].length });
    } else {
      flushRun();
      steps.push({ kind: 'alt', options: token.options.map(compileSteps) });
    }
  }
  flushRun();
  return steps;
}

/** The same steps for matching right to left (runs keep their byte order: they are compared in place). */
export function reverseSteps(steps: Step[]): Step[] {
  return steps
    .slice()
    .reverse()
    .map((step) => (step.kind === 'alt' ? { kind: 'alt', options: step.options.map(reverseSteps) } : step));
}

export function minLength(steps: Step[]): number {
  let total = 0;
  for (const step of steps) {
    if (step.kind === 'run') total += step.bytes.length;
    else if (step.kind === 'class') total += 1;
    else if (step.kind === 'gap') total += step.min;
    else if (step.kind === 'notAlt') total += step.length;
    else total += Math.min(...step.options.map(minLength));
  }
  return total;
}

/** The most bytes the steps can cover (steps hold bounded gaps only). */
export function maxLength(steps: Step[]): number {
  let total = 0;
  for (const step of steps) {
    if (step.kind === 'run') total += step.bytes.length;
    else if (step.kind === 'class') total += 1;
    else if (step.kind === 'gap') total += step.max;
    else if (step.kind === 'notAlt') total += step.length;
    else total += Math.max(...step.options.map(maxLength));
  }
  return total;
}
