import { Counter, Histogram, type Registry } from 'prom-client';

/** The scoring API's own metrics, registered once in the process registry. Labels are bounded: route, status, reason. */
export interface ApiMetrics {
  requests: Counter<'route' | 'status'>;
  requestSeconds: Histogram<'route'>;
  fallbacks: Counter<'reason'>;
  replays: Counter;
  microBatchSize: Histogram;
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  const existing = registry.getSingleMetric('vigil_api_requests_total');
  if (existing !== undefined) {
    return {
      requests: existing as Counter<'route' | 'status'>,
      requestSeconds: registry.getSingleMetric('vigil_api_request_duration_seconds') as Histogram<'route'>,
      fallbacks: registry.getSingleMetric('vigil_api_fallbacks_total') as Counter<'reason'>,
      replays: registry.getSingleMetric('vigil_api_replays_total') as Counter,
      microBatchSize: registry.getSingleMetric('vigil_api_micro_batch_size') as Histogram,
    };
  }
  const registers = [registry];
  return {
    requests: new Counter({ name: 'vigil_api_requests_total', help: 'Scoring API requests by route and HTTP status.', labelNames: ['route', 'status'], registers }),
    requestSeconds: new Histogram({
      name: 'vigil_api_request_duration_seconds',
      help: 'Scoring API time from the request to the answer, by route.',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    fallbacks: new Counter({ name: 'vigil_api_fallbacks_total', help: 'Fallback answers given because the deadline passed.', labelNames: ['reason'], registers }),
    replays: new Counter({ name: 'vigil_api_replays_total', help: 'Requests answered with the remembered decision of an event id already decided.', registers }),
    microBatchSize: new Histogram({ name: 'vigil_api_micro_batch_size', help: 'Events per scorer call made by the API.', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers }),
  };
}
