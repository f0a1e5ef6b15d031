// Applies compiled steps to a set of positions, left to right (direction 1: a step starting at p
// ends at p + length) or right to left (direction -1: a step ending at p starts at p - length).
import { PositionSetBuilder, union, type PositionSet } from './position-set.js';
import type { Step } from './steps.js';

export type Direction = 1 | -1;

/** Intervals narrower than this are compared byte by byte; wider ones are searched with indexOf. */
const SEARCH_THRESHOLD = 24;

function equalAt(data: Buffer, at: number, bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (data[at + i] !== bytes[i]) return false;
  return true;
}

/** For each p in the set, the run occupies [p, p+L) forward or [p-L, p) backward. */
function applyRun(bytes: Buffer, set: PositionSet, data: Buffer, direction: Direction): PositionSet {
  const length = bytes.length;
  const builder = new PositionSetBuilder();
  for (let i = 0; i < set.length; i += 2) {
    // Where the run would begin in data, for the interval's first and last position.
    let first = direction === 1 ? set[i] : set[i] - length;
    const last = Math.min(direction === 1 ? set[i + 1] : set[i + 1] - length, data.length - length);
    if (first < 0) first = 0;
    if (first > last) continue;
    if (last - first < SEARCH_THRESHOLD) {
      for (let at = first; at <= last; at++) if (equalAt(data, at, bytes)) builder.add(direction === 1 ? at + length : at);
    } else {
      for (let at = data.indexOf(bytes, first); at !== -1 && at <= last; at = data.indexOf(bytes, at + 1)) {
        builder.add(direction === 1 ? at + length : at);
      }
    }
  }
  return builder.build();
}

function applyClass(table: Uint8Array, set: PositionSet, data: Buffer, direction: Direction): PositionSet {
  const builder = new PositionSetBuilder();
  const n = data.length;
  for (let i = 0; i < set.length; i += 2) {
    if (direction === 1) {
      const last = Math.min(set[i + 1], n - 1);
      for (let p = set[i]; p <= last; p++) if (table[data[p]] === 1) builder.add(p + 1);
    } else {
      for (let p = Math.max(set[i], 1); p <= set[i + 1]; p++) if (table[data[p - 1]] === 1) builder.add(p - 1);
    }
  }
  return builder.build();
}

function applyGap(min: number, max: number, set: PositionSet, length: number, direction: Direction): PositionSet {
  const builder = new PositionSetBuilder();
  for (let i = 0; i < set.length; i += 2) {
    const lo = direction === 1 ? set[i] + min : Math.max(0, set[i] - max);
    const hi = direction === 1 ? Math.min(length, set[i + 1] + max) : set[i + 1] - min;
    if (lo <= hi && lo <= length && hi >= 0) builder.addRange(lo, hi);
  }
  return builder.build();
}

function applyNotAlt(options: Buffer[], width: number, set: PositionSet, data: Buffer, direction: Direction): PositionSet {
  const builder = new PositionSetBuilder();
  for (let i = 0; i < set.length; i += 2) {
    for (let p = set[i]; p <= set[i + 1]; p++) {
      const at = direction === 1 ? p : p - width;
      if (at < 0 || at + width > data.length) continue;
      if (options.every((option) => !equalAt(data, at, option))) builder.add(direction === 1 ? p + width : at);
    }
  }
  return builder.build();
}

export function applySteps(steps: Step[], start: PositionSet, data: Buffer, direction: Direction): PositionSet {
  let set = start;
  for (const step of steps) {
    if (set.length === 0) return set;
    switch (step.kind) {
      case 'run':
        set = applyRun(step.bytes, set, data, direction);
        break;
      case 'class':
        set = applyClass(step.table, set, data, direction);
        break;
      case 'gap':
        set = applyGap(step.min, step.max, set, data.length, direction);
        break;
      case 'notAlt':
        set = applyNotAlt(step.options, step.length, set, data, direction);
        break;
      case 'alt': {
        const from = set;
        set = union(step.options.map((option) => applySteps(option, from, data, direction)));
        break;
      }
    }
  }
  return set;
}
