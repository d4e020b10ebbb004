import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lru } from '../../src/api/lru.ts';

test('the LRU keeps the most recently used entries up to its capacity', () => {
  const lru = new Lru<string, number>(3);
  for (const [k, v] of [['a', 1], ['b', 2], ['c', 3]] as const) lru.set(k, v);
  assert.equal(lru.get('a'), 1); // a is now the most recent: b is the oldest
  lru.set('d', 4);
  assert.equal(lru.size, 3);
  assert.equal(lru.get('b'), undefined);
  assert.deepEqual(['a', 'c', 'd'].map((k) => lru.get(k)), [1, 3, 4]);
  lru.set('c', 30); // overwriting refreshes without growing
  lru.set('e', 5);
  assert.equal(lru.get('a'), undefined);
  assert.deepEqual(['c', 'd', 'e'].map((k) => lru.get(k)), [30, 4, 5]);
});

test('against a reference model on random operations', () => {
  const capacity = 7;
  const lru = new Lru<number, number>(capacity);
  let model: [number, number][] = [];
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let step = 0; step < 5000; step++) {
    const key = Math.floor(random() * 15);
    if (random() < 0.5) {
      const found = model.find(([k]) => k === key);
      if (found) model = [...model.filter(([k]) => k !== key), found];
      assert.equal(lru.get(key), found?.[1], `step ${step}: get ${key}`);
    } else {
      model = [...model.filter(([k]) => k !== key), [key, step]];
      if (model.length > capacity) model.shift();
      lru.set(key, step);
    }
    assert.equal(lru.size, model.length);
  }
});

test('capacity 0 remembers nothing', () => {
  const lru = new Lru<string, number>(0);
  lru.set('a', 1);
  assert.equal(lru.get('a'), undefined);
  assert.equal(lru.size, 0);
});
