/**
 * Open-loop load on the scoring API at fixed rates: p50/p99/p99.9 and the highest rate with
 * p99 <= 10 ms, for micro-batched scoring and for one scorer call per request, in one run.
 *
 *   node --import tsx load-tests/api-load.ts [--rates 500,1000,2000] [--duration 8] [--warmup 2]
 *        [--connections 64] [--modes batched,single] [--redis-incr] [--deadline-ms 200]
 *
 * The server runs in a child process (load-tests/api-server.ts) against the real Kafka (KAFKA_BROKERS)
 * and, with --redis-incr, the real Redis (REDIS_URL); this process is the load generator.
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
    'redis-incr': { type: 'boolean', default: false },
    'deadline-ms': { type: 'string', default: '200' },
    out: { type: 'string', default: join(import.meta.dirname, 'results') },
  },
});

const MODES: Record<string, Record<string, string>> = {
  /** The defaults: up to 256 events per scorer call, 4 calls in flight. */
  batched: { VIGIL_API_MICROBATCH_MAX: '256', VIGIL_API_MICROBATCH_CONCURRENCY: '4' },
  'batched-c1': { VIGIL_API_MICROBATCH_MAX: '256', VIGIL_API_MICROBATCH_CONCURRENCY: '1' },
  'batched-c2': { VIGIL_API_MICROBATCH_MAX: '256', VIGIL_API_MICROBATCH_CONCURRENCY: '2' },
  /** One scorer call and one produce call per request. */
  single: { VIGIL_API_MICROBATCH_MAX: '1', VIGIL_API_MICROBATCH_CONCURRENCY: '1024' },
};
const TARGET_P99_MS = 10;

interface Server {
  child: ChildProcess;
  port: number;
  credential: string;
  /** Server-side latency quantiles (bucket upper bounds) since the last call. */
  stats(): Promise<{ count: number; p50Ms: number; p99Ms: number }>;
  stop(): Promise<string>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const nodeArgs = process.env.LOAD_SERVER_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', new URL('./api-server.ts', import.meta.url).pathname], {
    env: { ...process.env, ...env, ...(values['redis-incr'] ? { LOAD_REDIS_INCR: '1' } : {}), VIGIL_API_DEADLINE_MS: values['deadline-ms'] },
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
      return JSON.parse(line.value as string) as { count: number; p50Ms: number; p99Ms: number };
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
console.log(`node ${process.version}; duration ${values.duration}s per rate (first ${values.warmup}s not recorded); ${values.connections} connections; features: defaultStages${values['redis-incr'] ? ' + one Redis INCR pipeline per batch' : ''}`);
const summary: Record<string, { results: (OpenLoopResult & { serverP50Ms: number; serverP99Ms: number })[]; best: number | undefined; batches: string }> = {};
for (const mode of values.modes.split(',')) {
  const env = MODES[mode];
  if (env === undefined) throw new Error(`unknown mode ${mode}`);
  const server = await startServer(env);
  const request = requestFactory(server.credential, mode);
  let offset = 0;
  const results: (OpenLoopResult & { serverP50Ms: number; serverP99Ms: number })[] = [];
  console.log(`\n## ${mode} (${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')})`);
  console.log('| rate/s | achieved/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | p99 from send ms | server p50/p99 ms | statuses | fallbacks | load avg 1m |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const rate of values.rates.split(',').map(Number)) {
    const base = offset;
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
    offset += result.sent;
    const server_ = await server.stats();
    results.push({ ...result, serverP50Ms: server_.p50Ms, serverP99Ms: server_.p99Ms });
    console.log(`| ${rate} | ${result.achievedRate} | ${fmt(result.p50)} | ${fmt(result.p90)} | ${fmt(result.p99)} | ${fmt(result.p999)} | ${fmt(result.max)} | ${fmt(result.sentP99)} | ≤${server_.p50Ms} / ≤${server_.p99Ms} | ${JSON.stringify(result.statuses)} | ${result.fallbacks} | ${loadavg()[0]!.toFixed(2)} |`);
    if (result.p99 > 100 * TARGET_P99_MS || result.completed < result.sent) break;
  }
  const batches = await server.stop();
  const ok = results.filter((r) => r.p99 <= TARGET_P99_MS && r.completed === r.sent && Object.keys(r.statuses).every((s) => s === '200') && r.fallbacks === 0);
  const best = ok.length > 0 ? Math.max(...ok.map((r) => r.rate)) : undefined;
  summary[mode] = { results, best, batches };
  console.log(`highest rate with p99 <= ${TARGET_P99_MS} ms (all 200, no fallback): ${best ?? 'none'} /s; server micro-batch histogram: ${batches}`);
}
console.log(`\n${JSON.stringify(Object.fromEntries(Object.entries(summary).map(([m, s]) => [m, s.best])))}`);
mkdirSync(values.out, { recursive: true });
const file = join(values.out, `api-load-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}; Kafka, Redis, the API and the load generator on the same machine, shared with other work`;
writeFileSync(file, `${JSON.stringify({ machine, args: values, targetP99Ms: TARGET_P99_MS, modes: MODES, summary }, null, 2)}\n`);
console.log(`results: ${file}`);
