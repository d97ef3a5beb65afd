// The public API of @lake/ingest: everything a user imports is listed here by name.
export type { AvroSchema } from './avro.js'
export { DeadLetterHeaders, type FailureStage } from './dead-letter.js'
export type { Decode, RecordMeta, Row } from './decode.js'
export {
  decodeOffsets,
  encodeOffsets,
  type KafkaOffsets,
  OFFSETS_SUMMARY_PREFIX,
  OffsetConflictError,
  type OffsetRange,
  offsetsSummaryKey,
  readStoredOffsets,
  type StoredOffsets,
} from './offsets.js'
export {
  type CommitTriggers,
  DEFAULT_FETCH_BYTES_PER_PARTITION,
  type DeadLetterOptions,
  defaultRevocationBudgetMs,
  type IngestWorkerOptions,
  type MetadataColumns,
  type RevocationOptions,
  type RouteOptions,
  type TransformResult,
} from './options.js'
export {
  createProducer,
  type HeaderValue,
  type LakeProducer,
  type ProducerOptions,
  type Serializer,
} from './producer.js'
export { createIngestWorker, type IngestWorker } from './worker.js'
