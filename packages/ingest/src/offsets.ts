import type { Snapshot, TableMetadata } from '@lake/catalog'
import { CorruptFileError, IngestError } from '@lake/errors'

/**
 * Next Kafka offsets by topic, then partition: the offset of the first record *not yet* in the
 * table, as Kafka's own committed offsets count.
 */
export type KafkaOffsets = ReadonlyMap<string, ReadonlyMap<number, bigint>>

/** The prefix of the snapshot summary key under which a consumer group's offsets are kept. */
export const OFFSETS_SUMMARY_PREFIX = 'lake.kafka.offsets.'

/**
 * The snapshot summary key holding a consumer group's offsets: `lake.kafka.offsets.<groupId>`.
 *
 * Its value is JSON: an object by topic of objects by partition number of the next offset as a
 * decimal string (offsets are 64-bit), sorted, e.g.
 * `{"events":{"0":"1042","1":"998"}}`. Every snapshot an ingest worker commits carries the
 * offsets of *every* partition the group has ever committed to the table, not only those it
 * wrote, so the newest snapshot holding the key has the whole picture.
 */
export function offsetsSummaryKey(groupId: string): string {
  return `${OFFSETS_SUMMARY_PREFIX}${groupId}`
}

/** The JSON text of {@link offsetsSummaryKey}'s value, with topics and partitions in order. */
export function encodeOffsets(offsets: KafkaOffsets): string {
  const out: Record<string, Record<string, string>> = {}
  for (const topic of [...offsets.keys()].sort()) {
    const partitions = offsets.get(topic)!
    const byPartition: Record<string, string> = {}
    for (const partition of [...partitions.keys()].sort((a, b) => a - b)) {
      byPartition[String(partition)] = String(partitions.get(partition)!)
    }
    out[topic] = byPartition
  }
  return JSON.stringify(out)
}

/** Parses {@link encodeOffsets}'s text; anything else is a `CorruptFileError` (the summary is table metadata). */
export function decodeOffsets(text: string, context: { table?: string; key?: string } = {}): KafkaOffsets {
  const corrupt = (why: string) =>
    new CorruptFileError(`Kafka offsets in the snapshot summary are malformed: ${why}`, {
      context: { ...context },
    })
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw corrupt('not JSON')
  }
  if (!isObject(parsed)) throw corrupt('expected an object by topic')
  const out = new Map<string, Map<number, bigint>>()
  for (const [topic, partitions] of Object.entries(parsed)) {
    if (!isObject(partitions)) throw corrupt(`topic '${topic}' is not an object by partition`)
    const byPartition = new Map<number, bigint>()
    for (const [partition, offset] of Object.entries(partitions)) {
      const number = Number(partition)
      if (!/^\d+$/.test(partition) || !Number.isSafeInteger(number)) throw corrupt(`partition '${partition}'`)
      if (typeof offset !== 'string' || !/^\d+$/.test(offset)) {
        throw corrupt(`offset of ${topic}/${partition} is not a decimal string`)
      }
      byPartition.set(number, BigInt(offset))
    }
    out.set(topic, byPartition)
  }
  return out
}

/** Where a group's offsets were found: the snapshot that holds them, and the offsets. */
export interface StoredOffsets {
  /** The newest ancestor of the current snapshot with the key, or undefined if none has it. */
  snapshot: Snapshot | undefined
  offsets: KafkaOffsets
}

/**
 * The group's offsets as the table holds them: from the current snapshot of `main`, or, when a
 * later commit by someone else (another group, a compaction, a manual append) did not carry
 * them, from the newest ancestor that did. An empty map when no ancestor has any.
 */
export function readStoredOffsets(metadata: TableMetadata, groupId: string, table?: string): StoredOffsets {
  const key = offsetsSummaryKey(groupId)
  for (const snapshot of metadata.ancestorsOf(metadata.currentSnapshot()?.snapshotId)) {
    const text = snapshot.summary[key]
    if (text !== undefined)
      return { snapshot, offsets: decodeOffsets(text, { key, ...(table ? { table } : {}) }) }
  }
  return { snapshot: undefined, offsets: new Map() }
}

/** The offsets of one topic-partition a commit covers: the table held `from`, the data moves it to `to`. */
export interface OffsetRange {
  topic: string
  partition: number
  /** The offset the table held when this worker's data for the partition started; undefined for none. */
  from: bigint | undefined
  /** The next offset after the data. */
  to: bigint
}

/**
 * The error an ingest commit throws when partitions were committed by another owner since
 * this worker's data for them began; `context.partitions` names them as `topic/partition`.
 * Not retryable: retrying cannot make the stored offset go back.
 */
export class OffsetConflictError extends IngestError {
  override name = 'OffsetConflictError'
  /** The ranges whose `from` no longer matches the table. */
  readonly lost: readonly OffsetRange[]
  constructor(table: string, lost: readonly OffsetRange[]) {
    super(
      `Table ${table} holds other offsets than this worker started from for ${lost
        .map((r) => `${r.topic}/${r.partition}`)
        .join(', ')}: another owner committed them first`,
      { retryable: false, context: { table, partitions: lost.map((r) => `${r.topic}/${r.partition}`) } },
    )
    this.lost = lost
  }
}

/**
 * The compare-and-set of an ingest commit, run against the metadata each commit attempt builds
 * on: every range's `from` must equal the offset the table holds for its partition (both absent
 * counts as equal), or an {@link OffsetConflictError} names the ones that moved. Returns the
 * offsets to store: the table's, with the ranges' partitions moved to their `to`.
 */
export function checkAndMerge(
  metadata: TableMetadata,
  groupId: string,
  ranges: readonly OffsetRange[],
  table: string,
): Map<string, Map<number, bigint>> {
  const stored = readStoredOffsets(metadata, groupId, table).offsets
  const lost = ranges.filter((r) => stored.get(r.topic)?.get(r.partition) !== r.from)
  if (lost.length > 0) throw new OffsetConflictError(table, lost)
  const merged = new Map([...stored].map(([topic, partitions]) => [topic, new Map(partitions)]))
  for (const range of ranges) {
    let partitions = merged.get(range.topic)
    if (!partitions) {
      partitions = new Map()
      merged.set(range.topic, partitions)
    }
    partitions.set(range.partition, range.to)
  }
  return merged
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
