export { ImapEngine, type ImapEngineOptions } from './engine.js';
