import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackLayout } from '../../src/stack/index.ts';

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the stack's Kafka broker has used, from its pid file and /proc; undefined when it is not the stack's own. */
export function brokerCpuSeconds(stateDir = stackLayout().stateDir): number | undefined {
  try {
    const pid = readFileSync(join(stateDir, 'kafka.pid'), 'utf8').trim();
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The machine's CPU time so far (all cores, in clock ticks): total, and idle (idle + iowait), from /proc/stat. */
export function machineTicks(): { total: number; idle: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user)
  const total = fields.slice(0, 8).reduce((sum, n) => sum + n, 0);
  return { total, idle: fields[3]! + fields[4]! };
}
