import type { ChainableCommander } from 'ioredis';
import { EntityState } from './entity-state.ts';
import { defineScript, type RedisClient } from './redis-client.ts';

/** The load script (lua/load-packed.lua), registered on a client under `velocity-load:<package version>`. */
export interface LoadScript {
  /** Queues one call reading these state hashes; its reply is read with `statesOf`. */
  queue(pipeline: ChainableCommander, keys: readonly string[]): void;
}

type ScriptMethod = (...args: string[]) => unknown;

export function registerLoadScript(client: RedisClient): LoadScript {
  const name = defineScript(client, 'velocity-load', 'load-packed.lua');
  // the Buffer variant: a packed hash is read as bytes (EntityState.fromPacked), before any text decoding
  const method = `${name}Buffer`;
  return {
    queue(pipeline, keys) {
      ((pipeline as unknown as Record<string, ScriptMethod>)[method] as ScriptMethod).call(pipeline, String(keys.length), ...keys);
    },
  };
}

/** The load script's reply: per key, its state (empty for an absent hash). */
export function statesOf(reply: unknown): EntityState[] {
  return (reply as Buffer[]).map((packed) => EntityState.fromPacked(packed));
}
