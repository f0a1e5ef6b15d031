// Verdict sharing through Redis (#18): what the proxy and the CLI use.
export { forgetChange, verdictChange, type SharedChange } from './shared-change.js';
export { ShareConfigError, type ShareOptions } from './redis-connection.js';
export { queueSharedChange, startVerdictSharing, type RemoteOrigin, type ShareLog, type SharingStatus, type VerdictSharing, type VerdictSharingOptions } from './verdict-sharing.js';
