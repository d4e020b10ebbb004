import { ErrorCodes } from '../errors.ts';

/**
 * Every label value below comes from a closed set: outcomes, stages, error codes, rule ids (from the
 * rule files), partitions. Never an event, card or account id. Series for the known values exist
 * at zero from start-up, so dashboards and alerts see them before the first event.
 */
export const OUTCOMES = ['allow', 'review', 'block', 'invalid'] as const;
export const STAGES = ['decode', 'features', 'graph', 'rules', 'sinks'] as const;
export const LATENCY_ORIGINS = ['event', 'ingest'] as const;
export const DEAD_LETTER_CODES = [ErrorCodes.EVENT_UNDECODABLE, ErrorCodes.EVENT_INVALID, ErrorCodes.EVENT_TOO_LARGE] as const;
export const DEPENDENCIES = ['redis', 'kafka'] as const;
/** What a Redis round trip was for: the features stage's per-batch pipeline, or a readiness ping. */
export const REDIS_OPERATIONS = ['features', 'ping'] as const;
/** Redis error codes counted as such; anything else is counted as `other`. */
export const REDIS_ERROR_CODES = [ErrorCodes.REDIS_UNAVAILABLE, ErrorCodes.REDIS_SCRIPT_FAILED, 'other'] as const;
export const RELOAD_RESULTS = ['success', 'failure'] as const;
export const LIVE_LISTS = ['allow', 'block'] as const;
export const LIST_CHANGE_RESULTS = ['applied', 'rejected'] as const;

/** 100 µs … 10 s, for latencies (decision, stage, Redis). */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
export const BATCH_SIZE_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] as const;

export type Outcome = (typeof OUTCOMES)[number];
export type Stage = (typeof STAGES)[number];
