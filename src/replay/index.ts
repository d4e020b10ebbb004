/** Replays public datasets into the payments topic, with delayed fraud labels (docs/backtest.md). */
export { replay, type ReplayOptions, type ReplayProgress, type LabelMessage } from './replay.ts';
export { replayCommand } from './command.ts';
export { openDataset, AMLSIM_EPOCH, type Dataset, type DatasetKind, type DatasetRange, type DatasetRecord } from './datasets/index.ts';
