import { readFileSync } from 'node:fs';
import { runningPid } from '../../src/stack/process-control.ts';
import { kafkaProcess } from '../../src/stack/kafka-server.ts';
import { stackLayout } from '../../src/stack/index.ts';
import { processCpuSeconds } from '../../load-tests/lib/vigil-process.ts';

/** CPU seconds (user + system) the stack's Kafka broker has used; undefined when it is not the stack's own. */
export function brokerCpuSeconds(): number | undefined {
  const pid = runningPid(kafkaProcess(stackLayout()));
  return pid === undefined ? undefined : processCpuSeconds(pid);
}

/** The machine's CPU time so far (all cores, in clock ticks): total, and idle (idle + iowait), from /proc/stat. */
export function machineTicks(): { total: number; idle: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user)
  const total = fields.slice(0, 8).reduce((sum, n) => sum + n, 0);
  return { total, idle: fields[3]! + fields[4]! };
}
