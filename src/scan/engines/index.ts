export * from './builtin/index.js';
export * from './clamd/index.js';
export { findingLocation } from './finding-location.js';
