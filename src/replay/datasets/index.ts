import { readdir } from 'node:fs/promises';
import { amlsimDataset } from './amlsim.ts';
import { handbookDataset } from './handbook.ts';
import { ibmDataset } from './ibm.ts';
import type { Dataset } from './types.ts';

export type { Dataset, DatasetKind, DatasetRange, DatasetRecord } from './types.ts';
export { AMLSIM_EPOCH } from './amlsim.ts';

/** Recognises a dataset folder by its files: handbook months, an AMLSim run, or IBM HI-Small. */
export async function openDataset(dir: string): Promise<Dataset> {
  const files = await readdir(dir);
  if (files.some((f) => /^\d{4}-\d{2}\.csv(\.gz)?$/.test(f))) return handbookDataset(dir);
  if (files.includes('transactions.csv.gz') && files.includes('nodes.csv.gz')) return amlsimDataset(dir);
  if (files.some((f) => /^HI-Small_Trans.*\.csv(\.gz)?$/.test(f))) return ibmDataset(dir);
  throw new Error(`${dir}: not a known dataset (fraud-handbook months, AMLSim run, IBM HI-Small)`);
}
