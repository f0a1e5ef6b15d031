/** The ICAP server could not be reached, broke the protocol, or answered with an error status. */
export class IcapError extends Error {
  override readonly name: string = 'IcapError';
}

/** The ICAP server did not answer in time. */
export class IcapTimeoutError extends IcapError {
  override readonly name = 'IcapTimeoutError';
  readonly code = 'ETIMEDOUT';
}

/** The response broke RFC 3507 framing or passed a size limit. */
export class IcapProtocolError extends IcapError {
  override readonly name = 'IcapProtocolError';
}
