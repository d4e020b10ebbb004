export { createMetrics, type Metrics } from './metrics.ts';
export { startAdminServer, type AdminServerOptions } from './server.ts';
