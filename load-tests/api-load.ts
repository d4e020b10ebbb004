/**
 * Open-loop load on the scoring API at fixed rates: p50/p99/p99.9 and the highest rate with
 * p99 <= 10 ms, for micro-batched scoring and for one scorer call per request, in one run.
 *
 *   node --import tsx load-tests/api-load.ts [--rates 500,1000,2000] [--duration 8] [--warmup 2] [--reps 3]
 *        [--connections 128] [--modes batched,single] [--deadline-ms 200]
 *
 * Steps interleave modes and repetitions (rate by rate); the summary gives, per mode and rate, the
 * median of the repetitions' percentiles, and the highest rate whose median p99 is within 10 ms.
 *
 * The server runs in a child process (load-tests/api-server.ts) against the real Kafka (KAFKA_BROKERS)
 * and Redis (REDIS_URL); this process is the load generator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { runOpenLoop, type OpenLoopResult } from './api-open-loop.ts';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '500,1000,2000,3000,4000,6000,8000' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '128' },
    modes: { type: 'string', default: 'batched,single' },
    'deadline-ms': { type: 'string', default: '200' },
    out: { type: 'string', default: join(import.meta.dirname, 'results') },
    reps: { type: 'string', default: '3' },
  },
});

const MODES: Record<string, Record<string, string>> = {
  /** The defaults: up to 256 events per scorer call, 4 calls in flight. */
  batched: { VIGIL_API_MICROBATCH_MAX: '256', VIGIL_API_MICROBATCH_CONCURRENCY: '4' },
  'batched-c1': { VIGIL_API_MICROBATCH_MAX: '256', VIGIL_API_MICROBATCH_CONCURRENCY: '1' },
  'batched-c2': { VIGIL_API_MICROBATCH_MAX: '256', VIGIL_API_MICROBATCH_CONCURRENCY: '2' },
  'batched-linger1': { VIGIL_API_MICROBATCH_MAX: '256', VIGIL_API_MICROBATCH_CONCURRENCY: '4', VIGIL_API_MICROBATCH_LINGER_MS: '1' },
  'batched-linger2': { VIGIL_API_MICROBATCH_MAX: '256', VIGIL_API_MICROBATCH_CONCURRENCY: '4', VIGIL_API_MICROBATCH_LINGER_MS: '2' },
  /** One scorer call and one produce call per request. */
  single: { VIGIL_API_MICROBATCH_MAX: '1', VIGIL_API_MICROBATCH_CONCURRENCY: '1024' },
};
const TARGET_P99_MS = 10;

interface Server {
  child: ChildProcess;
  port: number;
  credential: string;
  /** Server-side latency quantiles (bucket upper bounds) since the last call. */
  stats(): Promise<{ count: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: number; cpuCores: number }>;
  stop(): Promise<string>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const nodeArgs = process.env.LOAD_SERVER_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', new URL('./api-server.ts', import.meta.url).pathname], {
    env: { ...process.env, ...env, VIGIL_API_DEADLINE_MS: values['deadline-ms'] },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('the API server exited before it was ready');
  const { port, credential } = JSON.parse(first.value) as { port: number; credential: string };
  return {
    child,
    port,
    credential,
    async stats() {
      child.stdin!.write('stats\n');
      const line = await lines.next();
      return JSON.parse(line.value as string) as { count: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: number; cpuCores: number };
    },
    async stop() {
      child.kill('SIGTERM');
      const last = await lines.next();
      return last.done ? '' : last.value;
    },
  };
}

