import WebSocket from 'ws';
import { decode } from '@msgpack/msgpack';
import { until } from './support.ts';

export interface FeedClient {
  ws: WebSocket;
  frames: Record<string, unknown>[];
  /** Every alert eventId received, in order, with whether it came as backlog. */
  alerts: { eventId: string; backlog: boolean }[];
  waitFor(check: (c: FeedClient) => boolean, what: string, timeoutMs?: number): Promise<void>;
  send(message: unknown): void;
  close(): void;
}

/** A real WebSocket client (the `ws` package) that decodes MessagePack or JSON frames. */
export function openFeedClient(url: string, headers: Record<string, string> = {}, format: 'msgpack' | 'json' = 'msgpack'): Promise<FeedClient> {
  const wsUrl = `${url.replace(/^http/, 'ws')}/ws${format === 'json' ? '?format=json' : ''}`;
  const ws = new WebSocket(wsUrl, { headers });
  const client: FeedClient = {
    ws,
    frames: [],
    alerts: [],
    waitFor: (check, what, timeoutMs) => until(() => check(client), what, timeoutMs),
    send: (message) => ws.send(JSON.stringify(message)),
    close: () => ws.terminate(),
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const frame = (isBinary ? decode(data) : JSON.parse(data.toString('utf8'))) as Record<string, unknown>;
    (frame as { binary?: boolean }).binary = isBinary;
    client.frames.push(frame);
    if (frame.t === 'alerts') for (const a of frame.alerts as { eventId: string }[]) client.alerts.push({ eventId: a.eventId, backlog: frame.backlog === true });
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

/** Logs in over HTTP and returns the session cookie (`name=value`). */
export async function login(url: string, user: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}
