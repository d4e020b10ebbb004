import { startRedisCluster, type RedisClusterHandle } from '../../src/stack/redis-cluster.ts';
import { listenOnce } from './private-kafka.ts';

/** The test cluster: 3 masters + 3 replicas on 127.0.0.1:7101-7106 (ports reserved for the features tests). */
export function startTestCluster(): Promise<RedisClusterHandle> {
  return startRedisCluster({ ports: [7101, 7102, 7103, 7104, 7105, 7106], replicas: 1 });
}

/** `count` consecutive ports that are free, with their cluster bus ports (+10000) free too. */
async function freeClusterPorts(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 9000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all([...ports, ...ports.map((p) => p + 10_000)].map((p) => listenOnce(p).then(() => true, () => false)));
    if (free.every(Boolean)) return ports;
  }
  throw new Error(`no ${count} free consecutive ports for a Redis Cluster`);
}

/** A 3 masters + 3 replicas cluster on free ports, for a test that kills and restarts nodes. */
export async function startPrivateTestCluster(): Promise<RedisClusterHandle> {
  return startRedisCluster({ ports: await freeClusterPorts(6), replicas: 1 });
}

export type { RedisClusterHandle };
