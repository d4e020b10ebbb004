import type { ChainableCommander } from 'ioredis';
import { defineScript, type RedisClient } from './redis-client.ts';

/** The load script (lua/load-packed.lua), registered on a client under `velocity-load:<package version>`. */
export interface LoadScript {
  /** Queues one call reading these state hashes; its reply is read with `unpackHashes`. */
  queue(pipeline: ChainableCommander, keys: readonly string[]): void;
}

type ScriptMethod = (...args: string[]) => unknown;

const SEPARATOR = 0xff;
const SEPARATOR_CHAR = '\xff';
/** A byte of a multi-byte UTF-8 character, read as latin1. */
const NON_ASCII = /[\x80-\xfe]/;

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
  // Almost always ASCII: one latin1 decoding and one split. Text with other characters is cut on the separator
  // byte first, then each piece decoded as UTF-8.
  const text = packed.toString('latin1');
  if (!NON_ASCII.test(text)) return text.split(SEPARATOR_CHAR);
  const parts: string[] = [];
  let start = 0;
  for (let end = packed.indexOf(SEPARATOR); end >= 0; end = packed.indexOf(SEPARATOR, start)) {
    parts.push(packed.toString('utf8', start, end));
    start = end + 1;
  }
  parts.push(packed.toString('utf8', start));
  return parts;
}
