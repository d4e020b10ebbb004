import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OffsetCommitter, type CommitOffsets } from '../../src/ingest/offset-committer.ts';

// The committer's commit function is kafkajs' commitOffsetsIfNecessary in production (exercised with the real broker
// by test/processor/shutdown.test.ts and test/reliability/crash.test.ts); here a recorder stands in to pin the order.
function recorder(failFirst = 0) {
  const commits: Record<number, string>[] = [];
  let failures = failFirst;
  const commit: CommitOffsets = async (_topic, offsets) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (failures-- > 0) throw new Error('REBALANCE_IN_PROGRESS');
    commits.push(Object.fromEntries(offsets));
  };
  return { commits, commit };
}

test('offsets queued while a commit is in flight go out together in the next one, the newest per partition', async () => {
  const errors: unknown[] = [];
  const committer = new OffsetCommitter('payments', (e) => errors.push(e));
  const { commits, commit } = recorder();
  committer.queue(0, '10', commit);
  committer.queue(1, '7', commit);
  await new Promise((resolve) => setTimeout(resolve, 1));
  committer.queue(0, '12', commit);
  committer.queue(2, '3', commit);
  committer.queue(0, '15', commit);
  await committer.flush();
  assert.deepEqual(commits, [{ 0: '10', 1: '7' }, { 0: '15', 2: '3' }]);
  assert.deepEqual(errors, []);
});

test('a failed commit is reported and its offsets go with the next one, unless newer ones replaced them', async () => {
  const errors: unknown[] = [];
  const committer = new OffsetCommitter('payments', (e) => errors.push(e));
  const { commits, commit } = recorder(1);
  committer.queue(0, '10', commit);
  committer.queue(1, '5', commit);
  await new Promise((resolve) => setTimeout(resolve, 1));
  committer.queue(1, '9', commit);
  await committer.flush();
  assert.equal(errors.length, 1);
  assert.deepEqual(commits, [{ 0: '10', 1: '9' }]);
});

test('after a rebalance what was queued is forgotten: the group\'s committed offsets are the truth', async () => {
  const committer = new OffsetCommitter('payments', () => {});
  const { commits, commit } = recorder();
  committer.queue(0, '10', commit);
  await committer.flush();
  committer.queue(0, '20', commit);
  committer.forget();
  await committer.flush();
  assert.deepEqual(commits, [{ 0: '10' }]);
});

test('with an interval, offsets queued after a commit wait for the next one, and a flush sends them at once', async () => {
  const committer = new OffsetCommitter('payments', () => {}, 60_000);
  const { commits, commit } = recorder();
  committer.queue(0, '10', commit);
  await new Promise((resolve) => setTimeout(resolve, 20));
  // the first commit went out at once; these wait for the interval (a minute) instead of a commit each
  for (let offset = 11; offset <= 15; offset++) {
    committer.queue(0, String(offset), commit);
    committer.queue(1, String(offset * 2), commit);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.deepEqual(commits, [{ 0: '10' }]);
  await committer.flush();
  assert.deepEqual(commits, [{ 0: '10' }, { 0: '15', 1: '30' }]);
});

test('a rebalance while a commit waits for the interval sends nothing: what was queued is forgotten', async () => {
  const committer = new OffsetCommitter('payments', () => {}, 30);
  const { commits, commit } = recorder();
  committer.queue(0, '10', commit);
  await new Promise((resolve) => setTimeout(resolve, 15));
  committer.queue(0, '11', commit);
  committer.forget();
  await new Promise((resolve) => setTimeout(resolve, 60));
  await committer.flush();
  assert.deepEqual(commits, [{ 0: '10' }]);
});
