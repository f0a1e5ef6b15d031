// The user name inside a SASL client response, for the log. Secrets are never decoded: the
// base64 is decoded four characters at a time and decoding stops at the separator that precedes
// the password or token; the at most two secret bytes a last group may carry are wiped.

const MAX_IDENTITY_BYTES = 1024;

/** Decodes base64 until `stopAfter` returns the length of the non-secret prefix; returns that prefix. */
function decodePrefix(base64: string, stopAfter: (decoded: Buffer, length: number) => number): Buffer | undefined {
  const clean = base64.trim();
  if (clean === '' || clean === '=' || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  const out = Buffer.alloc(Math.min(MAX_IDENTITY_BYTES + 3, Math.ceil(clean.length / 4) * 3));
  let length = 0;
  for (let i = 0; i < clean.length && length + 3 <= out.length; i += 4) {
    const group = Buffer.from(clean.slice(i, i + 4), 'base64');
    group.copy(out, length);
    length += group.length;
    group.fill(0);
    const prefix = stopAfter(out, length);
    if (prefix >= 0) {
      const result = Buffer.from(out.subarray(0, prefix));
      out.fill(0);
      return result;
    }
  }
  out.fill(0);
  return undefined;
}

/** PLAIN (RFC 4616): [authzid] NUL authcid NUL passwd. The authorization identity wins if given. */
function plainIdentity(base64: string): string | undefined {
  const prefix = decodePrefix(base64, (decoded, length) => {
    const first = decoded.indexOf(0);
    if (first < 0 || first >= length) return -1;
    const second = decoded.indexOf(0, first + 1);
    return second >= 0 && second < length ? second : -1;
  });
  if (!prefix) return undefined;
  const nul = prefix.indexOf(0);
  const authzid = prefix.subarray(0, nul).toString('utf8');
  const authcid = prefix.subarray(nul + 1).toString('utf8');
  return authzid || authcid || undefined;
}

/** XOAUTH2: "user=" name ^A "auth=Bearer " token ^A ^A. */
function xoauth2Identity(base64: string): string | undefined {
  const prefix = decodePrefix(base64, (decoded, length) => {
    const sep = decoded.indexOf(1);
    return sep >= 0 && sep < length ? sep : -1;
  });
  const text = prefix?.toString('utf8');
  return text?.startsWith('user=') ? text.slice(5) || undefined : undefined;
}

/** LOGIN mechanism: the first client response is the user name alone. */
function loginIdentity(base64: string): string | undefined {
  const clean = base64.trim();
  if (clean === '' || clean === '=' || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  const name = Buffer.from(clean, 'base64').toString('utf8');
  return name || undefined;
}

export function saslIdentity(mechanism: string, firstResponse: string): string | undefined {
  switch (mechanism.toUpperCase()) {
    case 'PLAIN':
      return plainIdentity(firstResponse);
    case 'XOAUTH2':
      return xoauth2Identity(firstResponse);
    case 'LOGIN':
      return loginIdentity(firstResponse);
    default:
      return undefined;
  }
}
