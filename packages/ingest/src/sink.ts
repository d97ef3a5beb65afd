import {
  type ColumnBatch,
  ColumnBuilder,
  type IcebergType,
  isTypedColumn,
  type Schema,
  type Snapshot,
  sliceTyped,
  type Table,
  type TypedColumnKind,
  typedKind,
} from '@lake/catalog'
import { CommitConflictError, CommitStateUnknownError } from '@lake/errors'
import type { JsonRowReader } from './json-row.js'
import { migrateBatch } from './migrate.js'
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

/** Rows of one fetched batch, accepted together: validated columns and the memory they hold. */
interface Chunk {
  readonly batch: ColumnBatch
  readonly bytes: number
  /** The builder whose arrays `batch` views, to be used again once the rows are committed. */
  readonly builder: ColumnBuilder | undefined
}

/** What one table holds for one topic-partition: committed up to `from`, buffered up to `next`. */
interface PartitionBuffer {
  readonly topic: string
  readonly partition: number
  /** The offset the table held when the buffered rows began (undefined: the table had none). */
  from: bigint | undefined
  /** The next offset this table expects; equal to `from` when nothing is buffered. */
  next: bigint | undefined
  /** Buffered rows in offset order, one chunk per accepted batch; a commit takes the first ones. */
  chunks: Chunk[]
  rows: number
  bytes: number
}

/**
 * The records of one fetched batch of a topic-partition whose rows go to one table, validated
 * straight into that table's columns (a `ColumnBuilder`), with each record's offset, row span
 * and size, before {@link TableSink.accept} buffers them. Rows are validated here once: a commit
 * appends these columns without validating them again.
 */
export class StagedRecords {
  /** The schema the rows are validated against. */
  readonly schemaId: number
  readonly #builder: ColumnBuilder
  /**
   * Per record taken: its offset (a number, as Lake's fetch path reads it: no bigint per
   * record), the builder's row count after it, and the bytes held by it and those before it.
   */
  readonly offsets: number[] = []
  readonly ends: number[] = []
  readonly held: number[] = []
  readonly #rowBytes: number
  #start = 0

  /** `spare`: empty builders of `schema` free to use, one of which the stage takes if there is one. */
  constructor(schema: Schema, rowBytes: number, spare: ColumnBuilder[] = []) {
    this.schemaId = schema.schemaId
    // Flat fields in typed arrays: a buffered row holds no JavaScript value for them.
    this.#builder = spare.pop() ?? new ColumnBuilder(schema, { typed: true })
    this.#rowBytes = rowBytes
  }

