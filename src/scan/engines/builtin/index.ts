export { createBuiltinEngine, type BuiltinEngine } from './create-builtin-engine.js';
export { EICAR_STRING } from './eicar.js';
export { shippedSignatureDir } from './signatures/shipped-signature-dir.js';
export { formatWarning } from './signatures/signature-warnings.js';
