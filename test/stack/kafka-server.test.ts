import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newClusterId } from '../../src/stack/kafka-server.ts';

test('a new KRaft cluster id is 22 base64url characters and never starts with "-" (the storage tool would take it for an option)', () => {
  // one id in 64 would start with '-' if drawn unfiltered: 5000 draws make the filter's absence all but certain to show
  for (let i = 0; i < 5000; i++) {
    const id = newClusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/, id);
  }
});
