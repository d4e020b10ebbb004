import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCodes, FeatureSpecError } from '../../src/errors.ts';
import { loadFeatureSpecs, loadFeatureSpecsSync, parseFeatureSpecs } from '../../src/features/spec.ts';

const RULES = new URL('../../rules/features.yaml', import.meta.url).pathname;

function rejects(text: string, line: number, field: string, message: RegExp): void {
  assert.throws(
    () => parseFeatureSpecs(text, 'f.yaml'),
    (error: unknown) => {
      assert.ok(error instanceof FeatureSpecError, String(error));
      assert.equal(error.code, ErrorCodes.FEATURES_INVALID);
      assert.equal(error.file, 'f.yaml');
      assert.deepEqual([error.line, error.field], [line, field], error.message);
      assert.match(error.message, message);
      assert.match(error.message, new RegExp(`^f\\.yaml:${line}: `));
      return true;
    },
  );
}

describe('feature specs', () => {
  it('loads the default set: common signals, including card.count.1m and card.count.24h', async () => {
    const specs = await loadFeatureSpecs(RULES);
    const names = specs.features.map((f) => f.name);
    for (const name of ['card.count.1m', 'card.count.24h', 'device.distinct_account.1h', 'account.avg_amount.30d', 'card+terminal.count.1h']) {
      assert.ok(names.includes(name), name);
    }
    assert.equal(new Set(names).size, names.length);
    const day = specs.features.find((f) => f.name === 'card.count.24h');
    assert.deepEqual([day?.windowMs, day?.bucketMs, day?.buckets, day?.entityFields], [86_400_000, 2_880_000, 30, ['card']]);
  });

  it('parses entities, pairs, aggregates, windows and bucket overrides', () => {
    const specs = parseFeatureSpecs(
      'version: 1\nfeatures:\n  - entity: card+terminal\n    aggregates: [count, distinct_account]\n    windows: [10m]\n    buckets: 10\n',
      'x',
    );
    assert.deepEqual(
      specs.features.map((f) => [f.name, f.aggregate, f.distinctField, f.bucketMs]),
      [
        ['card+terminal.count.10m', 'count', undefined, 60_000],
        ['card+terminal.distinct_account.10m', 'distinct', 'account', 60_000],
      ],
    );
  });

  it('names file, line and field of what is wrong', () => {
    const head = 'version: 1\nfeatures:\n';
    rejects('version: 2\nfeatures: []\n', 1, 'version', /must be 1/);
    rejects(`${head}  - entity: phone\n    aggregates: [count]\n    windows: [1m]\n`, 3, 'features.0.entity', /"phone" is not an entity/);
    rejects(`${head}  - entity: card\n    aggregates: [count, median]\n    windows: [1m]\n`, 4, 'features.0.aggregates.1', /"median" is not an aggregate/);
    rejects(`${head}  - entity: card\n    aggregates: [count]\n    windows: [1m, 2 weeks]\n`, 5, 'features.0.windows.1', /not a duration/);
    rejects(`${head}  - entity: card\n    aggregates: [distinct_card]\n    windows: [1m]\n`, 4, 'features.0.aggregates.0', /always 1/);
    rejects(`${head}  - entity: card\n    aggregates: [distinct_amount]\n    windows: [1m]\n`, 4, 'features.0.aggregates.0', /cannot count distinct "amount"/);
    rejects(`${head}  - entity: card\n    aggregates: [count]\n    windows: [7ms]\n`, 5, 'features.0.windows.0', /buckets/);
    rejects(`${head}  - entity: card\n    aggregates: [count]\n    windows: [1m]\n    colour: red\n`, 6, 'features.0.colour', /unknown key/);
    rejects(`${head}  - entity: card\n    aggregates: [count]\n    windows: [24h, 1d]\n`, 5, 'features.0.windows.1', /defined twice/);
    rejects(`${head}  - entity: card+card\n    aggregates: [count]\n    windows: [1m]\n`, 3, 'features.0.entity', /twice/);
    rejects(`${head}  - entity: card\n    aggregates: []\n    windows: [1m]\n`, 4, 'features.0.aggregates', /non-empty/);
    rejects('version: 1\nfeatures: [\n', 3, '(yaml)', /./);
  });

  it('reports a file that cannot be read with its path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-spec-'));
    try {
      await assert.rejects(loadFeatureSpecs(join(dir, 'missing.yaml')), (error: unknown) => error instanceof FeatureSpecError && error.message.includes('missing.yaml'));
      await writeFile(join(dir, 'bad.yaml'), 'version: 1\nfeatures:\n  - entity: card\n    aggregates: [count]\n    windows: [fortnight]\n');
      await assert.rejects(loadFeatureSpecs(join(dir, 'bad.yaml')), /bad\.yaml:5: features\.0\.windows\.0/);
      assert.throws(() => loadFeatureSpecsSync(join(dir, 'bad.yaml')), /bad\.yaml:5: features\.0\.windows\.0/);
      assert.deepEqual(loadFeatureSpecsSync(RULES), await loadFeatureSpecs(RULES));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
