// On-CPU profile of one thread of the proxy, by function group. A --cpu-prof profile samples wall time: on
// a busy machine a call that was ready to run but waiting for a core (a write, Worker.postMessage) looks
// expensive. `perf record -e cpu-clock` samples only while the thread runs, kernel work (page faults,
// system calls) included. The proxy needs PERF_NODE_FLAGS so that perf can name its JavaScript frames.
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

export const PERF_NODE_FLAGS = ['--perf-basic-prof', '--interpreted-frames-native-stack'];
const SAMPLES_PER_SECOND = 2999;

/**
 * A sample counts in the first group that any frame of its stack matches, in this order: time in GC or a
 * socket write is that, whoever called it; a body copy is that, whichever engine called it.
 */
const GROUPS: [string, RegExp][] = [
  ['garbage collection', /CollectGarbage|Scavenge|MarkCompact/],
  ['socket writes (TLS encryption, join copy, send)', /StreamBase::Writev|StreamBase::WriteBuffer|TLSWrap::DoWrite|uv__write/],
  // The spool's append is inlined into held-bodies' once optimized.
  ['body copy into shared memory (body-spool)', /\/proxy\/(body-spool|copy-bytes)\.js|append \S*\/protocol\/held-bodies\.js/],
  ['scan dispatch and verdicts (src/scan, src/store, worker messages)', /\/scan\/|\/store\/|worker::|MessagePort/],
  ['protocol engines, session core, held bodies', /\/(imap|pop3|protocol)\//],
  ['relay, writers, pass-through pipe (src/proxy)', /\/proxy\//],
  ['TLS reads (decryption) and stream reads', /TLSWrap::ClearOut|TLSWrap::OnStreamRead|ssl3_read|uv__read/],
  ['event loop, timers, wake-ups', /uv__io_poll|epoll|uv__run|processImmediate|listOnTimeout/],
  ['other', /(?:)/],
];

export interface PerfRecording {
  /** Stops recording; the main thread's on-CPU milliseconds by group, with their total. */
  stop(): Promise<Record<string, number>>;
}

/** Records `pid`'s threads into `out` until stop(). */
export async function recordPerf(pid: number, out: string): Promise<PerfRecording> {
  const perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', String(SAMPLES_PER_SECOND), '-g', '-p', String(pid), '-o', out], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    perf.once('error', (error) => reject(new Error(`perf could not be started: ${error.message}`)));
    // Time for perf to attach before the measured work starts.
    setTimeout(resolve, 500);
  });
  return {
    stop: async () => {
      const exited = new Promise((resolve) => perf.once('exit', resolve));
      perf.kill('SIGINT');
      await exited;
      const groups = mainThreadGroups(out, pid);
      // The proxy's map of JavaScript symbols served this summary; left behind, each is a megabyte or more in /tmp.
      rmSync(`/tmp/perf-${pid}.map`, { force: true });
      return groups;
    },
  };
}

function mainThreadGroups(file: string, pid: number): Record<string, number> {
  const script = execFileSync('perf', ['script', '-i', file, '--tid', String(pid), '-F', 'tid,ip,sym'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const samples = new Map<string, number>(GROUPS.map(([name]) => [name, 0]));
  let total = 0;
  const count = (frames: string[]) => {
    if (frames.length === 0) return;
    total++;
    const [name] = GROUPS.find(([, pattern]) => frames.some((frame) => pattern.test(frame)))!;
    samples.set(name, samples.get(name)! + 1);
  };
  // Each sample is a header line followed by its frames, one per tab-indented line.
  let frames: string[] = [];
  for (const line of script.split('\n')) {
    if (line.startsWith('\t')) frames.push(line);
    else if (line.trim() !== '') {
      count(frames);
      frames = [];
    }
  }
  count(frames);
  const ms = (sampled: number) => Math.round((sampled * 1000) / SAMPLES_PER_SECOND);
  return { ...Object.fromEntries([...samples].map(([name, sampled]) => [name, ms(sampled)])), total: ms(total) };
}
