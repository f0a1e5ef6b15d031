import type { Prelude, PreludeOutput } from '../../../src/protocol/prelude.js';

export type Step = { server: string } | { client: string } | { tlsReady: 'client' | 'server' };

/** A prelude's outputs in a form that does not depend on chunking: adjacent writes merged, bytes as text. */
export type Summary = (
  | { toClient: string }
  | { toServer: string }
  | { startTls: string }
  | { ready: { protocol: string; serverBytes: string; clientBytes: string; greetingPending: boolean } }
  | { protocolError: string }
  | { close: string }
)[];

export function drive(prelude: Prelude, steps: Step[], chunkSize: number): Summary {
  const summary: Summary = [];
  const collect = (outputs: PreludeOutput[]): void => {
    for (const output of outputs) {
      const last = summary[summary.length - 1];
      if (output.kind === 'toClient' && last && 'toClient' in last) last.toClient += output.bytes.toString('latin1');
      else if (output.kind === 'toServer' && last && 'toServer' in last) last.toServer += output.bytes.toString('latin1');
      else if (output.kind === 'toClient') summary.push({ toClient: output.bytes.toString('latin1') });
      else if (output.kind === 'toServer') summary.push({ toServer: output.bytes.toString('latin1') });
      else if (output.kind === 'startTls') summary.push({ startTls: output.side });
      else if (output.kind === 'close') summary.push({ close: output.reason });
      else if (output.kind === 'protocolError') summary.push({ protocolError: `${output.side} ${output.limit} ${output.value}` });
      else {
        summary.push({
          ready: {
            protocol: output.protocol,
            serverBytes: output.serverBytes.toString('latin1'),
            clientBytes: output.clientBytes.toString('latin1'),
            greetingPending: output.greetingPending,
          },
        });
      }
    }
  };
  for (const step of steps) {
    if ('tlsReady' in step) {
      prelude.tlsReady(step.tlsReady);
      collect(prelude.drain());
      continue;
    }
    const bytes = Buffer.from('server' in step ? step.server : step.client, 'latin1');
    for (let offset = 0; offset < bytes.length; offset += chunkSize) {
      const chunk = bytes.subarray(offset, offset + chunkSize);
      const ready = summary.find((entry) => 'ready' in entry);
      if (ready && 'ready' in ready) {
        // Like the session: once the prelude is ready, bytes go to the relay behind what it handed over.
        if ('server' in step) ready.ready.serverBytes += chunk.toString('latin1');
        else ready.ready.clientBytes += chunk.toString('latin1');
        continue;
      }
      if ('server' in step) prelude.fromServer(chunk);
      else prelude.fromClient(chunk);
      collect(prelude.drain());
    }
  }
  return summary;
}

/** Runs the script at several chunk sizes and checks they all give the same summary, which it returns. */
export function driveAtEveryChunking(make: () => Prelude, steps: Step[]): Summary {
  const longest = Math.max(...steps.map((step) => ('server' in step ? step.server.length : 'client' in step ? step.client.length : 0)));
  const whole = drive(make(), steps, Math.max(1, longest));
  for (const size of [1, 2, 3, 5, 7, 13]) {
    const chunked = JSON.stringify(drive(make(), steps, size));
    if (chunked !== JSON.stringify(whole)) throw new Error(`chunk size ${size} changed the outputs:\n${chunked}\nvs\n${JSON.stringify(whole)}`);
  }
  return whole;
}
