import { AbortedError } from '@lake/errors'
import { readPath } from '../expr/evaluator.js'
import { valueKey } from '../expr/literals.js'
import type { FileIO } from '../io/file-io.js'
import type { DataFile } from '../spec/data-file.js'
import type { PartitionSpec } from '../spec/partition-spec.js'
import type { Schema } from '../spec/schema.js'
import type { TableMetadata } from '../spec/table-metadata.js'
import { applyTransform } from '../spec/transforms.js'
import type { IcebergType, PrimitiveType } from '../spec/types.js'
import { type ColumnBatch, takeRows } from './column-batch.js'
import { OutputFileFactory } from './location.js'
import {
  ParquetFileWriter,
  RollingFileWriter,
  targetFileSize,
  type WrittenDataFile,
} from './parquet-writer.js'
import { isTypedColumn, typedValueAt } from './typed-column.js'

/** At most this many finished files are held while their uploads run: the next is encoded meanwhile. */
const UPLOADS_IN_FLIGHT = 2

/** What {@link TableWriter.finish} returns: the data files, and their uploads, which may still run. */
export interface FinishedFiles {
  files: DataFile[]
  /**
   * Resolves once every file is stored; rejects, once every upload has settled, with the first
   * one's error. Nothing may reference the files before it resolves.
   */
  stored: Promise<void>
}

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
 * Iceberg Java stores them (see {@link OutputFileFactory}). A file's upload starts as soon as it
 * is finished and runs while the next is encoded, with at most {@link UPLOADS_IN_FLIGHT} held,
 * so memory holds the open file of each partition and those uploads, not the whole input.
 * `close()` returns the `DataFile`s to commit once they are stored, `finish()` as soon as they
 * are encoded (with their uploads to wait for); `abort()` removes whatever was written.
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
  /**
   * Per partition field: its source column's type, top-level field index, that field's type and
   * the path beneath it.
   */
  readonly #sources: { type: PrimitiveType; column: number; top: IcebergType; path: string[] }[]
  readonly #done: DataFile[] = []
  /** Every upload started, each settling without rejecting: to its error, if it failed. */
  readonly #uploads: Promise<unknown>[] = []
  /** How many of {@link TableWriter.#uploads} were waited for before another started. */
  #waited = 0
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
    this.#sources = this.#spec.fields.map((f) => {
      const [top, ...path] = this.#schema.findColumnName(f.sourceId)!.split('.')
      const column = this.#schema.fields.findIndex((field) => field.name === top)
      return {
        type: this.#schema.findField(f.sourceId)!.type as PrimitiveType,
        column,
        top: this.#schema.fields[column]!.type,
        path,
      }
    })
  }

  /**
   * Writes rows of internal values, already validated against the current schema. A batch whose
   * rows all fall in one partition (always so for an unpartitioned table) goes on as it is;
   * otherwise each partition's rows are gathered into a batch of their own.
   */
  async write(batch: ColumnBatch): Promise<void> {
    for (const { key, partition, rows } of this.#group(batch)) {
      let entry = this.#partitions.get(key)
      if (!entry) {
        entry = {
          partition,
          writer: new RollingFileWriter({ open: this.#open, targetFileSize: this.#target }),
        }
        this.#partitions.set(key, entry)
      }
      const rowsOf = rows === undefined || rows.length === batch.rowCount ? batch : takeRows(batch, rows)
      await this.#store(entry.partition, await entry.writer.write(rowsOf))
    }
  }

  /** The batch's rows by partition (all of them when `rows` is absent), partitions in first-seen order. */
  #group(batch: ColumnBatch): { key: string; partition: unknown[]; rows?: readonly number[] }[] {
    if (this.#spec.fields.length === 0) return [{ key: '', partition: [] }]
    const groups = new Map<string, { key: string; partition: unknown[]; rows: number[] }>()
    let last: { key: string; partition: unknown[]; rows: number[] } | undefined
    for (let row = 0; row < batch.rowCount; row++) {
      const partition = this.#partitionOf(batch, row)
      const key = partitionKey(partition)
      // Rows often arrive in partition order; the last group saves a lookup.
      if (last?.key !== key) {
        last = groups.get(key)
        if (!last) {
          last = { key, partition, rows: [] }
          groups.set(key, last)
        }
      }
      last.rows.push(row)
    }
    return [...groups.values()]
  }

  #partitionOf(batch: ColumnBatch, row: number): unknown[] {
    return this.#spec.fields.map((field, i) => {
      const source = this.#sources[i]!
      const column = batch.columns[source.column]!
      const top = isTypedColumn(column) ? typedValueAt(column, source.top, row) : column[row]
      const value = source.path.length === 0 ? top : readPath(top as Record<string, unknown>, source.path)
      return applyTransform(field.transform, source.type, value)
    })
  }

  /** Finishes every open file and returns all data files written, partitions in first-seen order, once they are stored. */
  async close(): Promise<DataFile[]> {
    const { files, stored } = await this.finish()
    await stored
    return files
  }

  /**
   * Finishes every open file and returns all data files, partitions in first-seen order, as soon
   * as they are encoded, with the promise of their uploads: a caller writes its manifests
   * meanwhile, and commits nothing before `stored` resolves.
   */
  async finish(): Promise<FinishedFiles> {
    for (const { partition, writer } of this.#partitions.values())
      await this.#store(partition, await writer.close())
    this.#partitions.clear()
    return { files: [...this.#done], stored: allStored(this.#uploads) }
  }

  /** Removes every file this writer wrote, once no upload of one is still running. */
  async abort(): Promise<void> {
    this.#partitions.clear()
    await Promise.all(this.#uploads)
    await Promise.all(this.written.map((f) => this.#io.delete(f).catch(() => {})))
  }

  async #store(partition: unknown[], files: readonly WrittenDataFile[]): Promise<void> {
    for (const file of files) {
      if (this.#signal?.aborted) throw new AbortedError('The write was aborted')
      // The oldest upload ends before another file is held: its failure ends the write.
      if (this.#uploads.length - this.#waited >= UPLOADS_IN_FLIGHT) {
        const error = await this.#uploads[this.#waited++]
        if (error !== undefined) throw error
      }
      const filePath = this.#files.newDataLocation(partition)
      this.written.push(filePath)
      this.#uploads.push(
        this.#io.write(filePath, file.bytes, this.#signal ? { signal: this.#signal } : {}).then(
          () => undefined,
          (error: unknown) => error ?? new Error(`The upload of ${filePath} failed`),
        ),
      )
      this.#done.push({ ...file.dataFile, filePath, partition, specId: this.#spec.specId })
    }
  }
}

/** Resolves when every upload has succeeded; once all have settled, rejects with the first failure. */
async function allStored(uploads: readonly Promise<unknown>[]): Promise<void> {
  for (const error of await Promise.all(uploads)) if (error !== undefined) throw error
}

function partitionKey(partition: readonly unknown[]): string {
  return partition.map((v) => (v === null || v === undefined ? '\u0000' : valueKey(v))).join('\u0001')
}
