import { isLakeError } from '@lake/errors'
import type { RecordMeta } from './decode.js'

/** The stage at which a record was refused, in the `lake.error.stage` dead-letter header. */
export type FailureStage = 'decode' | 'transform' | 'route' | 'validate' | 'size'

/** A record the worker refused, and why. */
export interface RefusedRecord {
  stage: FailureStage
  error: unknown
  meta: RecordMeta
  /** The original value bytes. */
  value: Buffer | null
  /** The table the record was meant for, when known. */
  table?: string
}

/** The headers of a dead letter; every value is UTF-8 text. */
export const DeadLetterHeaders = {
  /** The `LakeError` code (e.g. `LAKE_VALIDATION`), or `LAKE_INGEST` for anything else. */
  code: 'lake.error.code',
  /** The error's message. */
  message: 'lake.error.message',
  /** Where the record was refused: decode, transform, route, validate or size. */
  stage: 'lake.error.stage',
  /** The field at fault, when the error names one. */
  field: 'lake.error.field',
  /** The source topic, partition and offset. */
  topic: 'lake.source.topic',
  partition: 'lake.source.partition',
  offset: 'lake.source.offset',
  /** The source record's timestamp in epoch milliseconds. */
  timestamp: 'lake.source.timestamp',
  /** The target table, when known. */
  table: 'lake.table',
} as const

/** Messages longer than this are cut in headers, so a huge error cannot make the dead letter too large. */
const MAX_MESSAGE = 2000

/** The Kafka message sent to the dead-letter topic for a refused record: original key, value and headers, plus reasons. */
export function deadLetterMessage(refused: RefusedRecord): {
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | string>
} {
  const { error, meta } = refused
  const message = error instanceof Error ? error.message : String(error)
  const headers: Record<string, Buffer | string> = {}
  for (const [name, value] of Object.entries(meta.headers)) if (value !== undefined) headers[name] = value
  headers[DeadLetterHeaders.code] = isLakeError(error) ? error.code : 'LAKE_INGEST'
  headers[DeadLetterHeaders.message] =
    message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message
  headers[DeadLetterHeaders.stage] = refused.stage
  const field = isLakeError(error) ? error.context.field : undefined
  if (typeof field === 'string') headers[DeadLetterHeaders.field] = field
  headers[DeadLetterHeaders.topic] = meta.topic
  headers[DeadLetterHeaders.partition] = String(meta.partition)
  headers[DeadLetterHeaders.offset] = String(meta.offset)
  headers[DeadLetterHeaders.timestamp] = String(meta.timestamp.getTime())
  if (refused.table !== undefined) headers[DeadLetterHeaders.table] = refused.table
  return { key: meta.key, value: refused.value, headers }
}
