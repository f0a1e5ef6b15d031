export { CaError } from './ca-error.js';
export { resolveDataDir, DATA_DIR_ENV } from './datadir.js';
export { caPaths, type CaPaths } from './paths.js';
export type { LoadedCa } from './loaded-ca.js';
export { initCa, loadCa, type InitCaResult } from './root.js';
export { describeCa, exportCa, type CaDescription, type CaExportFormat } from './describe.js';
export { LeafIssuer, type LeafIssuerOptions, type LeafPem } from './leaf.js';
export { parseServerName, type ServerName } from './server-name.js';