  /**
   * Reads the current record's JSON value, `bytes` from `start` to `end`, straight into the
   * columns (see `JsonRowReader.readRange`), or returns false, adding nothing, when the reader
   * declines it.
   */
  read(reader: JsonRowReader, bytes: Buffer, start: number, end: number): boolean {
    return reader.readRange(bytes, start, end, this.#builder)
  }

  /**
   * Validates one row of the current record into the columns; a refused row throws its
   * `ValidationError` and leaves nothing. {@link StagedRecords.drop} removes the record's
   * earlier rows.
   */
  add(row: unknown): void {
    this.#builder.add(row)
  }

  /** Drops the rows added since the last record ended (the record was refused). */
  drop(): void {
    this.#builder.truncate(this.#start)
  }

  /**
   * Ends the record at `offset` with the rows added since the previous one (possibly none).
   * `size` is the record's encoded size, of which its strings' characters are taken to be half
   * (the rest is field names and punctuation); the columns' per-row cost is added to that.
   */
  end(offset: number, size: number): void {
    const rows = this.#builder.rowCount - this.#start
    this.offsets.push(offset)
    this.ends.push(this.#builder.rowCount)
    const before = this.held.length === 0 ? 0 : this.held[this.held.length - 1]!
    this.held.push(before + (rows === 0 ? 0 : Math.ceil(size / 2) + rows * this.#rowBytes))
    this.#start = this.#builder.rowCount
  }

  /**
   * The validated rows, handed over once, as a batch over the builder's arrays (no copy), and
   * the builder, for the sink to clear and give a later stage once nothing holds the batch: that
   * stage then fills the same arrays, grown to a batch's size, rather than growing its own from
   * nothing.
   */
  take(): { batch: ColumnBatch; builder: ColumnBuilder } {
    return { batch: this.#builder.view(), builder: this.#builder }
  }
}

/** The result of one {@link TableSink.commit}. */
export interface SinkCommit {
  /** The snapshot committed, or undefined when nothing was pending or every partition was lost. */
  snapshot: Snapshot | undefined
  /** Rows committed. */
  rows: number
  /** Attempts the catalog made for the snapshot that committed (1 without a conflict). */
  attempts: number
  /**
   * Partitions whose buffered rows were dropped: another owner committed them first, or (with
   * `schemaChanged`) the rows were validated against a schema the table no longer has.
   */
  lost: OffsetRange[]
  /** The table's schema changed: every buffered partition was dropped and must be read again. */
  schemaChanged: boolean
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
  #schema: Schema
  #names: ReadonlySet<string>
  #rowBytes: number
  /**
   * Empty builders of {@link TableSink.schema} for the next stages: those of chunks committed
   * (or passed over), whose rows nothing holds any more.
   */
  #spare: ColumnBuilder[] = []
  #rows = 0
  #bytes = 0

  constructor(table: Table, groupId: string) {
    this.table = table
    this.groupId = groupId
    this.#schema = table.schema()
    this.#names = new Set(this.#schema.fields.map((f) => f.name))
    this.#rowBytes = heldBytesPerRow(this.#schema)
  }

  /** The schema records are validated against: the table's when it was loaded or last changed. */
  get schema(): Schema {
    return this.#schema
  }
  /** The top-level field names of {@link TableSink.schema}. */
  get fieldNames(): ReadonlySet<string> {
    return this.#names
  }

  /** Buffered rows, over all partitions. */
  get bufferedRows(): number {
    return this.#rows
  }
  /**
   * The memory the buffered rows hold, estimated: their records' encoded size (the strings'
   * characters) plus a per-row cost of the columns' slots and boxed values (see {@link heldBytesPerRow}).
   */
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

  /** A stage for the records of one batch, validated against {@link TableSink.schema}. */
  stage(): StagedRecords {
    return new StagedRecords(this.#schema, this.#rowBytes, this.#spare)
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
        chunks: [],
        rows: 0,
        bytes: 0,
      })
    }
  }

  /** Drops a partition's buffered rows and position: it must be {@link reset} before more records. */
  forget(topic: string, partition: number): void {
    const key = partitionKey(topic, partition)
    const part = this.#parts.get(key)
    if (!part) return
    this.#rows -= part.rows
    this.#bytes -= part.bytes
    this.#parts.delete(key)
  }

  /**
   * Takes the staged records of a known partition: the rows of those the table does not hold
   * yet are buffered and the position moves past them; records at offsets the table already
   * holds are passed over. Returns the rows buffered, or undefined, taking nothing, when the
   * stage was validated against a schema the sink no longer uses.
   */
  accept(topic: string, partition: number, stage: StagedRecords): number | undefined {
    const part = this.#parts.get(partitionKey(topic, partition))
    if (!part) throw new Error(`TableSink: partition ${topic}/${partition} was not reset`)
    if (stage.schemaId !== this.#schema.schemaId) return undefined
    const { offsets, ends } = stage
    const { batch, builder } = stage.take()
    const next = part.next === undefined ? -1 : Number(part.next)
    let first = 0
    while (first < offsets.length && offsets[first]! < next) first++
    if (first < offsets.length) part.next = BigInt(offsets[offsets.length - 1]!) + 1n
    const start = first === offsets.length ? batch.rowCount : first === 0 ? 0 : ends[first - 1]!
    const kept = batch.rowCount - start
    if (start > 0 || kept === 0) {
      // Rows of records the table holds already are passed over and the rest copied: the builder is free.
      if (kept > 0) this.#chunk(part, sliceRows(batch, start), stage, first, undefined)
      this.#release(builder)
    } else this.#chunk(part, batch, stage, first, builder)
    return kept
  }

  /** Buffers a chunk of the rows of `stage`'s records from `first` on. */
  #chunk(
    part: PartitionBuffer,
    batch: ColumnBatch,
    stage: StagedRecords,
    first: number,
    builder: ColumnBuilder | undefined,
  ): void {
    const held = stage.held[stage.held.length - 1]! - (first === 0 ? 0 : stage.held[first - 1]!)
    part.chunks.push({ batch, bytes: held, builder })
    part.rows += batch.rowCount
    part.bytes += held
    this.#rows += batch.rowCount
    this.#bytes += held
  }

  /** Clears a builder whose rows nothing holds any more and keeps it for a later stage, if it is of the schema in use. */
  #release(builder: ColumnBuilder | undefined): void {
    if (builder === undefined || builder.schemaId !== this.#schema.schemaId) return
    builder.clear()
    this.#spare.push(builder)
  }

  /**
   * Commits what is buffered now as one snapshot whose summary holds the group's offsets.
   * Partitions another owner moved since their rows began are dropped (and reported in
   * `lost`) and the rest committed without them. When the table's schema changed, the buffered
   * rows are carried over to it if it only added optional columns and widened types (see
   * {@link migrateBatch}) and committed; partitions whose rows cannot be are dropped
   * (`schemaChanged`), to be read again and validated against the new schema. Other failures
   * leave the buffers as they were.
   */
  async commit(): Promise<SinkCommit> {
    const lost: OffsetRange[] = []
    let schemaChanged = false
    for (;;) {
      const taken = [...this.#parts.values()]
        .filter((p) => p.next !== undefined && p.next !== p.from)
        .map((part) => ({
          part,
          count: part.chunks.length,
          range: { topic: part.topic, partition: part.partition, from: part.from, to: part.next! },
        }))
      if (taken.length === 0) {
        return { snapshot: undefined, rows: 0, attempts: 0, lost, committed: [], schemaChanged }
      }
      const batches = taken.flatMap((t) => t.part.chunks.slice(0, t.count).map((c) => c.batch))
      const rows = batches.reduce((n, b) => n + b.rowCount, 0)
      const ranges = taken.map((t) => t.range)
      let attempts = 0
      let snapshot: Snapshot
      try {
        snapshot = await this.table.appendColumns(batches, {
          schemaId: this.#schema.schemaId,
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
        if (error instanceof CommitConflictError) {
          await this.table.refresh()
          const dropped = this.adoptSchema()
          if (dropped !== undefined) {
            lost.push(...dropped)
            schemaChanged ||= dropped.length > 0
            continue
          }
        }
        throw error
      }
      for (const { part, count, range } of taken) {
        // A partition forgotten meanwhile (revoked) has a new buffer or none: leave it be.
        if (this.#parts.get(partitionKey(part.topic, part.partition)) !== part) continue
        part.from = range.to
        let rows = 0
        let freed = 0
        for (const chunk of part.chunks.splice(0, count)) {
          rows += chunk.batch.rowCount
          freed += chunk.bytes
          this.#release(chunk.builder)
        }
        part.rows -= rows
        part.bytes -= freed
        this.#rows -= rows
        this.#bytes -= freed
      }
      return { snapshot, rows, attempts, lost, committed: ranges, schemaChanged }
    }
  }

  /**
   * Adopts the table's current schema as last loaded, when it is not the one rows are validated
   * against (this worker or another changed it). Buffered rows are carried over to it when it
   * only added optional columns and widened types ({@link migrateBatch}); partitions whose rows
   * cannot be are dropped, to be read again, and returned. Undefined when the schema is the same.
   */
  adoptSchema(): OffsetRange[] | undefined {
    const current = this.table.schema()
    const old = this.#schema
    if (current.schemaId === old.schemaId) return undefined
    const dropped: OffsetRange[] = []
    for (const part of [...this.#parts.values()]) {
      const migrated = part.chunks.map((chunk) => migrateBatch(chunk.batch, old, current))
      if (migrated.every((batch) => batch !== undefined)) {
        // A migrated batch may still view its old builder's arrays: the builder is not used again.
        part.chunks = migrated.map((batch, i) => ({
          batch,
          bytes: part.chunks[i]!.bytes,
          builder: undefined,
        }))
        continue
      }
      dropped.push({ topic: part.topic, partition: part.partition, from: part.from, to: part.next! })
      this.forget(part.topic, part.partition)
    }
    this.#schema = current
    this.#names = new Set(current.fields.map((f) => f.name))
    this.#rowBytes = heldBytesPerRow(current)
    this.#spare = []
    return dropped
  }
}

/** Rows `start` to the end of a batch, as a batch of its own: copies, so the rows before are freed. */
export function sliceRows(batch: ColumnBatch, start: number): ColumnBatch {
  return {
    rowCount: batch.rowCount - start,
    columns: batch.columns.map((column) =>
      isTypedColumn(column) ? sliceTyped(column, start) : column.slice(start),
    ),
  }
}

/**
 * The memory one row of a schema holds in a typed `ColumnBuilder`'s columns besides its strings'
 * bytes: for a flat field its slot in a typed array (an offset for a string or binary) and a
 * validity byte; for any other field a slot per row and the heap object of its value — a Map's
 * or array's, a struct's object. On the benchmark's events (10 flat fields, 208 bytes of JSON)
 * this and half the encoded size make 168 bytes a row.
 */
export function heldBytesPerRow(schema: Schema): number {
  return schema.fields.reduce((n, field) => {
    const kind = typedKind(field.type)
    return n + (kind === undefined ? 8 + boxedBytes(field.type) : 1 + TYPED_SLOT_BYTES[kind])
  }, 0)
}

/** The bytes of a row's slot in a typed column of each kind. */
const TYPED_SLOT_BYTES: Record<TypedColumnKind, number> = {
  boolean: 1,
  int32: 4,
  int64: 8,
  float32: 4,
  float64: 8,
  bytes: 4,
}

function boxedBytes(type: IcebergType): number {
  switch (type.kind) {
    case 'boolean':
    case 'int':
    case 'date':
      return 0
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'decimal':
      return 24
    case 'float':
    case 'double':
    case 'string':
      return 16
    case 'struct':
      return 32 + type.fields.reduce((n, f) => n + 8 + boxedBytes(f.type), 0)
    default:
      // binary, fixed, uuid (a Uint8Array), list and map: a container and a few of its values.
      return 96
  }
}
