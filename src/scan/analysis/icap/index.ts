export { createIcapBackend, type IcapBackend, type IcapBackendOptions } from './create-icap-backend.js';
export { IcapError, IcapProtocolError, IcapTimeoutError } from './icap-errors.js';
export type { IcapServiceOptions } from './icap-options.js';
export { CONTENT_MODIFIED } from './icap-verdict.js';
