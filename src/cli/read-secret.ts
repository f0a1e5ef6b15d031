// Asks for a secret on the terminal without echoing it (raw mode; Enter ends, Ctrl-C aborts).
import { UserError } from '../user-error.js';

export function readSecretFromTerminal(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) return Promise.reject(new UserError('no terminal to ask for the password on'));
  return new Promise((resolve, reject) => {
    let secret = '';
    const finish = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(secret);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new UserError('interrupted'));
        if (char === '\u007f' || char === '\b') secret = Array.from(secret).slice(0, -1).join('');
        else secret += char;
      }
    };
    // Echo goes off before the prompt shows, so nothing typed after it can appear.
    input.setRawMode(true);
    process.stderr.write(prompt);
    input.resume();
    input.on('data', onData);
  });
}
