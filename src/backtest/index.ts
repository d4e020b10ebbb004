/** Backtests: a dataset in event time through the pipeline stages, with delayed label feedback (docs/backtest.md). */
export { backtestCommand, type BacktestStageFactories } from './command.ts';
export { runPipeline, type PipelineRunOptions, type PipelineRunResult, type Progress, type LabelledGraphStage } from './run.ts';
export { cardPrecisionAtK, precisionRecallAtBudgets, dailyAlerts, rocAuc, HANDBOOK_BASELINES } from './metrics.ts';
export { ScoredRows } from './scored.ts';
export { createReferenceFeatureStage } from './reference-features.ts';
export { createReferenceGraphStage, type FedBackLabel } from './reference-graph.ts';
