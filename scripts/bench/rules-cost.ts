// What the rules cost per message, in one run: the same message evaluated (MIME walk, builtin engine,
// decision, rendering) with no rules, with the shipped defaults, and with the defaults behind 200
// filtering rules that test the subject and headers with regular expressions and do not match.
// Prints JSON. Usage: node --import tsx scripts/bench/rules-cost.ts [--rounds N]
import { configSchema } from '../../src/config/schema.js';
import { DEFAULT_RULES } from '../../src/rules/index.js';
import { createInspector, policyFrom } from '../../src/scan/create-inspector.js';
import { createEvaluator } from '../../src/scan/evaluate.js';
import { randomBytesFromSeed, withAttachments } from '../../test/helpers/messages.js';
import { median } from './mailbox.js';

const rounds = process.argv.includes('--rounds') ? Number(process.argv[process.argv.indexOf('--rounds') + 1]) : 200;
const message = withAttachments({
  seed: 5,
  subject: 'Quarterly report and photos',
  attachments: [
    { filename: 'report.pdf', contentType: 'application/pdf', content: Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytesFromSeed(200_000, 1)]) },
    { filename: 'photo.jpg', contentType: 'image/jpeg', content: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytesFromSeed(300_000, 2)]) },
    { filename: 'notes.txt', contentType: 'text/plain', content: Buffer.from('see attached\r\n'.repeat(200)) },
  ],
});
const manyFilters = Array.from({ length: 200 }, (_, index) => ({
  id: `r-bench-${index}`,
  name: `filter ${index}`,
  level: 'filtering',
  conditions: [{ any: [{ field: 'subject', op: 'matches', value: `^(urgent|invoice)-${index}\\b` }, { field: 'header', name: 'X-Mailer', op: 'contains', value: `bulk-${index}` }] }],
  actions: ['log'],
}));
const sets: Record<string, unknown[]> = { noRules: [], defaults: [...DEFAULT_RULES], defaultsBehind200Filters: [...manyFilters, ...DEFAULT_RULES] };

const context = { protocol: 'imap' as const, section: 'BODY[]', listener: 'bench', upstream: 'imap.example.org:993' };
const evaluators = await Promise.all(
  Object.entries(sets).map(async ([name, rules]) => {
    const config = configSchema.parse({ rules: { transport: rules } });
    const { inspector, close } = await createInspector(config, '/nonexistent-inboxguard-bench', ['builtin']);
    return { name, evaluate: createEvaluator(inspector, policyFrom(config)), close, times: [] as number[] };
  }),
);
for (const { evaluate } of evaluators) for (let warm = 0; warm < 20; warm++) await evaluate(message, context);
// Interleaved, so that whatever else the machine does affects every set alike.
for (let round = 0; round < rounds; round++) {
  for (const { evaluate, times } of evaluators) {
    const started = process.hrtime.bigint();
    await evaluate(message, context);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}
const results: Record<string, number> = {};
for (const { name, times, close } of evaluators) {
  results[name] = Math.round(median(times) * 1000) / 1000;
  await close();
}
console.log(
  JSON.stringify(
    {
      benchmark: 'rules cost: evaluation of one message (walk, builtin engine, rules, decision), median ms, in process',
      messageKB: Math.round(message.length / 1024),
      rounds,
      medianMs: results,
      overheadOfDefaultsMs: Math.round((results.defaults - results.noRules) * 1000) / 1000,
      overheadOf200FiltersMs: Math.round((results.defaultsBehind200Filters - results.defaults) * 1000) / 1000,
    },
    null,
    2,
  ),
);
