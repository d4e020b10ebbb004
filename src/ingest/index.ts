export { EVENT_TYPES, OPTIONAL_STRING_FIELDS, type EventType, type PaymentEvent } from './event.ts';
export { contentTypeOf, decodeEvent, validateEvent, type ContentType, type DecodeLimits } from './decode.ts';
export {
  createBatchConsumer,
  createKafka,
  createTailConsumer,
  ensureTopics,
  type BatchConsumer,
  type BatchHandler,
  type ConsumerOptions,
  type IncomingBatch,
  type IncomingMessage,
  type OutgoingRecord,
  type RecordProducer,
  type TopicSpec,
  type TailConsumerOptions,
} from './kafka.ts';
export { createRecordProducer, MAX_REQUEST_BYTES } from './record-producer.ts';
