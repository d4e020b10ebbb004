import { readFileSync } from 'node:fs';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './redis-client.ts';

/**
 * The velocity script (lua/velocity-3n.lua: 3 keys per entity) registered on a client under
 * `velocity:<package version>`.
 */
export interface VelocityScript {
  readonly name: string;
  /** Queues one EVALSHA (EVAL on NOSCRIPT, by ioredis) on a pipeline; the reply is one string per event. */
  queue(pipeline: ChainableCommander, keys: readonly string[], argv: readonly string[]): void;
}

type ScriptMethod = (...args: string[]) => unknown;

export function registerVelocityScript(client: RedisClient): VelocityScript {
  const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const name = `velocity:${version}`;
  if (typeof (client as unknown as Record<string, unknown>)[name] !== 'function') {
    const lua = readFileSync(new URL('./lua/velocity-3n.lua', import.meta.url), 'utf8');
    client.defineCommand(name, { lua }); // the number of keys is given on each call
  }
  return {
    name,
    queue(pipeline, keys, argv) {
      ((pipeline as unknown as Record<string, ScriptMethod>)[name] as ScriptMethod).call(pipeline, String(keys.length), ...keys, ...argv);
    },
  };
}
