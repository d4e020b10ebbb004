/**
 * The tiny seam between graph replication and a Kafka client: publish, read partition offsets, consume every
 * partition of some topics from the beginning. `kafka-log.ts` implements it over the shared Kafka seam of
 * `src/ingest/`; tests and other transports can provide their own.
 */
export interface LogMessage {
  key?: string;
  value: Uint8Array;
}

export interface ConsumedMessage {
  /** Kafka offset, as a decimal string. */
  offset: string;
  /** The record key, when the transport gives it (the Kafka one does). */
  key?: Uint8Array | null;
  value: Uint8Array | null;
}

export interface PartitionOffsets {
  partition: number;
  /** First offset still in the log. */
  low: number;
  /** Next offset to be written (the high watermark). */
  high: number;
}

export type ConsumeHandler = (topic: string, partition: number, messages: readonly ConsumedMessage[]) => Promise<void> | void;

export interface ReplicationLog {
  publish(topic: string, messages: readonly LogMessage[]): Promise<void>;
  offsets(topic: string): Promise<PartitionOffsets[]>;
  /** Starts consuming all partitions of `topics` from the beginning; resolves once consumption is running. */
  consumeAll(topics: readonly string[], handler: ConsumeHandler): Promise<void>;
  close(): Promise<void>;
}

/** What `importLabels` needs: only the publishing side. */
export type LabelPublisher = Pick<ReplicationLog, 'publish'>;
