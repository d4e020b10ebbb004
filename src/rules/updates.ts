import { RulesInvalidError } from '../errors.ts';
import type { BatchConsumer, OutgoingRecord, RecordProducer } from '../ingest/index.ts';
import type { ReloadableRuleEngine } from './engine.ts';
import { decodeRulesUpdate, encodeRulesUpdate } from './engine.ts';
import { compileRuleSources, readRuleSources } from './loader.ts';

/** Every rules-updates message has this key, so a compacted topic keeps only the latest set. */
export const RULES_UPDATE_KEY = 'rules';

/** The record that publishes a whole rule set (its files) on the rules-updates topic. */
export function rulesUpdateRecord(topic: string, sources: ReadonlyMap<string, string>): OutgoingRecord {
  return { topic, key: RULES_UPDATE_KEY, value: encodeRulesUpdate(sources), headers: { 'content-type': 'application/json' } };
}

/** Validates the rule set in `dir` and publishes it; an invalid set is refused (RulesInvalidError) and not sent. */
export async function publishRuleSet(producer: RecordProducer, topic: string, dir: string): Promise<string> {
  const sources = await readRuleSources(dir);
  const { ruleSet, problems } = compileRuleSources(sources);
  if (!ruleSet) throw new RulesInvalidError(problems);
  await producer.send([rulesUpdateRecord(topic, sources)]);
  return ruleSet.version;
}

/**
 * Applies every rule set published on the rules-updates topic to `engine`, in order: a valid set is swapped in
 * (origin `topic`), an invalid or undecodable one is rejected and reported through the engine's onReload
 * listeners while the running set keeps serving. Give each instance its own consumer group (e.g.
 * `vigil-rules-<instanceId>`, from the beginning) so every instance sees every update.
 */
export async function followRulesUpdates(consumer: BatchConsumer, engine: ReloadableRuleEngine): Promise<void> {
  await consumer.start(async (batch) => {
    for (const m of batch.messages) {
      if (m.value === null) continue;
      let sources: Map<string, string>;
      try {
        sources = decodeRulesUpdate(m.value);
      } catch (err) {
        const problems = err instanceof RulesInvalidError ? err.problems : [{ file: `(rules-updates ${batch.topic}/${batch.partition}@${m.offset})`, line: 1, col: 1, message: `undecodable: ${(err as Error).message}` }];
        engine.reject(problems, 'topic');
        continue;
      }
      engine.applySources(sources, 'topic');
    }
  });
}
