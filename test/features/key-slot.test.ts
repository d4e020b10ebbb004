import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keySlot } from '../../src/features/key-slot.ts';

// Vectors from the Redis Cluster specification; the cluster test also checks keySlot against CLUSTER KEYSLOT.
describe('keySlot', () => {
  it('is CRC16/XMODEM modulo 16384', () => {
    assert.equal(keySlot('123456789'), 0x31c3);
    assert.equal(keySlot('foo'), 12182);
  });
  it('hashes only the first non-empty {tag}', () => {
    assert.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'));
    assert.equal(keySlot('foo{bar}{zap}'), keySlot('bar'));
    assert.equal(keySlot('foo{}{bar}'), keySlot('foo{}{bar}'));
    assert.notEqual(keySlot('foo{}{bar}'), keySlot('bar'));
    assert.equal(keySlot('vigil:{card:1}:c'), keySlot('other:{card:1}:r'));
  });
});
