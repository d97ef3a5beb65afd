import type { Snapshot, Table } from '@lake/catalog'
import { CommitStateUnknownError } from '@lake/errors'
import {
  checkAndMerge,
  encodeOffsets,
  OffsetConflictError,
  type OffsetRange,
  offsetsSummaryKey,
  readStoredOffsets,
} from './offsets.js'

/** A topic-partition as one string key. */
export function partitionKey(topic: string, partition: number): string {
  return `${partition}\u0000${topic}`
}

/** What one table holds for one topic-partition: committed up to `from`, buffered up to `next`. */
interface PartitionBuffer {
  readonly topic: string
  readonly partition: number
  /** The offset the table held when the buffered rows began (undefined: the table had none). */
  from: bigint | undefined
  /** The next offset this table expects; equal to `from` when nothing is buffered. */
  next: bigint | undefined
  rows: Record<string, unknown>[]
  /** The encoded size of each buffered row's record share, parallel to `rows`. */
  sizes: number[]
  bytes: number
}

/** The result of one {@link TableSink.commit}. */
export interface SinkCommit {
  /** The snapshot committed, or undefined when nothing was pending or every partition was lost. */
  snapshot: Snapshot | undefined
  /** Rows committed. */
  rows: number
  /** Attempts the catalog made for the snapshot that committed (1 without a conflict). */
  attempts: number
  /** Partitions another owner committed first; their buffered rows were dropped. */
  lost: OffsetRange[]
  /** The ranges committed. */
  committed: OffsetRange[]
}

/**
 * One target table of an ingest worker: the rows buffered for it per topic-partition, and its
 * commits with the Kafka offsets in the snapshot summary, compare-and-set per partition.
 *
 * Rows may keep arriving while a commit is in flight: a commit takes the rows buffered when it
 * began and, once it lands, removes just those.
 */
export class TableSink {
  readonly table: Table
  readonly groupId: string
  readonly #parts = new Map<string, PartitionBuffer>()
  #rows = 0
  #bytes = 0

  constructor(table: Table, groupId: string) {
    this.table = table
    this.groupId = groupId
  }

  /** Buffered rows, over all partitions. */
  get bufferedRows(): number {
    return this.#rows
  }
  /** Buffered bytes (the encoded size of the records the rows came from). */
  get bufferedBytes(): number {
    return this.#bytes
  }

  /** Whether any partition has offsets to commit (rows, or records that produced none). */
  get hasPending(): boolean {
    for (const part of this.#parts.values()) if (part.next !== part.from) return true
    return false
  }

  /** Whether the partition's position is known (it was reset from the table since it was last forgotten). */
  knows(topic: string, partition: number): boolean {
    return this.#parts.has(partitionKey(topic, partition))
  }

  /** The next offset this table expects from the partition, or undefined when the table holds none. */
  next(topic: string, partition: number): bigint | undefined {
    return this.#parts.get(partitionKey(topic, partition))?.next
  }

  /** The offset the table holds for the partition as last seen, or undefined. */
  committed(topic: string, partition: number): bigint | undefined {
    return this.#parts.get(partitionKey(topic, partition))?.from
  }

  /** Reloads the table and starts the partitions from the offsets it holds, dropping what they buffered. */
  async reset(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    await this.table.refresh()
    const stored = readStoredOffsets(this.table.metadata, this.groupId, this.table.name).offsets
    for (const { topic, partition } of partitions) {
      this.forget(topic, partition)
      const offset = stored.get(topic)?.get(partition)
      this.#parts.set(partitionKey(topic, partition), {
        topic,
        partition,
        from: offset,
        next: offset,
        rows: [],
        sizes: [],
        bytes: 0,
      })
    }
  }

  /** Drops a partition's buffered rows and position: it must be {@link reset} before more records. */
  forget(topic: string, partition: number): void {
    const key = partitionKey(topic, partition)
    const part = this.#parts.get(key)
    if (!part) return
    this.#rows -= part.rows.length
    this.#bytes -= part.bytes
    this.#parts.delete(key)
  }

  /**
   * Takes the record at `offset` of a known partition: its rows for this table (possibly none,
   * when the record went elsewhere or nowhere) are buffered and the position moves past it.
   * Returns false, taking nothing, when the table already holds the offset.
   */
  accept(
    topic: string,
    partition: number,
    offset: bigint,
    rows: readonly Record<string, unknown>[],
    size: number,
  ): boolean {
    const part = this.#parts.get(partitionKey(topic, partition))
    if (!part) throw new Error(`TableSink: partition ${topic}/${partition} was not reset`)
    if (part.next !== undefined && offset < part.next) return false
    part.next = offset + 1n
    const share = rows.length === 0 ? 0 : size / rows.length
    for (const row of rows) {
      part.rows.push(row)
      part.sizes.push(share)
    }
    part.bytes += rows.length === 0 ? 0 : size
    this.#rows += rows.length
    this.#bytes += rows.length === 0 ? 0 : size
    return true
  }

  /**
   * Commits what is buffered now as one snapshot whose summary holds the group's offsets.
   * Partitions another owner moved since their rows began are dropped (and reported in
   * `lost`) and the rest committed without them. Other failures leave the buffers as they were.
   */
  async commit(): Promise<SinkCommit> {
    const lost: OffsetRange[] = []
    for (;;) {
      const taken = [...this.#parts.values()]
        .filter((p) => p.next !== undefined && p.next !== p.from)
        .map((part) => ({
          part,
          count: part.rows.length,
          range: { topic: part.topic, partition: part.partition, from: part.from, to: part.next! },
        }))
      if (taken.length === 0) return { snapshot: undefined, rows: 0, attempts: 0, lost, committed: [] }
      const rows = taken.flatMap((t) => t.part.rows.slice(0, t.count))
      const ranges = taken.map((t) => t.range)
      let attempts = 0
      let snapshot: Snapshot
      try {
        snapshot = await this.table.append(rows, {
          summary: (base) => {
            attempts++
            const merged = checkAndMerge(base, this.groupId, ranges, this.table.name)
            return { [offsetsSummaryKey(this.groupId)]: encodeOffsets(merged) }
          },
        })
      } catch (error) {
        if (error instanceof OffsetConflictError) {
          for (const range of error.lost) {
            lost.push(range)
            this.forget(range.topic, range.partition)
          }
          continue
        }
        if (error instanceof CommitStateUnknownError) {
          // Whether it landed is told by the offsets: the next attempt's compare-and-set finds
          // them moved (it landed: the rows are dropped as already committed) or not (retried).
          await this.table.refresh()
          continue
        }
        throw error
      }
      for (const { part, count, range } of taken) {
        // A partition forgotten meanwhile (revoked) has a new buffer or none: leave it be.
        if (this.#parts.get(partitionKey(part.topic, part.partition)) !== part) continue
        part.from = range.to
        part.rows.splice(0, count)
        let freed = 0
        for (const size of part.sizes.splice(0, count)) freed += size
        part.bytes -= freed
        this.#rows -= count
        this.#bytes -= freed
      }
      return { snapshot, rows: rows.length, attempts, lost, committed: ranges }
    }
  }
}
