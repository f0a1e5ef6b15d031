// Preloaded (NODE_OPTIONS=--import) into a CLI under test to list the modules it has loaded: ES modules
// as the loader hook sees them, CommonJS ones from require.cache. On SIGUSR2 the list is written as
// JSON to $INBOXGUARD_TEST_LOADED_MODULES. Used to check what an idle proxy has not loaded.
import { renameSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { isMainThread, MessageChannel } from 'node:worker_threads';

const out = process.env.INBOXGUARD_TEST_LOADED_MODULES;
if (out && isMainThread) {
  const esm = [];
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url) => esm.push(url));
  port1.unref();
  register('./loaded-modules-hook.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
  const require = createRequire(import.meta.url);
  process.on('SIGUSR2', () => {
    writeFileSync(`${out}.tmp`, JSON.stringify({ esm, cjs: Object.keys(require.cache) }));
    renameSync(`${out}.tmp`, out);
  });
}
