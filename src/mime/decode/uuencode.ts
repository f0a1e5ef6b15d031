// uuencoded files inside text ("begin 644 name" … "end", and the "begin-base64" … "====" variant of
// GNU uuencode -m). Old mailers and some malware still send attachments this way, inside a text part.
import { CR, LF, SP, TAB, bytesToText, nextLineStart } from '../bytes.js';
import { decodeBase64 } from './base64.js';

export interface UuencodedBlock {
  /** Start of the "begin" line. */
  start: number;
  /** End of the terminating line, before its line break; the end of the text when it is missing. */
  end: number;
  dataStart: number;
  dataEnd: number;
  fileName: string;
  mode: string;
  variant: 'uuencode' | 'base64';
  terminated: boolean;
}

const BEGIN = Buffer.from('begin', 'latin1');
/** A "begin" at a line start after the first: searched with its line break, whose byte is rarer in text than "b". */
const LINE_BEGIN = Buffer.from('\nbegin', 'latin1');
const BEGIN_LINE = /^begin(-base64)? ([0-7]{3,4}) +(\S.*?)\s*$/;

export function findUuencodedBlocks(text: Buffer, from = 0, to: number = text.length): UuencodedBlock[] {
  const blocks: UuencodedBlock[] = [];
  // Bounded view: a search that ran on to the end of the message for every text part would be quadratic.
  const region = text.subarray(0, to);
  // Candidates: "begin" at `from` itself, then every "begin" that starts a line.
  const startsAtFrom = BEGIN.equals(region.subarray(from, from + BEGIN.length));
  for (let hit = startsAtFrom ? from : nextLineBegin(region, from); hit !== -1; hit = nextLineBegin(region, hit)) {
    const block = blockAt(text, hit, to);
    if (block === undefined) continue;
    blocks.push(block);
    if (block.end >= to) break;
    hit = block.end;
  }
  return blocks;
}

/** The first "begin" after `after` that follows a line break, or -1. */
function nextLineBegin(region: Buffer, after: number): number {
  const lineBreak = region.indexOf(LINE_BEGIN, after);
  return lineBreak === -1 ? -1 : lineBreak + 1;
}

/** The block whose begin line starts at `start` (the search has already placed it at a line start), or undefined. */
export function blockAt(text: Buffer, start: number, to: number): UuencodedBlock | undefined {
  const dataStart = nextLineStart(text, start, to);
  const beginLine = text.subarray(start, dataStart);
  if (beginLine.length > 1024) return undefined;
  const match = BEGIN_LINE.exec(beginLine.toString('latin1'));
  if (match === null) return undefined;
  const variant = match[1] ? 'base64' : 'uuencode';
  const terminator = variant === 'base64' ? '====' : 'end';
  const fileName = bytesToText(Buffer.from(match[3], 'latin1'));
  for (let lineStart = dataStart; lineStart < to; ) {
    const lineEnd = nextLineStart(text, lineStart, to);
    const contentEnd = trimLineEnd(text, lineStart, lineEnd);
    if (contentEnd - lineStart === terminator.length && text.toString('latin1', lineStart, contentEnd) === terminator) {
      return { start, end: contentEnd, dataStart, dataEnd: lineStart, fileName, mode: match[2], variant, terminated: true };
    }
    lineStart = lineEnd;
  }
  return { start, end: to, dataStart, dataEnd: to, fileName, mode: match[2], variant, terminated: false };
}

function trimLineEnd(text: Buffer, lineStart: number, lineEnd: number): number {
  let end = lineEnd;
  while (end > lineStart && (text[end - 1] === LF || text[end - 1] === CR || text[end - 1] === SP || text[end - 1] === TAB)) end--;
  return end;
}

export function decodeUuencodedBlock(text: Buffer, block: UuencodedBlock): Buffer {
  const data = text.subarray(block.dataStart, block.dataEnd);
  return block.variant === 'base64' ? decodeBase64(data) : decodeUuencodedLines(data);
}

/** Each line: a length character, then groups of four characters carrying three bytes. */
function decodeUuencodedLines(data: Buffer): Buffer {
  // A line says how many bytes it carries (at most 63); characters missing at its end count as zeros.
  let lines = 1;
  for (let lf = data.indexOf(LF); lf !== -1; lf = data.indexOf(LF, lf + 1)) lines++;
  const output = Buffer.allocUnsafe(lines * 63);
  let written = 0;
  for (let lineStart = 0; lineStart < data.length; ) {
    const lineEnd = nextLineStart(data, lineStart);
    const length = (data[lineStart] - 0x20) & 0x3f;
    if (length === 0) break;
    const sextet = (offset: number): number => {
      const position = lineStart + 1 + offset;
      return position < lineEnd && data[position] !== LF && data[position] !== CR ? (data[position] - 0x20) & 0x3f : 0;
    };
    for (let produced = 0, group = 0; produced < length; group += 4) {
      const a = sextet(group);
      const b = sextet(group + 1);
      const c = sextet(group + 2);
      const d = sextet(group + 3);
      const triple = [(a << 2) | (b >> 4), ((b << 4) | (c >> 2)) & 0xff, ((c << 6) | d) & 0xff];
      for (let index = 0; index < 3 && produced < length; index++, produced++) output[written++] = triple[index] & 0xff;
    }
    lineStart = lineEnd;
  }
  return output.subarray(0, written);
}

/** A whole part sent with Content-Transfer-Encoding x-uuencode: the first block, else nothing. */
export function decodeUuencodedBody(body: Buffer): Buffer {
  const [block] = findUuencodedBlocks(body);
  return block === undefined ? Buffer.alloc(0) : decodeUuencodedBlock(body, block);
}
