/**
 * The file layer of writing (iceberg-rust `writer/file_writer`): rows of internal values into one
 * Parquet data file with its Iceberg metrics, and a rolling writer that starts a new file at the
 * table's target size. Where a file goes is the caller's business (see `location.ts`).
 *
 * @module
 */
import { gzipSync } from 'node:zlib'
import { UnsupportedError, ValidationError } from '@lake/errors'
import type { CompressionCodec } from 'hyparquet'
import { ByteWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer'
import type { DataFile } from '../spec/data-file.js'
import { type Schema, schemaToJson } from '../spec/schema.js'
import type { SortOrder } from '../spec/sort-order.js'
import type { IcebergType } from '../spec/types.js'
import { type BatchRange, type ColumnBatch, concatRanges } from './column-batch.js'
import { isFlat, writeFlatColumn } from './flat-column.js'
import { type FileMetrics, footerMetrics, type MetricsMode, metricsModes } from './metrics.js'
import { decimalBytes, parquetSchema } from './parquet-schema.js'
import { Scratch } from './scratch.js'
import { type BatchColumn, isTypedColumn, type TypedColumn, typedValues } from './typed-column.js'
import { type Zstd, ZstdCompressor } from './zstd.js'
import { loadNativeZstd } from './zstd-native.js'

/** The codecs `write.parquet.compression-codec` may name that Lake can write. */
export type ParquetCodec = 'zstd' | 'snappy' | 'gzip' | 'uncompressed'

/**
 * A data file's bytes and everything its `DataFile` entry says but where it lives and which
 * partition it holds, which the caller fills in when it stores the bytes. Its metrics are always
 * present (empty maps for columns whose metrics mode is `none`).
 */
export interface WrittenDataFile {
  bytes: Uint8Array
  dataFile: Omit<DataFile, 'filePath' | 'partition' | 'specId'> & FileMetrics
}

/** Options of {@link ParquetFileWriter}. */
export interface ParquetFileWriterOptions {
  /** The schema the rows follow; its field ids go into the file. */
  schema: Schema
  /** Table properties: `write.parquet.*` and `write.metadata.metrics.*`, Java's names and defaults. */
  properties?: Readonly<Record<string, string>>
  /** The table's sort order: its columns keep bounds even where metrics are otherwise off, as in Java. */
  sortOrder?: SortOrder
}

const CODEC_KEY = 'write.parquet.compression-codec'
const LEVEL_KEY = 'write.parquet.compression-level'
const ROW_GROUP_BYTES_KEY = 'write.parquet.row-group-size-bytes'
const ROW_GROUP_ROWS_KEY = 'write.parquet.row-group-limit'
const PAGE_BYTES_KEY = 'write.parquet.page-size-bytes'
const DICT_BYTES_KEY = 'write.parquet.dict-size-bytes'
/** zstd's level unless `write.parquet.compression-level` says otherwise: parquet-mr's default. */
const ZSTD_LEVEL = 3
const TARGET_FILE_SIZE_KEY = 'write.target-file-size-bytes'
const MiB = 1024 * 1024

/** parquet-mr's `ParsedVersion` form (`<app> version <v> (build <b>)`): parquet-mr readers drop binary statistics of files whose `created_by` does not parse (PARQUET-251). */
const CREATED_BY = 'lake version 0.1.0 (build hyparquet-writer 0.17.0)'

/**
 * The table's Parquet codec, `write.parquet.compression-codec`: zstd by default, as in Iceberg Java
 * since 1.4. Names are case-insensitive, as parquet-mr's `CompressionCodecName`; codecs Java knows
 * but Lake cannot write (lz4, brotli, lzo) are unsupported rather than silently replaced.
 */
export function parquetCodec(properties: Readonly<Record<string, string>>): ParquetCodec {
  const text = properties[CODEC_KEY] ?? 'zstd'
  const value = text.toLowerCase()
  if (value === 'zstd' || value === 'snappy' || value === 'gzip' || value === 'uncompressed') return value
  const context = { property: CODEC_KEY, value: text }
  if (['lz4', 'lz4_raw', 'brotli', 'lzo'].includes(value)) {
    throw new UnsupportedError(
      `Lake cannot write Parquet with the ${text} codec (table property ${CODEC_KEY})`,
      {
        context,
      },
    )
  }
  throw new ValidationError(`Unknown Parquet codec '${text}' in table property ${CODEC_KEY}`, { context })
}

/** The table's target data file size, `write.target-file-size-bytes`: 512 MiB by default, as in Java. */
export function targetFileSize(properties: Readonly<Record<string, string>>): number {
  return positiveInteger(properties, TARGET_FILE_SIZE_KEY, 512 * MiB)
}

function positiveInteger(
  properties: Readonly<Record<string, string>>,
  key: string,
  fallback: number,
): number {
  const text = properties[key]
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value <= 0 || text.trim() === '') {
    throw new ValidationError(`Table property ${key} must be a positive integer, not '${text}'`, {
      context: { property: key, value: text },
    })
  }
  return value
}

