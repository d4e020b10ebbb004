import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DistinctCounts } from '../../src/features/distinct-counts.ts';
import { bucketField, EntityState } from '../../src/features/entity-state.ts';
import { FrequencySketch } from '../../src/features/frequency-sketch.ts';
import { approximateStateBytes, StateCache } from '../../src/features/state-cache.ts';

const use = (cache: StateCache, tag: string, times = 1): EntityState | undefined => {
  let state: EntityState | undefined;
  for (let i = 0; i < times; i++) state = cache.get(tag);
  return state;
};

describe('frequency sketch', () => {
  it('estimates each key from its own uses, saturating at 15', () => {
    const sketch = new FrequencySketch(1000);
    for (let i = 0; i < 3; i++) sketch.increment('card:a');
    for (let i = 0; i < 40; i++) sketch.increment('card:b');
    assert.equal(sketch.frequency('card:a'), 3);
    assert.equal(sketch.frequency('card:b'), 15);
    assert.equal(sketch.frequency('card:never'), 0);
  });

  it('halves every count once it has seen ten uses per counter of a row, so old popularity fades', () => {
    const sketch = new FrequencySketch(64);
    for (let i = 0; i < 12; i++) sketch.increment('hot');
    // 64 counters per row: the 640th counted use halves the table
    for (let i = 0; i < 640 - 12; i++) sketch.increment(`cold-${i}`);
    // without the halving it would be 12 or more (other keys only add to a shared counter); halved, 6 plus collisions
    const frequency = sketch.frequency('hot');
    assert.ok(frequency >= 6 && frequency < 12, `frequency ${frequency}`);
  });
});

describe('state cache', () => {
  it('keeps every state while it has room, and a cached one is replaced in place', () => {
    const cache = new StateCache(3);
    const first = new EntityState();
    const second = new EntityState();
    cache.set('a', first);
    cache.set('b', new EntityState());
    assert.equal(use(cache, 'a'), first);
    cache.set('a', second);
    assert.equal(cache.size, 2);
    assert.equal(use(cache, 'a'), second);
    assert.equal(cache.stats().admitted, 2);
  });

  it('when full, admits a state used more often than the least recently used one, which it replaces', () => {
    const cache = new StateCache(2);
    for (const tag of ['a', 'b']) {
      use(cache, tag);
      cache.set(tag, new EntityState());
    }
    assert.equal(use(cache, 'c', 3), undefined);
    cache.set('c', new EntityState());
    assert.equal(cache.size, 2);
    assert.equal(use(cache, 'a'), undefined, 'a, the least recently set, made room');
    assert.ok(use(cache, 'b') && use(cache, 'c'));
    assert.deepEqual({ ...cache.stats(), bytes: 0 }, { admitted: 3, refused: 0, bytes: 0 });
  });

  it('when full, refuses a state used no more often than the one it would replace, and keeps the cached ones', () => {
    const cache = new StateCache(2);
    for (const tag of ['a', 'b']) {
      use(cache, tag, 2);
      cache.set(tag, new EntityState());
    }
    // one use each of many one-off entities (cards seen once): none displaces a cached state
    for (let i = 0; i < 100; i++) {
      assert.equal(use(cache, `once-${i}`), undefined);
      cache.set(`once-${i}`, new EntityState());
    }
    assert.ok(use(cache, 'a') && use(cache, 'b'));
    assert.deepEqual({ ...cache.stats(), bytes: 0 }, { admitted: 2, refused: 100, bytes: 0 });
  });

  it('holds states within its byte bound: a grown state pushes the least recently used ones out, and one larger than the bound is never kept', () => {
    const small = () => new EntityState();
    const grown = () => {
      const state = new EntityState();
      for (let idx = 0; idx < 40; idx++) {
        const bucket = state.bucketOrNew(60_000, idx);
        bucket.d = new DistinctCounts('terminal', `T${idx}-0`, 1);
        for (let i = 1; i < 10; i++) bucket.d.add('terminal', `T${idx}-${i}`, 1);
      }
      return state;
    };
    const smallBytes = approximateStateBytes(small());
    const grownBytes = approximateStateBytes(grown());
    assert.ok(grownBytes > 20 * smallBytes, `${grownBytes} vs ${smallBytes}`);
    const cache = new StateCache(1000, grownBytes + Math.floor(smallBytes / 2));
    for (const tag of ['a', 'b', 'c', 'd']) cache.set(tag, small());
    assert.equal(cache.size, 4);
    assert.equal(cache.stats().bytes, 4 * smallBytes);
    // 'd' grows (its state is replaced by a bigger one): a, b, c go, least recently used first, until it fits
    use(cache, 'd', 3);
    cache.set('d', grown());
    assert.equal(cache.size, 1);
    assert.equal(cache.stats().bytes, grownBytes);
    assert.ok(use(cache, 'd'));
    const tooBig = new StateCache(1000, grownBytes - 1);
    use(tooBig, 'x', 5);
    tooBig.set('x', grown());
    assert.equal(tooBig.size, 0);
    assert.deepEqual({ ...tooBig.stats() }, { admitted: 0, refused: 1, bytes: 0 });
  });

  it('with room for none, caches nothing', () => {
    const cache = new StateCache(0);
    use(cache, 'a', 5);
    cache.set('a', new EntityState());
    assert.equal(cache.size, 0);
    assert.equal(use(cache, 'a'), undefined);
  });

  it('forgets a deleted state', () => {
    const cache = new StateCache(2);
    cache.set('a', new EntityState());
    cache.delete('a');
    assert.equal(use(cache, 'a'), undefined);
  });
});

