import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { columns, csvRows } from './csv.ts';
import type { Dataset, DatasetRange, DatasetRecord } from './types.ts';

const COLS = ['TRANSACTION_ID', 'TX_DATETIME', 'CUSTOMER_ID', 'TERMINAL_ID', 'TX_AMOUNT', 'TX_FRAUD'] as const;
const MONTH = 31 * 86_400_000;

/**
 * The fraud-handbook simulated data (one YYYY-MM.csv.gz per month, rows in time order). Mapping:
 * CUSTOMER_ID → card and account (`cust-<id>`), TERMINAL_ID → terminal, TX_AMOUNT (currency units) → integer
 * cents, TX_DATETIME → ts as UTC, currency EUR, type card_auth, TRANSACTION_ID → id (`hb-<id>`). A fraud label
 * names the card (`card:<CUSTOMER_ID>`).
 */
export function handbookDataset(dir: string): Dataset {
  return {
    kind: 'fraud-handbook',
    dir,
    async *records(range: DatasetRange = {}): AsyncGenerator<DatasetRecord> {
      const files = (await readdir(dir)).filter((f) => /^\d{4}-\d{2}\.csv(\.gz)?$/.test(f)).sort();
      for (const file of files) {
        const monthStart = Date.parse(`${file.slice(0, 7)}-01T00:00:00Z`);
        if (range.to !== undefined && monthStart >= range.to) break;
        if (range.from !== undefined && monthStart + MONTH <= range.from) continue;
        const path = join(dir, file);
        let c: Record<(typeof COLS)[number], number> | undefined;
        for await (const row of csvRows(path)) {
          if (!c) { c = columns(path, row, COLS); continue; }
          const dt = row[c.TX_DATETIME]!;
          const ts = Date.parse(`${dt.slice(0, 10)}T${dt.slice(11)}Z`);
          if (range.from !== undefined && ts < range.from) continue;
          if (range.to !== undefined && ts >= range.to) return;
          const customer = row[c.CUSTOMER_ID]!;
          const txId = row[c.TRANSACTION_ID]!;
          yield {
            event: {
              id: `hb-${txId}`,
              ts,
              type: 'card_auth',
              amount: Math.round(Number(row[c.TX_AMOUNT]) * 100),
              currency: 'EUR',
              account: `cust-${customer}`,
              card: customer,
              terminal: row[c.TERMINAL_ID]!,
            },
            txId,
            fraud: row[c.TX_FRAUD] === '1',
            labelEntities: [`card:${customer}`],
          };
        }
      }
    },
  };
}