let zstdLoading: Promise<Zstd> | undefined

/**
 * Lake's zstd compressor, loaded once per process on first use: native libzstd where the
 * optional `@toondepauw/node-zstd` loads (`zstd-native.ts`, about three times as fast), else
 * Lake's own WebAssembly instance, never @bokuweb/zstd-wasm's shared one, so an application's
 * `init()` of that package, before or after Lake's first write, cannot corrupt Lake's frames
 * (see `zstd.ts`).
 */
export function loadZstd(): Promise<Zstd> {
  zstdLoading ??= loadNativeZstd()
    .then((native): Zstd | Promise<Zstd> => native ?? ZstdCompressor.load())
    .catch((err: unknown) => {
      zstdLoading = undefined
      throw err
    })
  return zstdLoading
}

/** How a `write.parquet.*` setting reaches hyparquet-writer. */
interface ParquetSettings {
  codec: ParquetCodec
  /** `write.parquet.compression-level`, when set. */
  level: number | undefined
  rowGroupBytes: number
  rowGroupRows: number
  pageBytes: number
  dictionaryBytes: number
}

function parquetSettings(properties: Readonly<Record<string, string>>): ParquetSettings {
  const codec = parquetCodec(properties)
  const level = properties[LEVEL_KEY] === undefined ? undefined : Number(properties[LEVEL_KEY])
  if (level !== undefined && !Number.isInteger(level)) {
    throw new ValidationError(
      `Table property ${LEVEL_KEY} must be an integer, not '${properties[LEVEL_KEY]}'`,
      {
        context: { property: LEVEL_KEY, value: properties[LEVEL_KEY] },
      },
    )
  }
  return {
    codec,
    level,
    rowGroupBytes: positiveInteger(properties, ROW_GROUP_BYTES_KEY, 128 * MiB),
    // PyIceberg's limit; it also bounds the level arrays hyparquet-writer builds per row group.
    rowGroupRows: positiveInteger(properties, ROW_GROUP_ROWS_KEY, 1_048_576),
    pageBytes: positiveInteger(properties, PAGE_BYTES_KEY, MiB),
    dictionaryBytes: positiveInteger(properties, DICT_BYTES_KEY, 2 * MiB),
  }
}

const HYPARQUET_CODEC: Record<ParquetCodec, CompressionCodec> = {
  zstd: 'ZSTD',
  snappy: 'SNAPPY',
  gzip: 'GZIP',
  uncompressed: 'UNCOMPRESSED',
}

