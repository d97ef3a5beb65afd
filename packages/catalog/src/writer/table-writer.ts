import { AbortedError } from '@lake/errors'
import { readPath } from '../expr/evaluator.js'
import { valueKey } from '../expr/literals.js'
import type { FileIO } from '../io/file-io.js'
import type { DataFile } from '../spec/data-file.js'
import type { PartitionSpec } from '../spec/partition-spec.js'
import type { Schema } from '../spec/schema.js'
import type { TableMetadata } from '../spec/table-metadata.js'
import { applyTransform } from '../spec/transforms.js'
import type { PrimitiveType } from '../spec/types.js'
import { OutputFileFactory } from './location.js'
import {
  ParquetFileWriter,
  RollingFileWriter,
  targetFileSize,
  type WrittenDataFile,
} from './parquet-writer.js'

/** Options of {@link TableWriter}. */
export interface TableWriterOptions {
  io: FileIO
  /** The table's metadata: its current schema, default spec, sort order, properties and location. */
  metadata: TableMetadata
  signal?: AbortSignal
}

/**
 * The table layer of writing (iceberg-rust's fan-out writer): rows are routed by their
 * partition tuple under the table's default spec to one {@link RollingFileWriter} per
 * partition, whose files roll over at `write.target-file-size-bytes` and are stored where
 * Iceberg Java stores them (see {@link OutputFileFactory}). A file is written to storage as soon
 * as it is finished, so memory holds the open file of each partition, not the whole input.
 * `close()` returns the `DataFile`s to commit; `abort()` removes whatever was written.
 */
export class TableWriter {
  readonly #io: FileIO
  readonly #schema: Schema
  readonly #spec: PartitionSpec
  readonly #signal: AbortSignal | undefined
  readonly #files: OutputFileFactory
  readonly #open: () => ParquetFileWriter
  readonly #target: number
  readonly #partitions = new Map<string, { partition: unknown[]; writer: RollingFileWriter }>()
  readonly #sourceTypes: PrimitiveType[]
  readonly #sourcePaths: string[][]
  readonly #done: DataFile[] = []
  /** Locations of every file written so far. */
  readonly written: string[] = []

  constructor(options: TableWriterOptions) {
    const { metadata } = options
    this.#io = options.io
    this.#schema = metadata.currentSchema()
    this.#spec = metadata.defaultSpec()
    this.#signal = options.signal
    this.#files = new OutputFileFactory({
      tableLocation: metadata.location,
      properties: metadata.properties,
      spec: this.#spec,
      schema: this.#schema,
    })
    const sortOrder = metadata.defaultSortOrder()
    this.#open = () =>
      new ParquetFileWriter({ schema: this.#schema, properties: metadata.properties, sortOrder })
    this.#target = targetFileSize(metadata.properties)
    this.#sourceTypes = this.#spec.fields.map(
      (f) => this.#schema.findField(f.sourceId)!.type as PrimitiveType,
    )
    this.#sourcePaths = this.#spec.fields.map((f) => this.#schema.findColumnName(f.sourceId)!.split('.'))
  }

  /** Writes rows of internal values, already validated against the current schema. */
  async write(rows: readonly Record<string, unknown>[]): Promise<void> {
    const batches = new Map<string, Record<string, unknown>[]>()
    for (const row of rows) {
      const partition = this.#spec.fields.map((field, i) =>
        applyTransform(field.transform, this.#sourceTypes[i]!, readPath(row, this.#sourcePaths[i]!)),
      )
      const key = partition
        .map((v) => (v === null || v === undefined ? '\u0000' : valueKey(v)))
        .join('\u0001')
      if (!this.#partitions.has(key)) {
        this.#partitions.set(key, {
          partition,
          writer: new RollingFileWriter({ open: this.#open, targetFileSize: this.#target }),
        })
      }
      let batch = batches.get(key)
      if (!batch) {
        batch = []
        batches.set(key, batch)
      }
      batch.push(row)
    }
    for (const [key, batch] of batches) {
      const { partition, writer } = this.#partitions.get(key)!
      await this.#store(partition, await writer.write(batch))
    }
  }

  /** Finishes every open file and returns all data files written, partitions in first-seen order. */
  async close(): Promise<DataFile[]> {
    for (const { partition, writer } of this.#partitions.values())
      await this.#store(partition, await writer.close())
    this.#partitions.clear()
    return [...this.#done]
  }

  /** Removes every file this writer wrote. */
  async abort(): Promise<void> {
    this.#partitions.clear()
    await Promise.all(this.written.map((f) => this.#io.delete(f).catch(() => {})))
  }

  async #store(partition: unknown[], files: readonly WrittenDataFile[]): Promise<void> {
    for (const file of files) {
      if (this.#signal?.aborted) throw new AbortedError('The write was aborted')
      const filePath = this.#files.newDataLocation(partition)
      this.written.push(filePath)
      await this.#io.write(filePath, file.bytes, this.#signal ? { signal: this.#signal } : {})
      this.#done.push({ ...file.dataFile, filePath, partition, specId: this.#spec.specId })
    }
  }
}
