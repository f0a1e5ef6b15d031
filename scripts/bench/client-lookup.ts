// What identifying the client process costs per connection on Linux: the first lookup (a full /proc
// scan) and later ones (cached inode owners, recent processes first), for a python3 client in a child
// process holding 21 connections. Prints JSON. Usage: node --import tsx scripts/bench/client-lookup.ts
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { lookupClientApplication, platformLookup } from '../../src/proxy/client-process/index.js';

const CONNECTIONS = 21;
const lookup = platformLookup();
const accepted: net.Socket[] = [];
const server = net.createServer((socket) => accepted.push(socket));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as net.AddressInfo;
// The client is another process, as a mail client is.
const client = spawn('python3', ['-c', `import socket, time\nheld = [socket.create_connection(('127.0.0.1', ${port})) for _ in range(${CONNECTIONS})]\ntime.sleep(30)`]);
while (accepted.length < CONNECTIONS) await new Promise((resolve) => setTimeout(resolve, 20));

const times: number[] = [];
const cpu: number[] = [];
for (const socket of accepted) {
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const result = await lookupClientApplication(lookup, socket);
  const used = process.cpuUsage(cpuBefore);
  cpu.push((used.user + used.system) / 1000);
  times.push(Number(process.hrtime.bigint() - started) / 1e6);
  if (!('application' in result)) console.error(`not identified: ${result.unknown}`);
}
// 20 at once: one shared scan serves them all.
const concurrentStarted = process.hrtime.bigint();
const concurrentCpu = process.cpuUsage();
await Promise.all(accepted.slice(1).map((socket) => lookupClientApplication(lookup, socket)));
const concurrentUsed = process.cpuUsage(concurrentCpu);
const cached = times.slice(1).sort((a, b) => a - b);
const round = (ms: number) => Math.round(ms * 100) / 100;
console.log(
  JSON.stringify(
    {
      benchmark: 'client process lookup per connection (Linux /proc), ms',
      processes: readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length,
      firstLookupMs: round(times[0]),
      cachedMedianMs: round(cached[Math.floor(cached.length / 2)]),
      cachedMaxMs: round(cached[cached.length - 1]),
      // CPU time is steadier than wall time on a loaded machine.
      firstLookupCpuMs: round(cpu[0]),
      cachedMedianCpuMs: round(cpu.slice(1).sort((a, b) => a - b)[Math.floor((cpu.length - 1) / 2)]),
      concurrent20TotalMs: round(Number(process.hrtime.bigint() - concurrentStarted) / 1e6),
      concurrent20TotalCpuMs: round((concurrentUsed.user + concurrentUsed.system) / 1000),
    },
    null,
    2,
  ),
);
client.kill();
server.close();
for (const socket of accepted) socket.destroy();
