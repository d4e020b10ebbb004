import { Counter, Histogram, type Registry } from 'prom-client';

/** The scoring API's own metrics, registered once in the process registry. Labels are bounded: route, status, reason. */
export interface ApiMetrics {
  requests: Counter<'route' | 'status'>;
  requestSeconds: Histogram<'route'>;
  fallbacks: Counter<'reason'>;
  replays: Counter;
  microBatchSize: Histogram;
  /** Counts an answer and its duration through label children bound once, not a label hash per request. */
  answered(route: string, status: number, seconds: number): void;
}

function bindAnswered(requests: Counter<'route' | 'status'>, requestSeconds: Histogram<'route'>): ApiMetrics['answered'] {
  const counters = new Map<string, { inc(): void }>();
  const timers = new Map<string, { observe(value: number): void }>();
  return (route, status, seconds) => {
    const key = `${route} ${status}`;
    let counter = counters.get(key);
    if (counter === undefined) counters.set(key, (counter = requests.labels(route, String(status))));
    counter.inc();
    let timer = timers.get(route);
    if (timer === undefined) timers.set(route, (timer = requestSeconds.labels(route)));
    timer.observe(seconds);
  };
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  const existing = registry.getSingleMetric('vigil_api_requests_total');
  if (existing !== undefined) {
    const requests = existing as Counter<'route' | 'status'>;
    const requestSeconds = registry.getSingleMetric('vigil_api_request_duration_seconds') as Histogram<'route'>;
    return {
      requests,
      requestSeconds,
      answered: bindAnswered(requests, requestSeconds),
      fallbacks: registry.getSingleMetric('vigil_api_fallbacks_total') as Counter<'reason'>,
      replays: registry.getSingleMetric('vigil_api_replays_total') as Counter,
      microBatchSize: registry.getSingleMetric('vigil_api_micro_batch_size') as Histogram,
    };
  }
  const registers = [registry];
  const requests = new Counter({ name: 'vigil_api_requests_total', help: 'Scoring API requests by route and HTTP status.', labelNames: ['route', 'status'], registers });
  const requestSeconds = new Histogram({
    name: 'vigil_api_request_duration_seconds',
    help: 'Scoring API time from the request to the answer, by route.',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  return {
    requests,
    requestSeconds,
    answered: bindAnswered(requests, requestSeconds),
    fallbacks: new Counter({ name: 'vigil_api_fallbacks_total', help: 'Fallback answers given because the deadline passed.', labelNames: ['reason'], registers }),
    replays: new Counter({ name: 'vigil_api_replays_total', help: 'Requests answered with the remembered decision of an event id already decided.', registers }),
    microBatchSize: new Histogram({ name: 'vigil_api_micro_batch_size', help: 'Events per scorer call made by the API.', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers }),
  };
}
