import { join } from 'node:path';
import { columns, csvRows } from './csv.ts';
import type { Dataset, DatasetRange, DatasetRecord } from './types.ts';

/** Time step 0 of an AMLSim run, mapped to this date; one step is one day. */
export const AMLSIM_EPOCH = Date.parse('2018-01-01T00:00:00Z');
const STEP_MS = 86_400_000;

/**
 * An AMLSim run (transactions.csv[.gz], nodes.csv[.gz]). Mapping: sourceNodeId → account (`acc-<id>`),
 * targetNodeId → beneficiary, type transfer, value (currency units) → cents, time step → ts = epoch + step days
 * (+ the row's rank within its step in ms, so order is kept). Labels are per account (nodes.csv isFraud): a transfer
 * is labelled fraud when its payer took part in a pattern; the label names the account.
 */
export function amlsimDataset(dir: string): Dataset {
  return {
    kind: 'amlsim',
    dir,
    async *records(range: DatasetRange = {}): AsyncGenerator<DatasetRecord> {
      const fraudAccounts = new Set<string>();
      const nodesPath = join(dir, 'nodes.csv.gz');
      let nc: Record<'nodeid' | 'isFraud', number> | undefined;
      for await (const row of csvRows(nodesPath)) {
        if (!nc) { nc = columns(nodesPath, row, ['nodeid', 'isFraud']); continue; }
        if (row[nc.isFraud] === '1' || row[nc.isFraud]?.toLowerCase() === 'true') fraudAccounts.add(row[nc.nodeid]!);
      }
      const path = join(dir, 'transactions.csv.gz');
      let c: Record<'sourceNodeId' | 'targetNodeId' | 'value' | 'time', number> | undefined;
      let n = 0;
      let lastStep = -1;
      let rank = 0;
      for await (const row of csvRows(path)) {
        if (!c) { c = columns(path, row, ['sourceNodeId', 'targetNodeId', 'value', 'time']); continue; }
        const step = Number(row[c.time]);
        rank = step === lastStep ? rank + 1 : 0;
        lastStep = step;
        const ts = AMLSIM_EPOCH + step * STEP_MS + rank;
        if (range.from !== undefined && ts < range.from) continue;
        if (range.to !== undefined && ts >= range.to) continue;
        const src = row[c.sourceNodeId]!;
        const id = String(n++);
        yield {
          event: { id: `aml-${id}`, ts, type: 'transfer', amount: Math.round(Number(row[c.value]) * 100), currency: 'USD', account: `acc-${src}`, beneficiary: `acc-${row[c.targetNodeId]}` },
          txId: id,
          fraud: fraudAccounts.has(src),
          labelEntities: [`account:acc-${src}`],
        };
      }
    },
  };
}
