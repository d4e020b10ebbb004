import { Counter, Gauge, Registry } from 'prom-client';
import type { ConsoleFeed } from '../../admin/feeds.ts';

/**
 * The console's metric handles, created once per console server. Labels are bounded sets.
 * `clients` and `framesDropped` go through the process's console feed when there is one
 * (`vigil_console_clients`, `vigil_console_dropped_frames_total` are the admin stage's); the
 * others are the console's own.
 */
export interface ConsoleMetrics {
  clients: { set(connected: number): void };
  framesDropped: { inc(frames: number): void };
  alertsReceived: Counter;
  framesSent: Counter;
  alertsDropped: Counter;
  upgradesRefused: Counter<'reason'>;
  logins: Counter<'outcome'>;
  actions: Counter<'action' | 'outcome'>;
}

export function createConsoleMetrics(registry: Registry = new Registry(), feed?: ConsoleFeed): ConsoleMetrics {
  const registers = [registry];
  let clients: ConsoleMetrics['clients'];
  let framesDropped: ConsoleMetrics['framesDropped'];
  if (feed !== undefined) {
    clients = { set: (n) => feed.clients(n) };
    framesDropped = { inc: (n) => feed.dropped(n) };
  } else {
    clients = new Gauge({ name: 'vigil_console_clients', help: 'WebSocket clients connected to the analyst console.', registers });
    framesDropped = new Counter({ name: 'vigil_console_dropped_frames_total', help: 'Console frames dropped because a client was too slow (backpressure).', registers });
  }
  return {
    clients,
    framesDropped,
    alertsReceived: new Counter({ name: 'vigil_console_alerts_received_total', help: 'Alerts read from the alerts topic by this console.', registers }),
    framesSent: new Counter({ name: 'vigil_console_frames_sent_total', help: 'WebSocket frames sent to console clients.', registers }),
    alertsDropped: new Counter({ name: 'vigil_console_alerts_dropped_total', help: 'Alerts not sent to a client because its send buffer was over the limit (the client is told how many it missed).', registers }),
    upgradesRefused: new Counter({ name: 'vigil_console_upgrades_refused_total', help: 'WebSocket upgrades refused, by reason (credentials, origin).', labelNames: ['reason'], registers }),
    logins: new Counter({ name: 'vigil_console_logins_total', help: 'Console logins by outcome (ok, denied, locked).', labelNames: ['outcome'], registers }),
    actions: new Counter({ name: 'vigil_console_actions_total', help: 'Analyst actions by action (ack, label, list) and outcome (ok, denied, invalid, failed).', labelNames: ['action', 'outcome'], registers }),
  };
}
