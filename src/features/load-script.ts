import type { ChainableCommander } from 'ioredis';
import { defineScript, type RedisClient } from './redis-client.ts';

/** The load script (lua/load-packed.lua), registered on a client under `velocity-load:<package version>`. */
export interface LoadScript {
  /** Queues one call reading these state hashes; its reply is read with `unpackHashes`. */
  queue(pipeline: ChainableCommander, keys: readonly string[]): void;
}

type ScriptMethod = (...args: string[]) => unknown;

const SEPARATOR = 0xff;
/** A byte of a multi-byte UTF-8 character, read as latin1. */
const NON_ASCII = /[\x80-\xfe]/;
/** Whether a packed hash holds any character outside ASCII (then its pieces are decoded as UTF-8). */
const isNonAscii = (packed: Buffer): boolean => NON_ASCII.test(packed.toString('latin1'));

export function registerLoadScript(client: RedisClient): LoadScript {
  const name = defineScript(client, 'velocity-load', 'load-packed.lua');
  // the Buffer variant: a packed hash is split on a byte, before any UTF-8 decoding
  const method = `${name}Buffer`;
  return {
    queue(pipeline, keys) {
      ((pipeline as unknown as Record<string, ScriptMethod>)[method] as ScriptMethod).call(pipeline, String(keys.length), ...keys);
    },
  };
}

/** The load script's reply: per key, its HGETALL reply (field, value, …; empty for an absent hash). */
export function unpackHashes(reply: unknown): string[][] {
  return (reply as Buffer[]).map(unpackHash);
}

export function unpackHash(packed: Buffer): string[] {
  if (packed.length === 0) return [];
  // Each piece is decoded on its own (latin1 when the hash is ASCII, almost always; else UTF-8), not split out of one
  // string: a piece split from it would keep the whole text alive for as long as the cached state holds any of its
  // fields (V8 slices longer substrings): a quarter of a cached state's heap, unseen by the cache's bound. It costs
  // ~4 µs more per state read.
  const utf8 = isNonAscii(packed);
  const parts: string[] = [];
  let start = 0;
  for (let end = packed.indexOf(SEPARATOR); end >= 0; end = packed.indexOf(SEPARATOR, start)) {
    parts.push(utf8 ? packed.toString('utf8', start, end) : packed.toString('latin1', start, end));
    start = end + 1;
  }
  parts.push(utf8 ? packed.toString('utf8', start) : packed.toString('latin1', start));
  return parts;
}
