// File-name globs: `*` any run of characters, `?` one character, `[abc]`, `[a-z]`, `[!abc]` or `[^abc]`.
// Everything else is literal. Matching is anchored and case-insensitive unless asked otherwise.

/** Throws SyntaxError when a bracket class is invalid (e.g. "[z-a]"). */
export function globToRegExp(glob: string, caseSensitive = false): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index];
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const close = glob.indexOf(']', index + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let body = glob.slice(index + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      index = close;
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, caseSensitive ? 's' : 'is');
}
