import { randomUUID } from 'node:crypto'
import { AbortedError } from '@lake/errors'
import { valueKey } from '../expr/literals.js'
import { type FileIO, joinLocation } from '../io/file-io.js'
import type { DataFile } from '../spec/data-file.js'
import type { PartitionSpec } from '../spec/partition-spec.js'
import type { Schema } from '../spec/schema.js'
import type { TableMetadata } from '../spec/table-metadata.js'
import { applyTransform, transformHumanString } from '../spec/transforms.js'
import type { PrimitiveType } from '../spec/types.js'
import { writeDataFile } from './data-file-writer.js'

/** Options of {@link TableWriter}. */
export interface TableWriterOptions {
  io: FileIO
  /** The table's metadata: its current schema, default spec, properties and location. */
  metadata: TableMetadata
  signal?: AbortSignal
}

/** Iceberg Java's default `write.target-file-size-bytes`: 512 MiB. */
const DEFAULT_TARGET_FILE_SIZE = 512 * 1024 * 1024

/**
 * The table layer of writing (iceberg-rust's fan-out writer): rows are grouped by their
 * partition tuple under the table's default spec, and each group becomes Parquet files that
 * roll over at the table's target file size, placed where Iceberg Java places them:
 * `<location>/data/<field>=<value>/…/<n>-<task>-<uuid>-<n>.parquet`. `close()` returns the
 * `DataFile`s to commit; `abort()` removes whatever was written.
 */
export class TableWriter {
  readonly #io: FileIO
  readonly #schema: Schema
  readonly #spec: PartitionSpec
  readonly #properties: Readonly<Record<string, string>>
  readonly #dataLocation: string
  readonly #signal: AbortSignal | undefined
  readonly #groups = new Map<string, { partition: unknown[]; rows: Record<string, unknown>[] }>()
  readonly #sourceTypes: PrimitiveType[]
  readonly #sourcePaths: string[][]
  readonly #uuid = randomUUID()
  #fileCount = 0
  /** Locations of every file written so far. */
  readonly written: string[] = []

  constructor(options: TableWriterOptions) {
    const { metadata } = options
    this.#io = options.io
    this.#schema = metadata.currentSchema()
    this.#spec = metadata.defaultSpec()
    this.#properties = metadata.properties
    this.#signal = options.signal
    this.#dataLocation = metadata.properties['write.data.path'] ?? joinLocation(metadata.location, 'data')
    this.#sourceTypes = this.#spec.fields.map(
      (f) => this.#schema.findField(f.sourceId)!.type as PrimitiveType,
    )
    this.#sourcePaths = this.#spec.fields.map((f) => this.#schema.findColumnName(f.sourceId)!.split('.'))
  }

  /** Buffers rows of internal values, grouped by partition. */
  async write(rows: readonly Record<string, unknown>[]): Promise<void> {
    for (const row of rows) {
      const partition = this.#spec.fields.map((field, i) =>
        applyTransform(field.transform, this.#sourceTypes[i]!, valueAt(row, this.#sourcePaths[i]!)),
      )
      const key = partition
        .map((v) => (v === null || v === undefined ? '\u0000' : valueKey(v)))
        .join('\u0001')
      let group = this.#groups.get(key)
      if (!group) {
        group = { partition, rows: [] }
        this.#groups.set(key, group)
      }
      group.rows.push(row)
    }
  }

  /** Writes every buffered group and returns the data files, partitions in first-seen order. */
  async close(): Promise<DataFile[]> {
    const files: DataFile[] = []
    const target = targetFileSize(this.#properties)
    for (const { partition, rows } of this.#groups.values()) {
      for (const chunk of rollingChunks(rows, target)) {
        if (this.#signal?.aborted) throw new AbortedError('The write was aborted')
        const written = await writeDataFile(this.#schema, chunk, this.#properties)
        const filePath = this.#newLocation(partition)
        this.written.push(filePath)
        await this.#io.write(filePath, written.bytes, this.#signal ? { signal: this.#signal } : {})
        files.push({ ...written.dataFile, filePath, partition, specId: this.#spec.specId })
      }
    }
    this.#groups.clear()
    return files
  }

  /** Removes every file this writer wrote. */
  async abort(): Promise<void> {
    this.#groups.clear()
    await Promise.all(this.written.map((f) => this.#io.delete(f).catch(() => {})))
  }

  #newLocation(partition: readonly unknown[]): string {
    this.#fileCount += 1
    const name = `00000-0-${this.#uuid}-${String(this.#fileCount).padStart(5, '0')}.parquet`
    const parts = this.#spec.fields.map(
      (field, i) =>
        `${encodeURIComponent(field.name)}=${encodeURIComponent(
          transformHumanString(field.transform, this.#sourceTypes[i]!, partition[i]),
        )}`,
    )
    return joinLocation(this.#dataLocation, ...parts, name)
  }
}

function valueAt(row: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = row
  for (const name of path) {
    if (value === null || value === undefined) return null
    value = (value as Record<string, unknown>)[name]
  }
  return value ?? null
}

function targetFileSize(properties: Readonly<Record<string, string>>): number {
  const value = Number(properties['write.target-file-size-bytes'])
  return Number.isSafeInteger(value) && value > 0 ? value : DEFAULT_TARGET_FILE_SIZE
}

/**
 * Splits rows into chunks whose estimated Parquet size stays under the target. The estimate is
 * the rows' in-memory size halved (Parquet's encodings and compression), which errs towards
 * smaller files rather than larger ones.
 */
function* rollingChunks<T extends Record<string, unknown>>(
  rows: readonly T[],
  target: number,
): Generator<T[]> {
  let start = 0
  let size = 0
  for (let i = 0; i < rows.length; i++) {
    size += estimateSize(rows[i]) / 2
    if (size >= target && i + 1 > start) {
      yield rows.slice(start, i + 1)
      start = i + 1
      size = 0
    }
  }
  if (start < rows.length) yield rows.slice(start)
}

function estimateSize(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length + 4
    case 'number':
    case 'bigint':
      return 8
    case 'boolean':
      return 1
    case 'object': {
      if (value === null) return 1
      if (value instanceof Uint8Array) return value.byteLength + 4
      if (value instanceof Map) {
        let n = 0
        for (const [k, v] of value) n += estimateSize(k) + estimateSize(v)
        return n
      }
      if (Array.isArray(value)) return value.reduce((n: number, v) => n + estimateSize(v), 0)
      let n = 0
      for (const v of Object.values(value)) n += estimateSize(v)
      return n
    }
    default:
      return 1
  }
}
