import type { Principal } from './auth.ts';
import { Backlog } from './backlog.ts';
import { encodeFrame, type ConsoleAlert, type FrameFormat, type ServerFrame } from './alert-codec.ts';
import type { ConsoleMetrics } from './metrics.ts';

/** What the hub needs of a WebSocket: the transport (uWebSockets.js today) stays behind this seam. */
export interface ClientSocket {
  /** False when the transport dropped the message. */
  send(data: Uint8Array | string, binary: boolean): boolean;
  /** Bytes queued for this client and not yet written to the kernel. */
  bufferedAmount(): number;
}

export interface Client {
  readonly socket: ClientSocket;
  readonly principal: Principal;
  readonly format: FrameFormat;
  /** Alerts not sent since the client's buffer went over the limit; told to it once it drains. */
  missed: number;
}

export interface HubOptions {
  backlog: number;
  /** A client whose send buffer holds more than this many bytes gets no alerts until it drains. */
  bufferLimitBytes: number;
  /** Alerts per frame, so that no frame grows past what a browser handles smoothly. */
  maxAlertsPerFrame: number;
  metrics: ConsoleMetrics;
}

const MAX_ACKS = 20_000;

type Encoded = { msgpack?: (Uint8Array | string)[]; json?: (Uint8Array | string)[] };

/**
 * Fans alerts out to console clients. Each batch is encoded once per format in use, whatever the
 * number of clients. A client over its buffer limit is skipped (never waited for), its missed count
 * grows, and it is told the count once it drains; it may then ask for a resync (the backlog again).
 */
export class Hub {
  readonly clients = new Set<Client>();
  private readonly backlog: Backlog<ConsoleAlert>;
  private readonly acks = new Map<string, { by: string; at: number }>();

  constructor(private readonly options: HubOptions) {
    this.backlog = new Backlog(options.backlog);
  }

  get backlogLength(): number {
    return this.backlog.length;
  }

  add(socket: ClientSocket, principal: Principal, format: FrameFormat): Client {
    const client: Client = { socket, principal, format, missed: 0 };
    this.clients.add(client);
    this.options.metrics.clients.set(this.clients.size);
    this.sendFrame(client, { t: 'hello', user: principal.name, role: principal.role, format, backlog: this.backlog.length });
    this.resync(client);
    return client;
  }

  remove(client: Client): void {
    this.clients.delete(client);
    this.options.metrics.clients.set(this.clients.size);
  }

  /** Sends the backlog (oldest first) to one client, whatever its missed count, then the acknowledgements of those alerts. */
  resync(client: Client): void {
    client.missed = 0;
    const alerts = this.backlog.toArray();
    for (const chunk of this.chunks(alerts)) this.sendFrame(client, { t: 'alerts', alerts: chunk, backlog: true });
    for (const alert of alerts) {
      const ack = this.acks.get(alert.eventId);
      if (ack !== undefined) this.sendFrame(client, { t: 'acked', eventId: alert.eventId, by: ack.by, at: ack.at });
    }
  }

  /** The alert of `eventId` if it is still in the backlog (the newest one with that id). */
  alertOf(eventId: string): ConsoleAlert | undefined {
    const alerts = this.backlog.toArray();
    for (let i = alerts.length - 1; i >= 0; i--) if (alerts[i]!.eventId === eventId) return alerts[i];
    return undefined;
  }

  /** An acknowledgement (from the audit topic, whichever console instance took it): kept for late joiners and sent to every client. */
  acknowledge(eventId: string, by: string, at: number): void {
    if (this.acks.has(eventId)) return;
    this.acks.set(eventId, { by, at });
    if (this.acks.size > MAX_ACKS) this.acks.delete(this.acks.keys().next().value!);
    this.broadcast({ t: 'acked', eventId, by, at });
  }

  /** Adds alerts to the backlog and sends them to every client that keeps up. */
  publish(alerts: readonly ConsoleAlert[]): void {
    if (alerts.length === 0) return;
    for (const a of alerts) this.backlog.push(a);
    if (this.clients.size === 0) return;
    const encoded: Encoded = {};
    const limit = this.options.bufferLimitBytes;
    let dropped = 0;
    let droppedFrames = 0;
    let sent = 0;
    const framesPerClient = Math.ceil(alerts.length / this.options.maxAlertsPerFrame);
    for (const client of this.clients) {
      if (client.socket.bufferedAmount() > limit) {
        client.missed += alerts.length;
        dropped += alerts.length;
        droppedFrames += framesPerClient;
        continue;
      }
      if (client.missed > 0) this.tellMissed(client);
      const frames = (encoded[client.format] ??= this.chunks(alerts).map((chunk) => encodeFrame({ t: 'alerts', alerts: chunk, backlog: false }, client.format)));
      for (const frame of frames) if (client.socket.send(frame, client.format === 'msgpack')) sent++;
    }
    if (dropped > 0) {
      this.options.metrics.alertsDropped.inc(dropped);
      this.options.metrics.framesDropped.inc(droppedFrames);
    }
    if (sent > 0) this.options.metrics.framesSent.inc(sent);
  }

  /** The transport says the client's buffer shrank: tell it what it missed. */
  drained(client: Client): void {
    if (client.missed > 0 && client.socket.bufferedAmount() <= this.options.bufferLimitBytes) this.tellMissed(client);
  }

  /** A small control frame (e.g. an acknowledgement) to every client. */
  broadcast(frame: ServerFrame): void {
    const encoded: Partial<Record<FrameFormat, Uint8Array | string>> = {};
    for (const client of this.clients) {
      const data = (encoded[client.format] ??= encodeFrame(frame, client.format));
      if (client.socket.send(data, client.format === 'msgpack')) this.options.metrics.framesSent.inc();
    }
  }

  sendFrame(client: Client, frame: ServerFrame): void {
    if (client.socket.send(encodeFrame(frame, client.format), client.format === 'msgpack')) this.options.metrics.framesSent.inc();
  }

  private tellMissed(client: Client): void {
    const count = client.missed;
    client.missed = 0;
    this.sendFrame(client, { t: 'missed', count });
  }

  private chunks(alerts: readonly ConsoleAlert[]): ConsoleAlert[][] {
    const size = this.options.maxAlertsPerFrame;
    const out: ConsoleAlert[][] = [];
    for (let i = 0; i < alerts.length; i += size) out.push(alerts.slice(i, i + size));
    return out;
  }
}