/**
 * Writes rows of internal values (see `types.ts`), already validated against the schema and
 * given as columns ({@link ColumnBatch}), as one Parquet file whose schema carries the Iceberg
 * field ids, and returns the `DataFile` metrics with the bytes. Rows are buffered only until a row
 * group is full (`write.parquet.row-group-size-bytes`, estimated, or `write.parquet.row-group-limit`
 * rows); the row group is then encoded and compressed, so memory holds one row group of rows and
 * the file's compressed bytes.
 *
 * Internal values are what hyparquet-writer takes (bigint for INT64, unscaled bigint decimals,
 * `Map` for maps, canonical UUID strings), and columns are its input, so a row group that is one
 * whole batch goes to the encoder as the batch's own arrays; nested columns are shredded by
 * hyparquet-writer's Dremel encoder. Measured on the catalog benchmark's 1M rows: validating rows
 * into new row objects and then transposing them here cost about a tenth of the append.
 *
 * When every column is flat (no struct, list, map, UUID, fixed or decimal over 18 digits), row
 * groups are encoded by Lake's own column chunk writer (`flat-column.ts`) instead, page by page
 * straight from those arrays, with the values, dictionaries and statistics hyparquet-writer would
 * write (booleans PLAIN rather than RLE); hyparquet-writer still writes the footer. It takes
 * about half the CPU time (`pnpm bench parquet`, docs/benchmarks.md). A flat field's column may
 * be a typed column (`typed-column.ts`, as a typed `ColumnBuilder` or an ingest worker produces
 * it): that path reads it without a value per row and writes the bytes its values would give
 * (but for page and dictionary sizes of non-ASCII strings, see `typed-chunk.ts`); hyparquet-writer,
 * for a schema with a nested field, is given its values.
 *
 * Metrics come from the column chunks just written — the footer — rather than from a pass over
 * the rows: the encoders compute the Parquet statistics anyway, and the footer is what Java reads
 * too. Measured on 200,000 rows of five flat columns (long, string, double,
 * timestamptz, int), snappy, on a shared 2-core machine: a separate metrics pass over the rows
 * (the previous design) took ~170 ms of a 1.0–2.5 s write; reading the footer takes ~0.1–1 ms,
 * and turning hyparquet-writer's statistics off saved nothing measurable within the noise.
 *
 * @example
 * ```ts
 * const writer = new ParquetFileWriter({ schema, properties: metadata.properties })
 * await writer.write(columnBatch(schema, [{ id: 1n, name: 'a' }]))
 * const { bytes, dataFile } = await writer.close()
 * await io.write(location, bytes)
 * ```
 */
export class ParquetFileWriter {
  readonly #schema: Schema
  readonly #settings: ParquetSettings
  readonly #modes: Map<number, MetricsMode>
  readonly #names: string[]
  readonly #types: IcebergType[]
  readonly #sizes: ColumnSize[]
  readonly #out = new ByteWriter()
  readonly #parquet: ParquetWriter
  /** Each top-level column's Parquet schema element, when every column is flat (see `flat-column.ts`). */
  readonly #flat: SchemaElement[] | undefined
  #zstd: Zstd | undefined
  /** The rows of the row group being buffered, as ranges of the batches they came in. */
  #buffered: BatchRange[] = []
  #bufferedRows = 0
  #bufferedBytes = 0
  /** Estimated in-memory bytes of the row groups already written, to learn the encoded ratio. */
  #flushedEstimate = 0
  #recordCount = 0
  #state: 'open' | 'closed' | 'failed' = 'open'

