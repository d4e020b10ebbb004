import type { Redis } from 'ioredis';

/** CPU (user + system) one Redis server has used since it started, in microseconds (INFO cpu). */
export async function redisCpuMicros(node: Redis): Promise<number> {
  const info = await node.info('cpu');
  return 1e6 * (Number(/^used_cpu_user:([\d.]+)/m.exec(info)?.[1] ?? 0) + Number(/^used_cpu_sys:([\d.]+)/m.exec(info)?.[1] ?? 0));
}