describe('entity state from its hash', () => {
  it('reads buckets listed out of time order (a hash past its listpack size) back in time order', () => {
    const flat = ['v', 'x1', 'w', '5000', 'b:1000:5', '2:300', 'b:1000:3', '1:100', 'd:1000:3:terminal:T1', '1', 'd:1000:4:terminal:T:2', '3', 'b:1000:4', '1:7', 'ib', '1,2,'];
    const state = EntityState.fromHash(flat);
    assert.equal(state.version, 'x1');
    assert.equal(state.wm, 5000);
    assert.equal(state.vouchedFrom, 5001);
    assert.deepEqual([...state.idBuckets], [1, 2]);
    assert.deepEqual([...state.buckets.get(1000)!.keys()], [3, 4, 5]);
    assert.deepEqual({ c: state.bucket(1000, 5)!.c, s: state.bucket(1000, 5)!.s, ms: state.bucket(1000, 5)!.ms, idx: state.bucket(1000, 5)!.idx }, { c: 2, s: 300, ms: 1000, idx: 5 });
    assert.equal(bucketField(state.bucket(1000, 4)!), 'b:1000:4');
    // a distinct value may itself hold ':'
    assert.deepEqual(entriesOf(state.bucket(1000, 4)!.d!), [['terminal', 'T:2', 3]]);
    assert.deepEqual(entriesOf(state.bucket(1000, 3)!.d!), [['terminal', 'T1', 1]]);
  });

  it('reads counts and sums without slicing, and skips fields it does not know', () => {
    const state = EntityState.fromHash(['b:2000:7', '12:-250', 'b:2000:8', '3', 'd:2000:7:shoe:S1', '1', 'd:2000:7:card:C1', '4', 'q:1', '2', 'b:2000:9', '2:12.5']);
    assert.deepEqual([state.bucket(2000, 7)!.c, state.bucket(2000, 7)!.s, state.bucket(2000, 8)!.c, state.bucket(2000, 8)!.s], [12, -250, 3, 0]);
    assert.equal(state.bucket(2000, 9)!.s, 12.5, 'a sum that is not an integer is read as a number');
    assert.deepEqual(entriesOf(state.bucket(2000, 7)!.d!), [['card', 'C1', 4]]);
  });
});

function entriesOf(d: DistinctCounts): [string, string, number][] {
  const out: [string, string, number][] = [];
  d.forEach((field, value, occurrences) => out.push([field, value, occurrences]));
  return out;
}
