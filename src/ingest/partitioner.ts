import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const scratch = Buffer.allocUnsafe(1024);

/** Kafka's murmur2 (the Java client's `Utils.murmur2`) in 32-bit integer arithmetic, as Java computes it. */
export function murmur2(data: Uint8Array, length = data.length): number {
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) | ((data[i4 + 1]! & 0xff) << 8) | ((data[i4 + 2]! & 0xff) << 16) | ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= (data[tail + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail]! & 0xff;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

function hashKey(key: Buffer | string): number {
  if (typeof key !== 'string') return murmur2(key);
  // most keys fit the scratch buffer: no allocation per message
  if (key.length * 3 <= scratch.length) return murmur2(scratch, scratch.write(key, 0, 'utf8'));
  return murmur2(Buffer.from(key, 'utf8'));
}

/**
 * kafkajs' DefaultPartitioner (Java-compatible: a keyed message goes to murmur2(key) mod partitions, so Vigil and
 * Java producers agree), without its per-message allocations (a Long object per hash step, a buffer per key and a
 * filtered copy of the partition list per message). Same choices: the message's own partition, else by key, else
 * round robin over the partitions that have a leader.
 */
export const VigilPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) return (hashKey(message.key) & 0x7fffffff) % partitionMetadata.length;
    const counter = (counters.get(topic) ?? Math.floor(Math.random() * 2 ** 31)) + 1;
    counters.set(topic, counter);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return available[(counter & 0x7fffffff) % available.length]!.partitionId;
    return (counter & 0x7fffffff) % partitionMetadata.length;
  };
};
