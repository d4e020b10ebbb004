import type { PaymentEvent } from '../../ingest/event.ts';

/** One dataset row mapped to the event contract, with its label as the dataset gives it. */
export interface DatasetRecord {
  event: PaymentEvent;
  /** The transaction id in the dataset (TRANSACTION_ID for the handbook), as written in scores.csv. */
  txId: string;
  /** Fraud label of this transaction (handbook, IBM) or of its payer account (AMLSim). */
  fraud: boolean;
  /** Graph entities to label `fraud` when the label is fed back (e.g. `card:596`). */
  labelEntities: readonly string[];
}

export type DatasetKind = 'fraud-handbook' | 'amlsim' | 'ibm-hi-small';

export interface DatasetRange {
  /** Inclusive start, epoch ms (event time). */
  from?: number;
  /** Exclusive end, epoch ms. */
  to?: number;
}

export interface Dataset {
  readonly kind: DatasetKind;
  readonly dir: string;
  /** Records in event-time order (the handbook and AMLSim files are; IBM's head file is sorted on the fly). */
  records(range?: DatasetRange): AsyncGenerator<DatasetRecord>;
}
