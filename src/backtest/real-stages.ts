import { randomBytes } from 'node:crypto';
import type { FeatureStage } from '../features/index.ts';
import { labelledPayment } from '../graph/labelled-payment.ts';
import type { LabelEvent } from '../graph/index.ts';
import type { FedBackLabel } from './reference-graph.ts';
import type { LabelledGraphStage } from './run.ts';

/**
 * Builds the real stages by name, looked up at run time so this module compiles before they land on main:
 * `createRedisFeatureStage` + `loadFeatureSpecs` from src/features, `createGraphStage` + `loadGraphRules` from
 * src/graph. Throws a clear error when a stage is not in this build.
 */
export async function redisFeatureStage(options: { redisUrl: string; specsPath: string; featureNames: readonly string[]; keyPrefix?: string }): Promise<FeatureStage & { prefix: string }> {
  const mod = (await import('../features/index.ts')) as unknown as Record<string, unknown>;
  const create = mod.createRedisFeatureStage as ((o: Record<string, unknown>) => FeatureStage) | undefined;
  const load = mod.loadFeatureSpecs as ((path: string) => Promise<{ source: string; features: readonly { name: string }[] }>) | undefined;
  if (!create || !load) throw new Error('the Redis feature stage (createRedisFeatureStage) is not in this build');
  const all = await load(options.specsPath);
  const wanted = new Set(options.featureNames);
  const specs = { ...all, features: all.features.filter((f) => wanted.has(f.name)) };
  const missing = [...wanted].filter((n) => !specs.features.some((f) => f.name === n));
  if (missing.length > 0) throw new Error(`${options.specsPath} does not define ${missing.join(', ')} (read by the rules)`);
  // a unique prefix per run: a backtest never reads another run's counters; keys expire by their idle TTL
  const prefix = options.keyPrefix ?? `vigil-backtest-${randomBytes(4).toString('hex')}:`;
  const stage = create({ redis: options.redisUrl, specs, keyPrefix: prefix, latenessMs: 0, timeoutMs: 30_000 });
  return Object.assign(stage, { prefix });
}

export async function realGraphStage(options: { rulesDir: string; horizonMs: number }): Promise<LabelledGraphStage> {
  const mod = (await import('../graph/index.ts')) as unknown as Record<string, unknown>;
  const create = mod.createGraphStage as ((o: Record<string, unknown>) => Omit<LabelledGraphStage, 'applyLabel'> & { applyLabel(l: LabelEvent): boolean }) | undefined;
  const load = mod.loadGraphRules as ((dir: string) => Promise<unknown>) | undefined;
  if (!create || !load) throw new Error('the graph stage (createGraphStage) is not in this build');
  const stage = create({ rules: await load(options.rulesDir), horizonMs: options.horizonMs, queueOutgoingLinks: false });
  // the label names its payment, with the card's usual amount from that payment's decision, as a chargeback would
  const applyLabel = (l: FedBackLabel) =>
    stage.applyLabel({ entity: l.entity, label: l.label, by: l.by, at: l.at, reason: l.reason, payment: labelledPayment(l.payment, l.paymentFeatures) });
  return { check: (events, features) => stage.check(events, features), applyLabel, close: () => stage.close() };
}
