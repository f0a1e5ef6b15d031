// The import graph of src/, as ../shared/DESIGN.md draws it ("Layout"). Checked by `npm run lint:imports`,
// which `npm test` runs first. Arrows point one way, from a higher layer to a lower one:
//
//   cli → doctor → control|proxy|mailbox → imap|pop3 → protocol → scan → rules → mime → store
//
// doctor/ (the checks of `inboxguard doctor`) sits beside cli: it drives a proxy of its own, so it may use
// every layer below, and nothing but cli uses it.
// Leaves any layer may import, which import no layer themselves: ca/, types/ (shared vocabulary such as
// Verdict and BodyContext) and the single files directly under src/. config/ is a leaf too, with one
// exception: it validates the rule model, so it may import rules/ (pure); rules, mime and store then
// must not import config, or the two would form a loop.
// What the scan worker loads at run time is checked apart, by .dependency-cruiser-worker.cjs.
/** @type {import('dependency-cruiser').IConfiguration} */

const layers = [['cli'], ['doctor'], ['control', 'proxy', 'mailbox'], ['imap', 'pop3'], ['protocol'], ['scan'], ['rules'], ['mime'], ['store']];
const allLayerDirs = layers.flat();
const dirs = (names) => `^src/(${names.join('|')})/`;

// A module may import its own directory, any lower layer and the leaves; never a higher layer or a sibling.
const layerRules = layers.flatMap((layer, rank) =>
  layer.flatMap((dir) => {
    const above = layers.slice(0, rank).flat();
    const siblings = layer.filter((other) => other !== dir);
    if (above.length + siblings.length === 0) return [];
    return [{
      name: `layer-${dir}`,
      comment: `${dir}/ must not import a higher layer (${above.join(', ') || 'none'}) or a sibling (${siblings.join(', ') || 'none'})`,
      severity: 'error',
      from: { path: `^src/${dir}/` },
      to: { path: dirs([...above, ...siblings]) },
    }];
  }),
);

const nodeIoModules = ['net', 'tls', 'fs', 'fs/promises', 'child_process', 'worker_threads', 'dgram', 'dns', 'http', 'https', 'http2', 'cluster'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'leaves-import-no-layer',
      comment: 'ca/, types/ and the files directly under src/ are leaves: they import no layer and not config/.',
      severity: 'error',
      from: { path: '^src/(ca/|types/|[^/]+$)' },
      to: { path: dirs([...allLayerDirs, 'config']) },
    },
    {
      name: 'config-imports-only-rules',
      comment: 'config/ is a leaf that may import the rule model it validates (rules/) and the leaves, nothing else.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: dirs(allLayerDirs.filter((dir) => dir !== 'rules')) },
    },
    {
      name: 'below-config-not-config',
      comment: 'config/ imports rules/, so rules/, mime/ and store/ must not import config/.',
      severity: 'error',
      from: { path: dirs(['rules', 'mime', 'store']) },
      to: { path: '^src/config/' },
    },
    {
      name: 'protocol-not-config',
      comment: 'The sans-io engines and their seam take what they need through EngineOptions, never from the configuration.',
      severity: 'error',
      from: { path: dirs(['protocol', 'imap', 'pop3']) },
      to: { path: '^src/config/' },
    },
    {
      name: 'sans-io-engines',
      comment: 'src/imap, src/pop3 and src/protocol are state machines: no sockets, files, processes or threads.',
      severity: 'error',
      from: { path: dirs(['protocol', 'imap', 'pop3']) },
      to: { dependencyTypes: ['core'], path: `^(node:)?(${nodeIoModules.join('|')})$` },
    },
    {
      name: 'rules-not-scan',
      comment: 'Rules are data evaluated on facts that scan/ builds; they import nothing of scan/.',
      severity: 'error',
      from: { path: '^src/rules/' },
      to: { path: '^src/scan/' },
    },
    {
      name: 'control-is-transport',
      comment: 'The control endpoint only carries requests: what they do (holds, verdicts, status) is injected by cli/, so control/ imports types/ and the leaves, no layer and not config/.',
      severity: 'error',
      from: { path: '^src/control/' },
      to: { path: dirs([...allLayerDirs.filter((dir) => dir !== 'control'), 'config']) },
    },
    {
      name: 'imapflow-only-in-mailbox-and-doctor',
      comment: 'imapflow is the IMAP client of the mailbox scan and of doctor\'s self-test; the proxy speaks IMAP through its own sans-io engine, never through a client library.',
      severity: 'error',
      from: { pathNot: '^src/(mailbox|doctor)/' },
      to: { path: '(^|/)node_modules/imapflow/' },
    },
    {
      name: 'mailbox-through-the-pipeline',
      comment: 'The mailbox scan drives the scan pipeline (scan/) and the stores; it never reaches into the IMAP/POP3 engines or the session core, which are built for relayed sessions.',
      severity: 'error',
      from: { path: '^src/mailbox/' },
      to: { path: dirs(['imap', 'pop3', 'protocol']) },
    },
    {
      name: 'store-not-scan',
      comment: 'The store keeps what scan/ hands it; the shared vocabulary lives in types/.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/scan/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    // Type-only imports count: an arrow is an arrow whether or not it survives compilation.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
