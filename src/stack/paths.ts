import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KAFKA_VERSION = '4.4.0';

export interface StackLayout {
  projectRoot: string;
  /** Runtime state: data, logs and pid files of what `stack up` started. */
  stateDir: string;
  /** Reused across runs and clones: the Kafka jars fetched by Maven. */
  cacheDir: string;
  kafkaPort: number;
  kafkaControllerPort: number;
  redisPort: number;
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name}: expected a TCP port, got "${raw}"`);
  return port;
}

/** The layout from the environment (VIGIL_STACK_*), with `overrides` on top (e.g. a private broker's port and state dir). */
export function stackLayout(overrides: Partial<StackLayout> = {}): StackLayout {
  const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const kafkaPort = overrides.kafkaPort ?? portFromEnv('VIGIL_STACK_KAFKA_PORT', 9092);
  return {
    projectRoot,
    stateDir: resolve(process.env.VIGIL_STACK_DIR ?? join(projectRoot, '.vigil', 'stack')),
    cacheDir: resolve(process.env.VIGIL_CACHE_DIR ?? join(homedir(), '.cache', 'vigil')),
    kafkaPort,
    kafkaControllerPort: portFromEnv('VIGIL_STACK_KAFKA_CONTROLLER_PORT', kafkaPort + 1),
    redisPort: portFromEnv('VIGIL_STACK_REDIS_PORT', 6390),
    ...overrides,
  };
}
