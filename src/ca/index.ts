export { initCa, loadCa } from './root.js';
export { describeCa, exportCa, type CaDescription, type CaExportFormat } from './describe.js';
export { LeafIssuer } from './leaf.js';
