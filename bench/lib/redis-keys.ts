import type { Redis } from 'ioredis';

/** Unlinks every key starting with `prefix` (a bench's or load test's own velocity state), in SCAN pages. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 10_000 })) {
    if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]));
  }
}
