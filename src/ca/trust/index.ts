export { installRoot, uninstallRoot } from './apply.js';
export { rootIdentity, type RootIdentity } from './root-identity.js';
export { trustStatus, type TrustStatusOptions } from './status.js';
export { TARGET_KINDS, type ActionLine, type StatusLine, type TargetKind, type TrustScope } from './types.js';
