// What the scan worker loads at run time, checked by `npm run lint:imports` after .dependency-cruiser.cjs.
// The worker's graph is taken as the compiler emits it: a type-only import loads nothing in the thread.
const base = require('./.dependency-cruiser.cjs');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'worker-loads-no-store',
      comment: 'The scan worker (its entry and what it runs, one per thread) evaluates bodies only: it never loads SQLite, the quarantine or the event log.',
      severity: 'error',
      from: { path: '^src/scan/scan-worker[^/]*\\.ts$' },
      to: { reachable: true, path: '(^|/)node_modules/better-sqlite3/|^src/store/(quarantine|events|rule-hits)\\.ts$' },
    },
  ],
  options: { ...base.options, tsPreCompilationDeps: false },
};
