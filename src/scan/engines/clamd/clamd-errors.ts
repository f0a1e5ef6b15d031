/** clamd could not be reached, broke the protocol, or reported an error. */
export class ClamdError extends Error {
  override readonly name: string = 'ClamdError';
}

/** clamd did not answer in time. The pipeline can tell this apart from other failures (verdict "timeout"). */
export class ClamdTimeoutError extends ClamdError {
  override readonly name = 'ClamdTimeoutError';
  readonly code = 'ETIMEDOUT';
}

/** The connection ended before clamd replied, typically while the stream was being sent. */
export class ClamdDroppedError extends ClamdError {
  override readonly name = 'ClamdDroppedError';
}
