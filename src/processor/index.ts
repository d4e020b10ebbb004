export { createProcessor, paymentsConsumerOptions, type Processor, type ProcessorOptions, type ProcessorStages } from './processor.ts';
export { createBatchProcessor, type BatchProcessorDeps } from './batch-processor.ts';
export { untilDone, backoffDelay, isTransient, BatchAbandonedError } from '../retry.ts';
export { createScorer, type Scorer, type ScorerStages } from './scorer.ts';
export { observeDecisions } from './batch-processor.ts';
export { configuredStages, type ConfiguredStages } from './stages.ts';