  constructor(options: ParquetFileWriterOptions) {
    const properties = options.properties ?? {}
    this.#schema = options.schema
    this.#settings = parquetSettings(properties)
    const level = this.#settings.level
    this.#modes = metricsModes(options.schema, properties, options.sortOrder)
    this.#names = options.schema.fields.map((f) => f.name)
    this.#types = options.schema.fields.map((f) => f.type)
    this.#sizes = options.schema.fields.map((f) => columnSize(f.type))
    const elements = parquetSchema(options.schema)
    // A flat schema's elements are the root and then one per field, in field order.
    this.#flat = options.schema.fields.every((f) => isFlat(f.type)) ? elements.slice(1) : undefined
    this.#parquet = new ParquetWriter({
      writer: this.#out,
      schema: elements,
      codec: HYPARQUET_CODEC[this.#settings.codec],
      compressors: {
        // parquet-mr's defaults: zstd level 3, zlib's level 6. The zstd compressor is loaded
        // before the first row group is encoded (see #flush).
        ZSTD: (input) => this.#zstd!.compress(input, level ?? ZSTD_LEVEL),
        GZIP: (input) => new Uint8Array(gzipSync(input, { level: level ?? 6 })),
      },
      statistics: true,
      createdBy: CREATED_BY,
      // Java and PyIceberg record the schema here too; some readers use it to map names to ids.
      kvMetadata: [{ key: 'iceberg.schema', value: JSON.stringify(schemaToJson(options.schema)) }],
    })
  }

  /** Rows written so far, buffered ones included. */
  get recordCount(): number {
    return this.#recordCount
  }

  /** Bytes of the file encoded so far: the row groups already written, not the buffered rows. */
  get bytesWritten(): number {
    return this.#out.offset
  }

  /**
   * The file's size if it were closed now: bytes written plus the buffered rows at the ratio the
   * written row groups achieved (1:1 before the first, which rolls files early rather than late).
   * This is what a rolling writer compares with the target size.
   */
  get estimatedSize(): number {
    const ratio = this.#flushedEstimate > 0 ? this.#out.offset / this.#flushedEstimate : 1
    return this.#out.offset + Math.ceil(this.#bufferedBytes * ratio)
  }

  /**
   * Adds rows `start` to `end` of a batch (all of it by default); a row group is encoded whenever
   * enough are buffered. The batch's arrays are kept, not copied, until their row group is
   * encoded. Await each call before the next: rows of concurrent calls would interleave. A row
   * hyparquet-writer cannot encode (a null in a required column, a value of the wrong type) fails
   * the row group it lands in, here or in `close()`, and the writer with it.
   */
  async write(batch: ColumnBatch, start = 0, end = batch.rowCount): Promise<void> {
    this.#checkOpen()
    const { rowGroupRows, rowGroupBytes } = this.#settings
    while (start < end) {
      let stop = Math.min(end, start + rowGroupRows - this.#bufferedRows)
      let bytes = this.#rangeBytes(batch, start, stop)
      if (this.#bufferedBytes + bytes >= rowGroupBytes) {
        // The row group ends with the row that fills it, as if rows came one at a time.
        bytes = 0
        let row = start
        while (row < stop && this.#bufferedBytes + bytes < rowGroupBytes)
          bytes += this.#rowBytes(batch, row++)
        stop = row
      }
      this.#buffer(batch, start, stop)
      this.#bufferedBytes += bytes
      this.#bufferedRows += stop - start
      this.#recordCount += stop - start
      start = stop
      if (this.#bufferedRows >= rowGroupRows || this.#bufferedBytes >= rowGroupBytes) await this.#flush()
    }
  }

  /** Writes the last row group and the footer, and returns the file with its `DataFile` metrics. */
  async close(): Promise<WrittenDataFile> {
    this.#checkOpen()
    await this.#flush()
    await this.#parquet.finish()
    this.#state = 'closed'
    const bytes = new Uint8Array(this.#out.getBuffer())
    return {
      bytes,
      dataFile: {
        content: 0,
        fileFormat: 'PARQUET',
        recordCount: BigInt(this.#recordCount),
        fileSizeInBytes: BigInt(bytes.byteLength),
        ...footerMetrics(this.#schema, this.#modes, this.#parquet.row_groups),
      },
    }
  }

  async #flush(): Promise<void> {
    if (this.#bufferedRows === 0) return
    if (this.#settings.codec === 'zstd') this.#zstd ??= await loadZstd()
    // The row group's gathered columns and encoded pages are borrowed, and given back once its
    // bytes are in the file.
    const scratch = new Scratch()
    try {
      const columns = concatRanges(this.#buffered, this.#types, scratch)
      if (this.#flat) await this.#writeFlatRowGroup(columns, this.#flat, scratch)
      else {
        // hyparquet-writer takes values: a typed column beside nested ones is materialized.
        const data = columns.map((column, c) =>
          isTypedColumn(column) ? typedValues(column, this.#types[c]!) : (column as unknown[]),
        )
        await this.#parquet.write({
          columnData: this.#names.map((name, c) => ({ name, data: data[c]! })),
          rowGroupSize: this.#bufferedRows,
          pageSize: this.#settings.pageBytes,
          dictionarySize: this.#settings.dictionaryBytes,
        })
      }
    } catch (cause) {
      this.#state = 'failed'
      // Rows reach this writer validated, so this is a row that skipped validation.
      throw new ValidationError(`Cannot encode rows as Parquet: ${(cause as Error).message}`, {
        cause,
        context: { rowGroup: this.#parquet.row_groups.length },
      })
    } finally {
      scratch.release()
    }
    this.#flushedEstimate += this.#bufferedBytes
    this.#buffered = []
    this.#bufferedRows = 0
    this.#bufferedBytes = 0
  }

  /**
   * Writes the buffered rows as one row group of flat column chunks (see `flat-column.ts`) and
   * records it where hyparquet-writer's footer will list it. Every chunk is encoded before any
   * is written, so a value that cannot be encoded leaves the file as it was. With native zstd a
   * chunk's pages are compressed on libuv's threads, so the caller's thread goes on meanwhile
   * (the worker reads on); the bytes are the same.
   */
  async #writeFlatRowGroup(
    columns: readonly BatchColumn[],
    elements: readonly SchemaElement[],
    scratch: Scratch,
  ): Promise<void> {
    const { codec } = this.#settings
    const parquetCodec = HYPARQUET_CODEC[codec]
    const compress = codec === 'uncompressed' ? undefined : this.#parquet.compressors[parquetCodec]
    const zstd = this.#zstd
    const level = this.#settings.level ?? ZSTD_LEVEL
    const compressAsync =
      codec === 'zstd' && zstd?.compressAsync
        ? (input: Uint8Array) => zstd.compressAsync!(input, level)
        : undefined
    const group = new ByteWriter()
    const chunks = []
    for (let c = 0; c < elements.length; c++) {
      chunks.push(
        await writeFlatColumn(group, columns[c]!, {
          element: elements[c]!,
          codec: parquetCodec,
          compress,
          compressAsync,
          pageBytes: this.#settings.pageBytes,
          dictionaryBytes: this.#settings.dictionaryBytes,
          scratch,
        }),
      )
    }
    const start = this.#out.offset
    this.#out.appendBytes(group.getBytes())
    let totalBytes = 0n
    for (const chunk of chunks) {
      const meta = chunk.meta_data!
      // The chunks were laid out from offset 0 of the group: move them to where it landed.
      chunk.file_offset += BigInt(start)
      meta.data_page_offset += BigInt(start)
      if (meta.dictionary_page_offset !== undefined) meta.dictionary_page_offset += BigInt(start)
      totalBytes += meta.total_uncompressed_size
    }
    const rows = BigInt(this.#bufferedRows)
    this.#parquet.num_rows += rows
    this.#parquet.row_groups.push({
      columns: chunks,
      total_byte_size: totalBytes,
      num_rows: rows,
      total_compressed_size: BigInt(this.#out.offset - start),
    })
  }

  /** Buffers rows of a batch, extending the last range when they follow on from it. */
  #buffer(batch: ColumnBatch, start: number, end: number): void {
    const last = this.#buffered.at(-1)
    if (last?.batch === batch && last.end === start) last.end = end
    else this.#buffered.push({ batch, start, end })
  }

  #rangeBytes(batch: ColumnBatch, start: number, end: number): number {
    let bytes = 0
    for (let c = 0; c < this.#sizes.length; c++) bytes += this.#sizes[c]!.range(batch.columns[c]!, start, end)
    return bytes
  }

  #rowBytes(batch: ColumnBatch, row: number): number {
    let bytes = 0
    for (let c = 0; c < this.#sizes.length; c++) bytes += this.#sizes[c]!.row(batch.columns[c]!, row)
    return bytes
  }

  #checkOpen(): void {
    if (this.#state !== 'open') {
      throw new ValidationError(`This Parquet file writer is ${this.#state}; open a new one`, {
        context: { state: this.#state },
      })
    }
  }
}

/** Estimates of the PLAIN-encoded size of a column's values: of one row, and of a range of rows. */
interface ColumnSize {
  row: (column: BatchColumn, row: number) => number
  range: (column: BatchColumn, start: number, end: number) => number
}

/**
 * The size estimates of a column of a type, the measure of buffered rows against the row group
 * and file sizes. A typed column is measured on its arrays, without a value per row: its strings
 * by their UTF-8 bytes, where an array's count UTF-16 units, so for non-ASCII strings a typed
 * batch may fill a row group (and roll a file) a few rows earlier than the same rows as values.
 */
function columnSize(type: IcebergType): ColumnSize {
  const values = valuesSize(type)
  const fixed = fixedSize(type) ?? 0
  return {
    row: (column, row) =>
      isTypedColumn(column) ? typedBytes(column, row, row + 1, fixed) : values.value(column[row] ?? null),
    range: (column, start, end) =>
      isTypedColumn(column) ? typedBytes(column, start, end, fixed) : values.range(column, start, end),
  }
}

/** Rows `start` to `end` of a typed column, PLAIN-encoded: `fixed` bytes or 4 + its bytes per value. */
function typedBytes(column: TypedColumn, start: number, end: number, fixed: number): number {
  let present = end - start
  const { valid } = column
  if (valid) for (let i = start; i < end; i++) present -= 1 - valid[i]!
  // A null's row holds no bytes.
  return column.kind === 'bytes'
    ? 4 * present + column.offsets[end]! - column.offsets[start]!
    : present * fixed
}

/** The estimates of {@link columnSize} for a column held as an array of internal values. */
function valuesSize(type: IcebergType): {
  value: (value: unknown) => number
  range: (column: readonly unknown[], start: number, end: number) => number
} {
  const value = sizeEstimator(type)
  const fixed = fixedSize(type)
  if (fixed !== undefined) {
    return {
      value,
      range: (column, start, end) => {
        let present = 0
        for (let i = start; i < end; i++) if (column[i] !== null && column[i] !== undefined) present++
        return present * fixed
      },
    }
  }
  if (type.kind === 'string' || type.kind === 'binary') {
    const key = type.kind === 'string' ? 'length' : 'byteLength'
    return {
      value,
      range: (column, start, end) => {
        let bytes = 0
        for (let i = start; i < end; i++) {
          const item = column[i] as { [k: string]: number } | null | undefined
          if (item !== null && item !== undefined) bytes += 4 + item[key]!
        }
        return bytes
      },
    }
  }
  return {
    value,
    range: (column, start, end) => {
      let bytes = 0
      for (let i = start; i < end; i++) bytes += value(column[i] ?? null)
      return bytes
    },
  }
}

/**
 * A function estimating the PLAIN-encoded size of one value of a type. Strings count UTF-16
 * units, exact for ASCII.
 */
function sizeEstimator(type: IcebergType): (value: unknown) => number {
  const fixed = fixedSize(type)
  if (fixed !== undefined) return (value) => (value === null ? 0 : fixed)
  switch (type.kind) {
    case 'string':
      return (value) => (value === null || value === undefined ? 0 : 4 + (value as string).length)
    case 'binary':
      return (value) => (value === null || value === undefined ? 0 : 4 + (value as Uint8Array).byteLength)
    case 'struct': {
      const fields = type.fields.map((f) => ({ name: f.name, size: sizeEstimator(f.type) }))
      return (value) => {
        if (value === null || value === undefined) return 0
        let n = 0
        for (const f of fields) n += f.size((value as Record<string, unknown>)[f.name] ?? null)
        return n
      }
    }
    case 'list': {
      const element = sizeEstimator(type.element)
      return (value) => {
        if (value === null || value === undefined) return 0
        let n = 1
        for (const item of value as unknown[]) n += 1 + element(item ?? null)
        return n
      }
    }
    case 'map': {
      const key = sizeEstimator(type.key)
      const val = sizeEstimator(type.value)
      return (value) => {
        if (value === null || value === undefined) return 0
        let n = 1
        for (const [k, v] of value as Map<unknown, unknown>) n += 2 + key(k) + val(v ?? null)
        return n
      }
    }
    default:
      return () => 8
  }
}

function fixedSize(type: IcebergType): number | undefined {
  switch (type.kind) {
    case 'boolean':
      return 1
    case 'int':
    case 'date':
    case 'float':
      return 4
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'double':
      return 8
    case 'uuid':
      return 16
    case 'fixed':
      return type.length
    case 'decimal':
      return type.precision <= 9 ? 4 : type.precision <= 18 ? 8 : decimalBytes(type.precision)
    default:
      return undefined
  }
}

/** Options of {@link RollingFileWriter}. */
export interface RollingFileWriterOptions {
  /** Opens the next file; called when the first row of a file arrives. */
  open: () => ParquetFileWriter
  /** Roll when a file's estimated size reaches this; see {@link targetFileSize}. */
  targetFileSize: number
}

/**
 * Rows between two size checks, as Java's `RollingFileWriter` checks every 1000 rows: a file may
 * overshoot the target by at most this many rows.
 */
const ROWS_BETWEEN_CHECKS = 1000

/**
 * Spreads rows over as many Parquet files as keep each near the target size (iceberg-rust's
 * `RollingFileWriter`). Finished files are handed back as soon as they are closed, so the caller
 * stores them and only the open file's row group stays in memory; no empty file is ever produced.
 *
 * @example
 * ```ts
 * const rolling = new RollingFileWriter({
 *   open: () => new ParquetFileWriter({ schema, properties }),
 *   targetFileSize: targetFileSize(properties),
 * })
 * for (const file of await rolling.write(columnBatch(schema, rows))) await store(file)
 * for (const file of await rolling.close()) await store(file)
 * ```
 */
export class RollingFileWriter {
  readonly #open: () => ParquetFileWriter
  readonly #target: number
  #current: ParquetFileWriter | undefined
  #sinceCheck = 0

  constructor(options: RollingFileWriterOptions) {
    this.#open = options.open
    this.#target = options.targetFileSize
  }

  /** The open file, if rows are pending in one. */
  get current(): ParquetFileWriter | undefined {
    return this.#current
  }

  /** Adds rows and returns the files that reached the target size while they were written. */
  async write(batch: ColumnBatch): Promise<WrittenDataFile[]> {
    const done: WrittenDataFile[] = []
    let start = 0
    while (start < batch.rowCount) {
      const end = Math.min(batch.rowCount, start + ROWS_BETWEEN_CHECKS - this.#sinceCheck)
      this.#current ??= this.#open()
      await this.#current.write(batch, start, end)
      this.#sinceCheck += end - start
      start = end
      if (this.#sinceCheck < ROWS_BETWEEN_CHECKS) continue
      this.#sinceCheck = 0
      if (this.#current.estimatedSize >= this.#target) {
        const file = this.#current
        this.#current = undefined
        done.push(await file.close())
      }
    }
    return done
  }

  /** Closes the open file, if it has rows. */
  async close(): Promise<WrittenDataFile[]> {
    const file = this.#current
    this.#current = undefined
    this.#sinceCheck = 0
    return file && file.recordCount > 0 ? [await file.close()] : []
  }
}
