export { createClamdEngine, SIZE_LIMIT_FINDING, type ClamdEngine, type ClamdEngineOptions } from './create-clamd-engine.js';
export { describeAddress, type ClamdAddress } from './clamd-address.js';
export { ClamdDroppedError, ClamdError, ClamdTimeoutError } from './clamd-errors.js';
export { parseInstreamReply, type InstreamResult } from './instream-reply.js';
