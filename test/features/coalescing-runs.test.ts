import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoalescingRuns } from '../../src/features/coalescing-runs.ts';

describe('coalescing runs', () => {
  it('runs one at a time, takes every batch waiting in arrival order, and gives each caller its own slice', async () => {
    const runs: number[][] = [];
    let active = 0;
    const queue = new CoalescingRuns<number, number>(async (items) => {
      active++;
      assert.equal(active, 1, 'two runs overlapped');
      runs.push([...items]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
      return items.map((item) => item * 10);
    }, 5);
    const results = await Promise.all([queue.submit([1, 2]), queue.submit([3]), queue.submit([4, 5]), queue.submit([6, 7, 8])]);
    assert.deepEqual(results, [[10, 20], [30], [40, 50], [60, 70, 80]]);
    // the first call runs alone (nothing was waiting yet); the rest wait and are taken together, up to 5 items
    assert.deepEqual(runs, [[1, 2], [3, 4, 5], [6, 7, 8]]);
  });

  it('rejects every caller of a failed run with the mapped error, and runs the next batches', async () => {
    let calls = 0;
    const queue = new CoalescingRuns<number, number>(
      async (items) => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (calls === 2) throw new Error('down');
        return [...items];
      },
      100,
      (error) => new Error(`mapped: ${(error as Error).message}`),
    );
    const first = queue.submit([1]);
    const failed = [queue.submit([2]), queue.submit([3])];
    assert.deepEqual(await first, [1]);
    for (const result of failed) await assert.rejects(result, /mapped: down/);
    assert.deepEqual(await queue.submit([4]), [4]);
  });
});
