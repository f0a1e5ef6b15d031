// How one leg of a connection speaks TLS: from the first byte, after STARTTLS/STLS, or not at all.
// A leaf: the configuration validates it, the preludes act on it.
export const TLS_MODES = ['implicit', 'starttls', 'none'] as const;

export type TlsMode = (typeof TLS_MODES)[number];
