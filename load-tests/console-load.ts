// Load test of the analyst console: N concurrent WebSocket clients (MessagePack) while alerts are
// produced to a real Kafka alerts topic at a fixed rate. Reports delivered alerts and frames per
// second, delivery delay (produce → client receive, p50/p99) and the console server's CPU, for a
// 1-client baseline and for N clients in the same run.
//
//   node --import tsx load-tests/console-load.ts --clients 200 --rate 200 --seconds 20
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import WebSocket from 'ws';
import { decode } from '@msgpack/msgpack';
import { hashPassword, tokenDigest } from '../src/sinks/console/index.ts';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '200' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
  },
});
const CLIENTS = Number(args.clients);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const BROKERS = args.brokers!.split(',');
const CLK_TCK = 100;

function alertJson(i: number, now: number): string {
  return JSON.stringify({
    eventId: `load-${i}`,
    ts: now,
    decision: i % 5 === 0 ? 'block' : 'review',
    score: i % 5 === 0 ? 85 : 60,
    reasons: [
      { rule: 'amount.over_limit', score: 60, detail: `amount ${1_000_000 + i} EUR is over the limit of 1000000` },
      { rule: 'graph.near_fraud', score: 25, detail: `payer within 2 hops of a fraud entity: account:acc-${i % 997} —device:dev-${i % 89}— account:acc-${(i * 7) % 997}` },
    ],
    features: { 'account.count_1h': i % 17, 'account.amount_24h': 10_000 + i, 'card.distinct_terminals_1h': i % 5 },
    rulesVersion: 'load-1',
    latencyMs: 1.2,
    entities: { account: `acc-${i % 997}`, card: `card-${i % 1999}`, device: `dev-${i % 89}`, ip: `10.1.${i % 250}.${i % 199}`, terminal: `term-${i % 311}` },
  });
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

interface Phase {
  clients: number;
  produced: number;
  delivered: number;
  frames: number;
  missed: number;
  p50: number;
  p99: number;
  max: number;
  serverCpuPct: number;
  seconds: number;
}

async function runPhase(kafka: Kafka, topic: string, port: number, server: ChildProcess, token: string, clients: number): Promise<Phase> {
  const delays: number[] = [];
  let delivered = 0;
  let frames = 0;
  let missed = 0;
  let measuring = false;
  const sockets: WebSocket[] = [];
  await Promise.all(
    Array.from({ length: clients }, () => new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
      ws.on('message', (data: Buffer) => {
        const now = Date.now();
        const frame = decode(data) as { t: string; backlog?: boolean; alerts?: { ts: number }[]; count?: number };
        if (!measuring) return;
        frames++;
        if (frame.t === 'missed') missed += frame.count ?? 0;
        if (frame.t !== 'alerts' || frame.backlog) return;
        for (const a of frame.alerts!) {
          delivered++;
          delays.push(now - a.ts);
        }
      });
      ws.once('open', () => resolve());
      ws.once('error', reject);
      sockets.push(ws);
    })),
  );
  await new Promise((r) => setTimeout(r, 500)); // backlogs delivered
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  measuring = true;
  const cpu0 = cpuTicks(server.pid!);
  const t0 = Date.now();
  let produced = 0;
  const tickMs = 20;
  while (Date.now() - t0 < SECONDS * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * RATE);
    const n = due - produced;
    if (n > 0) {
      const now = Date.now();
      const messages = Array.from({ length: n }, (_, k) => ({ key: `acc-${(produced + k) % 997}`, value: alertJson(produced + k, now), headers: { 'content-type': 'application/json' } }));
      produced += n;
      await producer.send({ topic, acks: -1, messages });
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  // Let the last alerts arrive (bounded wait), then stop counting.
  const expected = produced * clients;
  const drainUntil = Date.now() + 5000;
  while (delivered + missed < expected && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
  const elapsed = (Date.now() - t0) / 1000;
  const cpu1 = cpuTicks(server.pid!);
  measuring = false;
  await producer.disconnect();
  for (const ws of sockets) ws.terminate();
  const sorted = Float64Array.from(delays).sort();
  return {
    clients,
    produced,
    delivered,
    frames,
    missed,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    serverCpuPct: (((cpu1 - cpu0) / CLK_TCK) / elapsed) * 100,
    seconds: elapsed,
  };
}

async function main(): Promise<void> {
  const base = `load-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topic = `${base}.alerts`;
  const kafka = new Kafka({ clientId: base, brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [`${base}.alerts`, `${base}.labels`, `${base}.lists`, `${base}.audit`].map((t) => ({ topic: t, numPartitions: 3 })), waitForLeaders: true });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-load-'));
  const token = randomBytes(32).toString('base64url');
  const usersFile = join(dir, 'users.json');
  writeFileSync(usersFile, JSON.stringify({ users: [{ name: 'ana', role: 'analyst', password: await hashPassword(randomBytes(8).toString('hex')) }], tokens: [{ name: 'load', role: 'viewer', sha256: tokenDigest(token) }] }));
  const server = spawn(process.execPath, ['--import', 'tsx', new URL('./console-server.ts', import.meta.url).pathname], {
    env: {
      ...process.env,
      KAFKA_BROKERS: BROKERS.join(','),
      VIGIL_GROUP_ID: base,
      VIGIL_TOPIC_ALERTS: topic,
      VIGIL_TOPIC_LABELS: `${base}.labels`,
      VIGIL_TOPIC_LISTS: `${base}.lists`,
      VIGIL_TOPIC_AUDIT: `${base}.audit`,
      VIGIL_CONSOLE_PORT: '0',
      VIGIL_CONSOLE_HOST: '127.0.0.1',
      VIGIL_CONSOLE_USERS: usersFile,
      VIGIL_CONSOLE_BACKLOG: '200',
      VIGIL_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: server.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
      server.once('exit', (code) => reject(new Error(`console server exited with ${code}`)));
    });
    const phases: Phase[] = [];
    for (const clients of [1, CLIENTS]) phases.push(await runPhase(kafka, topic, port, server, token, clients));
    const cpu = cpus()[0]?.model ?? 'unknown cpu';
    console.log(`\nconsole load test: ${RATE} alerts/s for ${SECONDS}s, machine: ${cpus().length} cores (${cpu}), shared with other work`);
    console.log('clients  produced  delivered/s  frames/s  missed  p50 ms  p99 ms  max ms  server CPU %');
    for (const p of phases) {
      console.log(
        [p.clients, p.produced, (p.delivered / p.seconds).toFixed(0), (p.frames / p.seconds).toFixed(0), p.missed, p.p50.toFixed(0), p.p99.toFixed(0), p.max.toFixed(0), p.serverCpuPct.toFixed(1)]
          .map((v, i) => String(v).padStart([7, 9, 12, 9, 7, 7, 7, 7, 13][i]!))
          .join(' '),
      );
    }
    const [b, l] = phases as [Phase, Phase];
    console.log(`ratio ${l.clients}/${b.clients} clients: delivered ×${(l.delivered / Math.max(1, b.delivered)).toFixed(1)}, p99 ×${(l.p99 / b.p99).toFixed(2)}, server CPU ×${(l.serverCpuPct / Math.max(0.1, b.serverCpuPct)).toFixed(1)}`);
    console.log(JSON.stringify({ rate: RATE, seconds: SECONDS, phases }));
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await admin.deleteTopics({ topics: [`${base}.alerts`, `${base}.labels`, `${base}.lists`, `${base}.audit`] }).catch(() => {});
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
