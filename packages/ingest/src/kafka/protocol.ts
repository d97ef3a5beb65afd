/**
 * The Kafka requests Lake's fetch path sends, with their responses, as the protocol's message
 * definitions name their fields: Metadata v1, ListOffsets v2 and Fetch v11. All three are the
 * newest non-flexible versions Lake needs, and Kafka 4 still serves them. Pure code, no I/O.
 *
 * @module
 */
import type { AbortedTransaction } from './record-batch.js'
import { type Reader, Writer } from './wire.js'

/** The API keys used here. */
export const ApiKeys = { Fetch: 1, ListOffsets: 2, Metadata: 3 } as const

/** A request ready for a connection: its key, version and body. */
export interface Request<T> {
  readonly apiKey: number
  readonly apiVersion: number
  readonly body: Buffer
  /** Reads the response body (after the correlation id). */
  readonly decode: (reader: Reader) => T
}

/** Kafka's error codes the fetch path tells apart; the names are Kafka's. */
export const KafkaErrorCodes = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  REPLICA_NOT_AVAILABLE: 9,
  NETWORK_EXCEPTION: 13,
  NOT_ENOUGH_REPLICAS: 19,
  KAFKA_STORAGE_ERROR: 56,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  OFFSET_NOT_AVAILABLE: 78,
} as const

/**
 * Errors after which the partition's leader may have moved: the fetch path asks for metadata
 * again and retries, as the Java consumer does.
 */
export function isLeaderError(code: number): boolean {
  return (
    code === KafkaErrorCodes.UNKNOWN_TOPIC_OR_PARTITION ||
    code === KafkaErrorCodes.LEADER_NOT_AVAILABLE ||
    code === KafkaErrorCodes.NOT_LEADER_OR_FOLLOWER ||
    code === KafkaErrorCodes.REPLICA_NOT_AVAILABLE ||
    code === KafkaErrorCodes.KAFKA_STORAGE_ERROR ||
    code === KafkaErrorCodes.FENCED_LEADER_EPOCH ||
    code === KafkaErrorCodes.UNKNOWN_LEADER_EPOCH ||
    code === KafkaErrorCodes.OFFSET_NOT_AVAILABLE
  )
}

/** Errors that may pass if the same request is sent again. */
export function isTransientError(code: number): boolean {
  return (
    isLeaderError(code) ||
    code === KafkaErrorCodes.CORRUPT_MESSAGE ||
    code === KafkaErrorCodes.REQUEST_TIMED_OUT ||
    code === KafkaErrorCodes.NETWORK_EXCEPTION ||
    code === KafkaErrorCodes.NOT_ENOUGH_REPLICAS
  )
}

export interface BrokerAddress {
  readonly nodeId: number
  readonly host: string
  readonly port: number
}

export interface PartitionMetadata {
  readonly errorCode: number
  readonly partition: number
  /** The leader's node id, -1 while there is none. */
  readonly leader: number
}

export interface TopicMetadata {
  readonly errorCode: number
  readonly name: string
  readonly partitions: readonly PartitionMetadata[]
}

export interface Metadata {
  readonly brokers: readonly BrokerAddress[]
  readonly topics: readonly TopicMetadata[]
}

/** Metadata v1 for the given topics. */
export function metadataRequest(topics: readonly string[]): Request<Metadata> {
  const body = new Writer().array(topics, (topic, w) => w.string(topic)).bytes()
  return {
    apiKey: ApiKeys.Metadata,
    apiVersion: 1,
    body,
    decode: (r) => {
      const brokers = r.array((b) => {
        const nodeId = b.int32()
        const host = b.string('host')
        const port = b.int32()
        b.nullableString() // rack
        return { nodeId, host, port }
      })
      r.int32() // controller_id
      const topicList = r.array((t) => {
        const errorCode = t.int16()
        const name = t.string('topic name')
        t.boolean() // is_internal
        const partitions = t.array((p) => {
          const partitionError = p.int16()
          const partition = p.int32()
          const leader = p.int32()
          p.array((n) => n.int32()) // replica_nodes
          p.array((n) => n.int32()) // isr_nodes
          return { errorCode: partitionError, partition, leader }
        })
        return { errorCode, name, partitions }
      })
      return { brokers, topics: topicList }
    },
  }
}

/** Which offset ListOffsets asks for. */
export const EARLIEST = -2n
export const LATEST = -1n

export interface ListedOffset {
  readonly topic: string
  readonly partition: number
  readonly errorCode: number
  readonly offset: bigint
}

