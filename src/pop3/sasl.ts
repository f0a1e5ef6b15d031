// The user name inside SASL client responses (RFC 4616 PLAIN, draft LOGIN), for the log and the body
// context. Only the identity is returned; decoded bytes are wiped so the password does not linger.

/**
 * The authentication identity in the first client response of an AUTH exchange, or undefined when the
 * mechanism carries none we can read (anything but PLAIN and LOGIN), the response is "=" (empty), "*"
 * (cancel) or not base64.
 */
export function saslUserName(mechanism: string, response: string): string | undefined {
  const text = response.trim();
  if (text === '' || text === '=' || text === '*' || !/^[A-Za-z0-9+/]+=*$/.test(text)) return undefined;
  const decoded = Buffer.from(text, 'base64');
  try {
    if (mechanism === 'LOGIN') return nonEmpty(decoded.toString('utf8'));
    if (mechanism !== 'PLAIN') return undefined;
    // PLAIN: authzid NUL authcid NUL passwd
    const first = decoded.indexOf(0);
    const second = first === -1 ? -1 : decoded.indexOf(0, first + 1);
    if (second === -1) return undefined;
    return nonEmpty(decoded.subarray(first + 1, second).toString('utf8'));
  } finally {
    decoded.fill(0);
  }
}

function nonEmpty(text: string): string | undefined {
  return text.length > 0 ? text : undefined;
}
