export { decisionRecords, deadLetterRecord, encodeDecision, type DecisionFormat, type SinkTopics } from './records.ts';