/** ListOffsets v2: each partition's earliest or latest offset (the last stable one when `readCommitted`). */
export function listOffsetsRequest(
  partitions: readonly { topic: string; partition: number; timestamp: bigint }[],
  readCommitted: boolean,
): Request<ListedOffset[]> {
  const w = new Writer().int32(-1).int8(readCommitted ? 1 : 0)
  w.array(byTopic(partitions), ([topic, parts], w) => {
    w.string(topic).array(parts, (p, w) => w.int32(p.partition).int64(p.timestamp))
  })
  return {
    apiKey: ApiKeys.ListOffsets,
    apiVersion: 2,
    body: w.bytes(),
    decode: (r) => {
      r.int32() // throttle_time_ms
      return r
        .array((t) => {
          const topic = t.string('topic name')
          return t.array((p) => {
            const partition = p.int32()
            const errorCode = p.int16()
            p.int64() // timestamp
            const offset = p.int64()
            return { topic, partition, errorCode, offset }
          })
        })
        .flat()
    },
  }
}

export interface FetchPartition {
  readonly topic: string
  readonly partition: number
  readonly fetchOffset: bigint
  readonly maxBytes: number
}

export interface FetchOptions {
  readonly maxWaitMs: number
  readonly minBytes: number
  readonly maxBytes: number
  readonly readCommitted: boolean
}

export interface FetchedPartition {
  readonly topic: string
  readonly partition: number
  readonly errorCode: number
  readonly highWatermark: bigint
  readonly lastStableOffset: bigint
  readonly aborted: AbortedTransaction[] | null
  /** The record set, a view into the response; null or empty when there was nothing. */
  readonly records: Buffer | null
}

export interface FetchResponse {
  readonly errorCode: number
  readonly partitions: FetchedPartition[]
}

/** Fetch v11 without a fetch session (a full fetch each time; the request lists every partition). */
export function fetchRequest(
  partitions: readonly FetchPartition[],
  options: FetchOptions,
): Request<FetchResponse> {
  const w = new Writer()
  w.int32(-1) // replica_id: a consumer
  w.int32(options.maxWaitMs).int32(options.minBytes).int32(options.maxBytes)
  w.int8(options.readCommitted ? 1 : 0)
  w.int32(0).int32(-1) // session_id, session_epoch: no session
  w.array(byTopic(partitions), ([topic, parts], w) => {
    w.string(topic).array(parts, (p, w) => {
      w.int32(p.partition)
      w.int32(-1) // current_leader_epoch: unknown
      w.int64(p.fetchOffset)
      w.int64(-1n) // log_start_offset: a consumer's is -1
      w.int32(p.maxBytes)
    })
  })
  w.array([], () => {}) // forgotten_topics_data
  w.string('') // rack_id
  return {
    apiKey: ApiKeys.Fetch,
    apiVersion: 11,
    body: w.bytes(),
    decode: (r) => {
      r.int32() // throttle_time_ms
      const errorCode = r.int16()
      r.int32() // session_id
      const fetched: FetchedPartition[] = []
      r.array((t) => {
        const topic = t.string('topic name')
        t.array((p) => {
          const partition = p.int32()
          const partitionError = p.int16()
          const highWatermark = p.int64()
          const lastStableOffset = p.int64()
          p.int64() // log_start_offset
          const aborted = abortedTransactions(p)
          p.int32() // preferred_read_replica
          const records = p.nullableBytes()
          fetched.push({
            topic,
            partition,
            errorCode: partitionError,
            highWatermark,
            lastStableOffset,
            aborted,
            records,
          })
        })
      })
      return { errorCode, partitions: fetched }
    },
  }
}

function abortedTransactions(r: Reader): AbortedTransaction[] | null {
  const count = r.int32()
  if (count < 0) return null
  const out: AbortedTransaction[] = []
  for (let i = 0; i < count; i++) {
    const producerId = r.safeInt64('producer_id')
    const firstOffset = r.safeInt64('first_offset')
    out.push({ producerId, firstOffset })
  }
  return out
}

/** Groups partitions by topic, in first-seen order, as requests list them. */
function byTopic<T extends { topic: string }>(partitions: readonly T[]): [string, T[]][] {
  const out = new Map<string, T[]>()
  for (const p of partitions) {
    const list = out.get(p.topic)
    if (list) list.push(p)
    else out.set(p.topic, [p])
  }
  return [...out]
}
