import { Counter, Gauge, Registry } from 'prom-client';

/** The console's metric handles, created once per console server. Labels are bounded sets. */
export interface ConsoleMetrics {
  clients: Gauge;
  alertsReceived: Counter;
  framesSent: Counter;
  alertsDropped: Counter;
  upgradesRefused: Counter<'reason'>;
  logins: Counter<'outcome'>;
  actions: Counter<'action' | 'outcome'>;
}

export function createConsoleMetrics(registry: Registry = new Registry()): ConsoleMetrics {
  const registers = [registry];
  return {
    clients: new Gauge({ name: 'vigil_console_clients', help: 'Connected console WebSocket clients.', registers }),
    alertsReceived: new Counter({ name: 'vigil_console_alerts_received_total', help: 'Alerts read from the alerts topic by this console.', registers }),
    framesSent: new Counter({ name: 'vigil_console_frames_sent_total', help: 'WebSocket frames sent to console clients.', registers }),
    alertsDropped: new Counter({ name: 'vigil_console_alerts_dropped_total', help: 'Alerts not sent to a client because its send buffer was over the limit (the client is told how many it missed).', registers }),
    upgradesRefused: new Counter({ name: 'vigil_console_upgrades_refused_total', help: 'WebSocket upgrades refused, by reason (credentials, origin).', labelNames: ['reason'], registers }),
    logins: new Counter({ name: 'vigil_console_logins_total', help: 'Console logins by outcome (ok, denied, locked).', labelNames: ['outcome'], registers }),
    actions: new Counter({ name: 'vigil_console_actions_total', help: 'Analyst actions by action (ack, label, list) and outcome (ok, denied, invalid, failed).', labelNames: ['action', 'outcome'], registers }),
  };
}