function requestFactory(credential: string, mode: string): (i: number) => Buffer {
  const run = `${mode}-${Date.now().toString(36)}`;
  const head = `POST /v1/score HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${credential}\r\ncontent-type: application/json\r\n`;
  return (i) => {
    // 10k accounts; every 50th payment over the amount limit, so alerts are produced too.
    const body = JSON.stringify({ id: `${run}-${i}`, ts: Date.now(), type: 'payment', amount: i % 50 === 0 ? 5_000_000 : 1000 + (i % 997), currency: 'EUR', account: `acc-${i % 10_000}`, card: `card-${i % 20_000}`, device: `dev-${i % 15_000}`, ip: `10.0.${(i >> 8) & 255}.${i & 255}`, merchant: `m-${i % 500}`, country: 'DE', channel: 'ecom' });
    return Buffer.from(`${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
}

const fmt = (n: number) => (Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1));

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (shared with other work)`);
console.log(`node ${process.version}; duration ${values.duration}s per rate (first ${values.warmup}s not recorded); ${values.connections} connections; stages: configuredStages (Redis velocity features, graph, rules)`);
type Step = OpenLoopResult & { rep: number; serverP50Ms: number; serverP99Ms: number; cpuUsPerRequest: number; cpuCores: number; loadAvg: number };
const modes = values.modes.split(',');
for (const mode of modes) if (MODES[mode] === undefined) throw new Error(`unknown mode ${mode}`);
const reps = Number(values.reps);
// Every mode's server runs for the whole test, and the steps interleave modes and repetitions, so a burst
// of other work on the shared machine hits all modes alike instead of spoiling one of them.
const servers = new Map<string, Server>();
for (const mode of modes) servers.set(mode, await startServer(MODES[mode]!));
const requests = new Map(modes.map((mode) => [mode, requestFactory(servers.get(mode)!.credential, mode)]));
const offsets = new Map(modes.map((mode) => [mode, 0]));
const steps = new Map<string, Step[]>(modes.map((mode) => [mode, []]));
const collapsed = new Set<string>();
console.log('\n| mode | rate/s | rep | achieved/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | p99 from send ms | server p50/p99 ms | server CPU µs/req (cores) | statuses | fallbacks | load avg 1m |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const rate of values.rates.split(',').map(Number)) {
  for (let rep = 1; rep <= reps; rep++) {
    for (const mode of modes) {
      if (collapsed.has(mode)) continue;
      const server = servers.get(mode)!;
      const request = requests.get(mode)!;
      const base = offsets.get(mode)!;
      await server.stats();
      const result = await runOpenLoop({
        host: '127.0.0.1',
        port: server.port,
        rate,
        durationMs: Number(values.duration) * 1000,
        warmupMs: Number(values.warmup) * 1000,
        connections: Number(values.connections),
        request: (i) => request(base + i),
      });
      offsets.set(mode, base + result.sent);
      const side = await server.stats();
      const step: Step = { ...result, rep, serverP50Ms: side.p50Ms, serverP99Ms: side.p99Ms, cpuUsPerRequest: side.cpuUsPerRequest, cpuCores: side.cpuCores, loadAvg: loadavg()[0]! };
      steps.get(mode)!.push(step);
      console.log(`| ${mode} | ${rate} | ${rep} | ${result.achievedRate} | ${fmt(result.p50)} | ${fmt(result.p90)} | ${fmt(result.p99)} | ${fmt(result.p999)} | ${fmt(result.max)} | ${fmt(result.sentP99)} | ≤${side.p50Ms} / ≤${side.p99Ms} | ${side.cpuUsPerRequest} (${side.cpuCores}) | ${JSON.stringify(result.statuses)} | ${result.fallbacks} | ${step.loadAvg.toFixed(2)} |`);
      if (result.completed < result.sent || result.achievedRate < 0.9 * rate) collapsed.add(mode);
    }
  }
}
const batches = new Map<string, string>();
for (const [mode, server] of servers) batches.set(mode, await server.stop());

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const clean = (r: Step) => r.completed === r.sent && Object.keys(r.statuses).every((code) => code === '200') && r.fallbacks === 0;
const summary: Record<string, { best: number | undefined; medians: Record<string, { p50: number; p99: number; p999: number; cpuUsPerRequest: number; clean: boolean }>; batches: string; steps: Step[] }> = {};
console.log(`\n## medians over ${reps} interleaved repetitions (p99 range in brackets)`);
console.log('| mode | rate/s | p50 ms | p99 ms | p99.9 ms | server CPU µs/req | all 200, no fallback |');
console.log('|---|---|---|---|---|---|---|');
for (const mode of modes) {
  const byRate = new Map<number, Step[]>();
  for (const step of steps.get(mode)!) byRate.set(step.rate, [...(byRate.get(step.rate) ?? []), step]);
  const medians: Record<string, { p50: number; p99: number; p999: number; cpuUsPerRequest: number; clean: boolean }> = {};
  let best: number | undefined;
  for (const [rate, list] of byRate) {
    const m = { p50: median(list.map((r) => r.p50)), p99: median(list.map((r) => r.p99)), p999: median(list.map((r) => r.p999)), cpuUsPerRequest: median(list.map((r) => r.cpuUsPerRequest)), clean: list.length === reps && list.every(clean) };
    medians[rate] = m;
    if (m.clean && m.p99 <= TARGET_P99_MS) best = Math.max(best ?? 0, rate);
    const p99s = list.map((r) => r.p99);
    console.log(`| ${mode} | ${rate} | ${fmt(m.p50)} | ${fmt(m.p99)} [${fmt(Math.min(...p99s))}–${fmt(Math.max(...p99s))}] | ${fmt(m.p999)} | ${m.cpuUsPerRequest} | ${m.clean ? 'yes' : 'no'} |`);
  }
  summary[mode] = { best, medians, batches: batches.get(mode)!, steps: steps.get(mode)! };
}
for (const mode of modes) console.log(`${mode}: highest rate with median p99 <= ${TARGET_P99_MS} ms: ${summary[mode]!.best ?? 'none'} /s; server: ${summary[mode]!.batches}`);
mkdirSync(values.out, { recursive: true });
const file = join(values.out, `api-load-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}; Kafka, Redis, the API and the load generator on the same machine, shared with other work`;
writeFileSync(file, `${JSON.stringify({ machine, args: values, targetP99Ms: TARGET_P99_MS, modes: Object.fromEntries(modes.map((m) => [m, MODES[m]])), summary }, null, 2)}\n`);
console.log(`results: ${file}`);
