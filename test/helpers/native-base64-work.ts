// Counts the base64 characters handed to Node's native decoder (Buffer.from(text, 'base64') and
// buffer.write(text, …, 'base64')) until `run` has settled, so a test can assert how often a body is
// decoded instead of timing it.
export async function nativeBase64Characters<T>(run: () => T | Promise<T>): Promise<{ result: T; characters: number }> {
  const from = Buffer.from;
  const write = Buffer.prototype.write;
  let characters = 0;
  const count = (args: unknown[]): void => {
    if (typeof args[0] === 'string' && args.slice(1).includes('base64')) characters += args[0].length;
  };
  Buffer.from = ((...args: unknown[]) => {
    count(args);
    return (from as (...args: unknown[]) => Buffer).apply(Buffer, args);
  }) as typeof Buffer.from;
  Buffer.prototype.write = function (this: Buffer, ...args: unknown[]) {
    count(args);
    return (write as (...args: unknown[]) => number).apply(this, args);
  } as typeof Buffer.prototype.write;
  try {
    return { result: await run(), characters };
  } finally {
    Buffer.from = from;
    Buffer.prototype.write = write;
  }
}
