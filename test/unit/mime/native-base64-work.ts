// Counts the base64 characters handed to Node's native decoder (Buffer.from(text, 'base64')) until
// `run` has settled, so a test can assert how often a body is decoded instead of timing it.
export async function nativeBase64Characters<T>(run: () => T | Promise<T>): Promise<{ result: T; characters: number }> {
  const original = Buffer.from;
  let characters = 0;
  const counting = (...args: unknown[]): Buffer => {
    if (typeof args[0] === 'string' && args[1] === 'base64') characters += args[0].length;
    return (original as (...args: unknown[]) => Buffer).apply(Buffer, args);
  };
  Buffer.from = counting as typeof Buffer.from;
  try {
    return { result: await run(), characters };
  } finally {
    Buffer.from = original;
  }
}
