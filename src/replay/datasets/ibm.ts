import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { csvRows } from './csv.ts';
import type { Dataset, DatasetRange, DatasetRecord } from './types.ts';

const CURRENCIES: Record<string, string> = {
  'US Dollar': 'USD', Euro: 'EUR', 'UK Pound': 'GBP', Yen: 'JPY', Yuan: 'CNY', Rupee: 'INR', Ruble: 'RUB', 'Swiss Franc': 'CHF',
  'Australian Dollar': 'AUD', 'Canadian Dollar': 'CAD', 'Mexican Peso': 'MXN', Shekel: 'ILS', 'Brazil Real': 'BRL', 'Saudi Riyal': 'SAR', Bitcoin: 'XBT',
};

/**
 * IBM AMLworld HI-Small transactions (HI-Small_Trans*.csv[.gz]: Timestamp, From Bank, Account, To Bank,
 * Account.1, Amount Received, Receiving Currency, Amount Paid, Payment Currency, Payment Format, Is Laundering).
 * Mapping: bank+Account → account, bank+Account.1 → beneficiary, Amount Paid → cents, Payment Currency → ISO code,
 * Payment Format → channel, type transfer. The head file is not time-ordered: it is small (28k rows) and is
 * sorted in memory; a full-size file would need an external sort first.
 */
export function ibmDataset(dir: string): Dataset {
  return {
    kind: 'ibm-hi-small',
    dir,
    async *records(range: DatasetRange = {}): AsyncGenerator<DatasetRecord> {
      const file = (await readdir(dir)).find((f) => /^HI-Small_Trans.*\.csv(\.gz)?$/.test(f));
      if (!file) throw new Error(`${dir}: no HI-Small_Trans*.csv file`);
      const rows: DatasetRecord[] = [];
      let header = true;
      let n = 0;
      for await (const r of csvRows(join(dir, file))) {
        if (header) { header = false; continue; }
        const [stamp, fromBank, from, toBank, to, , , paid, payCurrency, format, laundering] = r;
        const ts = Date.parse(`${stamp!.replaceAll('/', '-').replace(' ', 'T')}:00Z`);
        if (range.from !== undefined && ts < range.from) continue;
        if (range.to !== undefined && ts >= range.to) continue;
        const account = `${fromBank}-${from}`;
        const id = String(n++);
        rows.push({
          event: { id: `ibm-${id}`, ts, type: 'transfer', amount: Math.round(Number(paid) * 100), currency: CURRENCIES[payCurrency!] ?? 'XXX', account, beneficiary: `${toBank}-${to}`, channel: format! },
          txId: id,
          fraud: laundering === '1',
          labelEntities: [`account:${account}`],
        });
      }
      rows.sort((a, b) => a.event.ts - b.event.ts);
      yield* rows;
    },
  };
}
