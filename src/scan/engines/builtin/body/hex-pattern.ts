// Parser for ClamAV's body-signature hex format (docs.clamav.net, "Body-based Signature Content
// Format"): hex bytes, '??' any byte, 'a?' / '?a' nibbles, '*' any number of bytes, '{n}', '{n-}',
// '{-n}', '{n-m}' gaps, '[x-y]' anchored-byte gaps, '(aa|bb|...)' alternatives (single byte,
// multi-byte, or generic with nibbles and bounded gaps) and '!(aa|bb)' negated alternatives.
// Character classes (B), (L), (W) are recognised and reported as unsupported.

export type HexToken =
  /** One byte where (byte & mask) === value; mask 0xff exact, 0xf0 / 0x0f a nibble, 0 any byte. */
  | { kind: 'byte'; value: number; mask: number }
  /** Between min and max bytes of anything; max is Infinity for '*' and '{n-}'. */
  | { kind: 'gap'; min: number; max: number }
  /** One of the options; negated: any run of the options' common length that equals none of them. */
  | { kind: 'alt'; options: HexToken[][]; negated: boolean };

export class HexPatternError extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
  }
}

const HEX = '0123456789abcdef';

function hexValue(char: string): number {
  return HEX.indexOf(char.toLowerCase());
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(): HexToken[] {
    const tokens = this.sequence(false);
    if (this.pos < this.text.length) this.fail(`unexpected '${this.text[this.pos]}'`);
    return tokens;
  }

  private fail(message: string, unsupported = false): never {
    throw new HexPatternError(`${message} at column ${this.pos + 1} of the hex signature`, unsupported);
  }

  private sequence(inAlternative: boolean): HexToken[] {
    const tokens: HexToken[] = [];
    while (this.pos < this.text.length) {
      const char = this.text[this.pos];
      if (inAlternative && (char === '|' || char === ')')) break;
      if (char === '*') {
        if (inAlternative) this.fail("'*' is not allowed inside alternatives");
        this.pos++;
        tokens.push({ kind: 'gap', min: 0, max: Infinity });
      } else if (char === '{') {
        tokens.push(this.braceGap(inAlternative));
      } else if (char === '[') {
        tokens.push(this.bracketGap());
      } else if (char === '!' || char === '(') {
        if (inAlternative) this.fail('alternatives cannot be nested');
        tokens.push(this.alternative());
      } else {
        tokens.push(this.byte());
      }
    }
    return tokens;
  }

  private byte(): HexToken {
    const high = this.text[this.pos];
    const low = this.text[this.pos + 1];
    if (low === undefined) this.fail('odd number of hex digits');
    const highValue = high === '?' ? -1 : hexValue(high);
    const lowValue = low === '?' ? -1 : hexValue(low);
    if ((high !== '?' && highValue < 0) || (low !== '?' && lowValue < 0)) this.fail(`'${high}${low}' is not a hex byte`);
    this.pos += 2;
    if (highValue < 0 && lowValue < 0) return { kind: 'byte', value: 0, mask: 0 };
    if (highValue < 0) return { kind: 'byte', value: lowValue, mask: 0x0f };
    if (lowValue < 0) return { kind: 'byte', value: highValue << 4, mask: 0xf0 };
    return { kind: 'byte', value: (highValue << 4) | lowValue, mask: 0xff };
  }

  private closing(close: string): string {
    const end = this.text.indexOf(close, this.pos);
    if (end < 0) this.fail(`missing '${close}'`);
    const body = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return body;
  }

  private braceGap(inAlternative: boolean): HexToken {
    const body = this.closing('}');
    let gap: HexToken & { kind: 'gap' };
    let match: RegExpExecArray | null;
    if ((match = /^(\d+)$/.exec(body))) gap = { kind: 'gap', min: Number(match[1]), max: Number(match[1]) };
    else if ((match = /^(\d+)-$/.exec(body))) gap = { kind: 'gap', min: Number(match[1]), max: Infinity };
    else if ((match = /^-(\d+)$/.exec(body))) gap = { kind: 'gap', min: 0, max: Number(match[1]) };
    else if ((match = /^(\d+)-(\d+)$/.exec(body))) gap = { kind: 'gap', min: Number(match[1]), max: Number(match[2]) };
    else this.fail(`'{${body}}' is not {n}, {n-}, {-n} or {n-m}`);
    if (gap.max < gap.min) this.fail(`'{${body}}': the upper bound is below the lower bound`);
    if (inAlternative && gap.max === Infinity) this.fail(`'{${body}}' must be bounded inside alternatives`);
    return gap;
  }

  private bracketGap(): HexToken {
    const body = this.closing(']');
    const match = /^(\d+)-(\d+)$/.exec(body);
    if (!match) this.fail(`'[${body}]' is not [x-y]`);
    const min = Number(match[1]);
    const max = Number(match[2]);
    if (max < min) this.fail(`'[${body}]': the upper bound is below the lower bound`);
    return { kind: 'gap', min, max };
  }

  private alternative(): HexToken {
    const negated = this.text[this.pos] === '!';
    if (negated) {
      this.pos++;
      if (this.text[this.pos] !== '(') this.fail("'!' must be followed by '('");
    }
    const classMatch = /^\(([BLW])\)/.exec(this.text.slice(this.pos));
    if (classMatch) this.fail(`character class (${classMatch[1]}) is not supported`, true);
    this.pos++; // '('
    const options: HexToken[][] = [];
    for (;;) {
      const option = this.sequence(true);
      if (option.length === 0) this.fail('empty alternative');
      options.push(option);
      const char = this.text[this.pos];
      if (char === undefined) this.fail("missing ')'");
      this.pos++;
      if (char === ')') break;
    }
    if (negated) {
      const length = options[0].length;
      const exactOnly = options.every((o) => o.length === length && o.every((t) => t.kind === 'byte' && t.mask === 0xff));
      if (!exactOnly) this.fail('negated alternatives must be plain hex strings of one length');
    }
    return { kind: 'alt', options, negated };
  }
}

export function parseHexPattern(text: string): HexToken[] {
  if (text === '') throw new HexPatternError('empty hex signature');
  const tokens = new Parser(text).parse();
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  if (first.kind === 'gap' || last.kind === 'gap') throw new HexPatternError('a hex signature cannot start or end with a gap');
  return tokens;
}
