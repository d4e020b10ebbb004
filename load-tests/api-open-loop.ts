import { connect, type Socket } from 'node:net';

/**
 * An open-loop HTTP/1.1 load generator: requests are sent on a fixed schedule whatever the answers
 * do, and each latency counts from the request's scheduled time (not from when a connection was
 * free), so a slow server cannot hide its queueing (no coordinated omission). Raw keep-alive
 * sockets, one request in flight per socket, a FIFO of requests waiting for a free socket.
 */
export interface OpenLoopOptions {
  host: string;
  port: number;
  /** Requests per second. */
  rate: number;
  durationMs: number;
  /** Latencies of requests scheduled in the first warmupMs are not recorded. */
  warmupMs: number;
  connections: number;
  /** The raw request for the i-th send (request line, headers and body). */
  request(i: number): Buffer;
}

export interface OpenLoopResult {
  rate: number;
  sent: number;
  completed: number;
  /** Answers per status, e.g. { '200': 9990, '503': 10 }. */
  statuses: Record<string, number>;
  fallbacks: number;
  achievedRate: number;
  /** Latency percentiles in ms, from each request's scheduled time. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** p50/p99 from when the request was written to its socket (without the generator's timer lag and queueing for a free socket). */
  sentP50: number;
  sentP99: number;
}

interface Conn {
  socket: Socket;
  buffer: Buffer;
  busy: boolean;
  scheduledNs: bigint;
  sentNs: bigint;
  record: boolean;
}

const HEADER_END = Buffer.from('\r\n\r\n');

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const total = Math.round((options.rate * options.durationMs) / 1000);
  const intervalNs = 1e9 / options.rate;
  const latencies = new Float64Array(total);
  const fromSend = new Float64Array(total);
  let recorded = 0;
  let completed = 0;
  let fallbacks = 0;
  const statuses: Record<string, number> = {};
  const waiting: { i: number; scheduledNs: bigint }[] = [];
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const conns: Conn[] = await Promise.all(
    Array.from(
      { length: options.connections },
      () =>
        new Promise<Conn>((resolve, reject) => {
          const socket = connect({ host: options.host, port: options.port, noDelay: true }, () => resolve(conn));
          const conn: Conn = { socket, buffer: Buffer.alloc(0), busy: false, scheduledNs: 0n, sentNs: 0n, record: false };
          socket.once('error', reject);
        }),
    ),
  );
  const startNs = process.hrtime.bigint();
  const warmupNs = BigInt(Math.round(options.warmupMs * 1e6));

  const dispatch = (conn: Conn, i: number, scheduledNs: bigint) => {
    conn.busy = true;
    conn.scheduledNs = scheduledNs;
    conn.record = scheduledNs - startNs >= warmupNs;
    conn.socket.write(options.request(i));
    conn.sentNs = process.hrtime.bigint();
  };

  for (const conn of conns) {
    conn.socket.on('data', (chunk: Buffer) => {
      conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
      for (;;) {
        const end = conn.buffer.indexOf(HEADER_END);
        if (end < 0) return;
        const head = conn.buffer.toString('latin1', 0, end);
        const match = /content-length: *(\d+)/i.exec(head);
        const length = match === null ? 0 : Number(match[1]);
        if (conn.buffer.length < end + 4 + length) return;
        const nowNs = process.hrtime.bigint();
        const status = head.slice(9, 12);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (/vigil-fallback:/i.test(head)) fallbacks++;
        if (conn.record) {
          fromSend[recorded] = Number(nowNs - conn.sentNs) / 1e6;
          latencies[recorded++] = Number(nowNs - conn.scheduledNs) / 1e6;
        }
        conn.buffer = conn.buffer.subarray(end + 4 + length);
        completed++;
        conn.busy = false;
        const next = waiting.shift();
        if (next !== undefined) dispatch(conn, next.i, next.scheduledNs);
        if (completed === total) finish();
      }
    });
    conn.socket.on('error', () => {});
  }

  let sent = 0;
  let free = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsedNs = Number(process.hrtime.bigint() - startNs);
      const due = Math.min(total, Math.floor(elapsedNs / intervalNs) + 1);
      while (sent < due) {
        const scheduledNs = startNs + BigInt(Math.round(sent * intervalNs));
        let conn: Conn | undefined;
        for (let k = 0; k < conns.length && conn === undefined; k++) {
          const c = conns[(free + k) % conns.length]!;
          if (!c.busy) conn = c;
        }
        free = (free + 1) % conns.length;
        if (conn === undefined) waiting.push({ i: sent, scheduledNs });
        else dispatch(conn, sent, scheduledNs);
        sent++;
      }
      // A 1 ms timer, not a busy loop: the generator must not starve the server of the second core.
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const timeout = setTimeout(finish, 30_000);
  await done;
  clearTimeout(timeout);
  const elapsedS = Number(process.hrtime.bigint() - startNs) / 1e9;
  for (const conn of conns) conn.socket.destroy();
  const sorted = latencies.slice(0, recorded).sort();
  const sortedFromSend = fromSend.slice(0, recorded).sort();
  return {
    rate: options.rate,
    sent,
    completed,
    statuses,
    fallbacks,
    achievedRate: Math.round(completed / elapsedS),
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    sentP50: percentile(sortedFromSend, 0.5),
    sentP99: percentile(sortedFromSend, 0.99),
  };
}
