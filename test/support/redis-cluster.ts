import { startRedisCluster, type RedisClusterHandle } from '../../src/stack/redis-cluster.ts';

/** The test cluster: 3 masters + 3 replicas on 127.0.0.1:7101-7106 (ports reserved for the features tests). */
export function startTestCluster(): Promise<RedisClusterHandle> {
  return startRedisCluster({ ports: [7101, 7102, 7103, 7104, 7105, 7106], replicas: 1 });
}

export type { RedisClusterHandle };
