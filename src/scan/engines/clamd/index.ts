export { createClamdEngine, SIZE_LIMIT_FINDING, type ClamdEngine } from './create-clamd-engine.js';
export { describeAddress, parseClamdAddress, type ClamdAddress } from './clamd-address.js';
export { ClamdError, ClamdTimeoutError } from './clamd-errors.js';
export { parseInstreamReply } from './instream-reply.js';
