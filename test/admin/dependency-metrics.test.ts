import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DependencyUnavailableError, ErrorCodes } from '../../src/errors.ts';
import { createMetrics } from '../../src/admin/index.ts';
import type { FeatureStage } from '../../src/features/index.ts';
import { createNoGraphStage } from '../../src/graph/index.ts';
import { startTestProcessor } from '../support/processor.ts';
import { produce, testKafka } from '../support/kafka.ts';

test('a Redis outage shows as Redis errors, redis retries and not-ready, then clears', async (t) => {
  let failures = 2;
  let readyDuringOutage: number | undefined;
  const metrics = createMetrics({ defaultMetrics: false });
  // A features stage whose Redis is down for its first two calls (the real stage rejects the same way).
  const features: FeatureStage = {
    featureNames: [],
    async compute(events) {
      if (failures > 0) {
        failures--;
        // Read on every failing call: the last one sees what the first failure did to readiness.
        readyDuringOutage = (await metrics.ready.get()).values[0]?.value;
        throw new DependencyUnavailableError(ErrorCodes.REDIS_UNAVAILABLE, 'connection refused');
      }
      return events.map(() => ({}));
    },
    close: async () => {},
  };
  const vigil = await startTestProcessor({ metrics, stages: { features, graph: createNoGraphStage() } });
  t.after(() => vigil.cleanup());
  await produce(testKafka(), vigil.topics.payments, [{ key: 'a', value: JSON.stringify({ id: 'r-1', ts: Date.now(), type: 'payment', amount: 100, currency: 'EUR', account: 'a' }) }]);
  const deadline = Date.now() + 30_000;
  const allowed = async () => (await metrics.events.get()).values.find((v) => v.labels.outcome === 'allow')?.value ?? 0;
  while ((await allowed()) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await allowed(), 1, 'the event is decided once Redis answers');
  const text = await metrics.registry.metrics();
  assert.match(text, /vigil_redis_errors_total\{code="REDIS_UNAVAILABLE"\} 2/);
  assert.match(text, /vigil_dependency_retries_total\{dependency="redis"\} 2/);
  assert.match(text, /vigil_ready 1/);
  assert.equal(readyDuringOutage, 0, 'not ready while Redis is down');
});
