/**
 * Column chunks of flat columns — top-level booleans, numbers, dates, times, timestamps, strings,
 * binaries and decimals of up to 18 digits — encoded straight from the rows' internal values,
 * page by page, without hyparquet-writer's per-value conversions (a `Uint8Array` per string,
 * a converted copy of every column) or its levels and statistics passes. Pure code: it writes
 * into a `ByteWriter` and returns the chunk's metadata in hyparquet-writer's form, so that a
 * file mixes these chunks with hyparquet-writer's footer.
 *
 * The chunk holds what hyparquet-writer's `writeColumn` would write for the same values, read
 * back: data pages v2, a dictionary when hyparquet-writer's rule would choose one (a sample of
 * 1,000 values spread over the chunk mostly repeats, the dictionary stays under the table's
 * dictionary size, and it and its indexes at least halve the plain values), and the same
 * statistics (the internal values' minimum and maximum, strings in UTF-8 byte order, NaN
 * skipped and counted, zeros signed as the Parquet spec says, nulls counted).
 *
 * A chunk's rows come as an array of internal values or as a typed column (`typed-column.ts`);
 * which one is decided once per chunk, and each form has its own loops (the typed ones in
 * `typed-chunk.ts`) behind {@link ChunkValues}, so that no value is asked what form it is in.
 *
 * @module
 */
import { ByteWriter, type ParquetWriter, type SchemaElement } from 'hyparquet-writer'
import { writePageHeader } from 'hyparquet-writer/src/datapage.js'
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js'
import type { IcebergType } from '../spec/types.js'
import { FRESH, type Lender } from './scratch.js'
import { typedChunk } from './typed-chunk.js'
import { type BatchColumn, isTypedColumn } from './typed-column.js'

/** How a flat column's values are laid out in a page. */
export type Physical = 'BOOLEAN' | 'INT32' | 'INT64' | 'FLOAT' | 'DOUBLE' | 'BYTE_ARRAY'

/** Whether a top-level column of this type is written by {@link writeFlatColumn}. */
export function isFlat(type: IcebergType): boolean {
  switch (type.kind) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'string':
    case 'binary':
      return true
    case 'decimal':
      return type.precision <= 18
    default:
      return false
  }
}

/** What {@link writeFlatColumn} needs to know of the file being written. */
export interface FlatColumnOptions {
  /** The column's Parquet schema element (see `parquetSchema`). */
  element: SchemaElement
  codec: CompressionCodec
  /** Compresses a page's values for `codec` (absent for `UNCOMPRESSED`). */
  compress: ((input: Uint8Array) => Uint8Array) | undefined
  /**
   * The same compression off the calling thread, when the codec's library has it: the chunk's
   * pages are then compressed at once, and the caller's thread is free meanwhile.
   */
  compressAsync?: ((input: Uint8Array) => Promise<Uint8Array>) | undefined
  /** `write.parquet.page-size-bytes`: a page ends with the value that reaches it. */
  pageBytes: number
  /** `write.parquet.dict-size-bytes`: a larger dictionary is not used. */
  dictionaryBytes: number
  /**
   * Where pages, levels and indexes are encoded: a `Scratch` that takes them back once the chunk
   * is written (see `scratch.ts`); without it they are allocated.
   */
  scratch?: Lender | undefined
}

/** hyparquet-writer's statistics of a chunk, in internal values. */
interface Statistics {
  min_value: unknown
  max_value: unknown
  null_count: bigint
  nan_count: bigint | undefined
}

/**
 * A chunk's rows as the chunk writer reads them, whatever form they are held in. Rows are
 * numbered from 0 to `length`; a null is a row without a value.
 */
export interface ChunkValues {
  readonly length: number
  /** The least and greatest value (internal values: see {@link Extremes}), nulls and NaNs. */
  extremes(): Extremes
  /** The chunk's dictionary, when hyparquet-writer's rule would use one (see {@link ChunkDictionary}). */
  dictionary(dictionaryBytes: number): ChunkDictionary | undefined
  /**
   * The end of a PLAIN page of byte arrays that starts at row `from`: the row whose value reaches
   * `pageBytes` (fixed-width pages end by their width alone).
   */
  pageEnd(from: number, pageBytes: number): number
  /** Per row from `from` to `to`, 1 for a value and 0 for a null. */
  defined(from: number, to: number): Uint8Array
  /** The PLAIN encoding of the `present` values of rows `from` to `to`. */
  plain(from: number, to: number, present: number): Uint8Array
}

/** A chunk's dictionary: its distinct values in first-seen order. */
export interface ChunkDictionary {
  readonly size: number
  /** The dictionary page's values, PLAIN-encoded. */
  page(): Uint8Array
  /** The dictionary indexes of the `present` values of rows `from` to `to`. */
  indexes(from: number, to: number, present: number): Int32Array
}

/** A column chunk's metadata as hyparquet-writer's footer takes it. */
type ColumnChunk = ParquetWriter['row_groups'][number]['columns'][number]
type ChunkMetaData = NonNullable<ColumnChunk['meta_data']>
type CompressionCodec = ChunkMetaData['codec']

/**
 * Writes the column chunk of `column`, a row group's rows of one flat column (internal values,
 * null for a null, or a typed column of the column's layout), at the writer's offset and returns
 * its metadata. A null in a required column, or a typed column of another layout, throws before
 * anything is written; a value not of the column's internal type throws when its page is
 * encoded, after the pages before it (`ParquetFileWriter` encodes a row group into a buffer of
 * its own, dropped on a throw). A typed column's chunk is byte for byte the chunk of the same
 * rows as values but where strings are not ASCII: its page and dictionary size estimates count
 * their UTF-8 bytes where hyparquet-writer's count UTF-16 units (see `typed-chunk.ts`).
 */
export async function writeFlatColumn(
  writer: ByteWriter,
  column: BatchColumn,
  options: FlatColumnOptions,
): Promise<ColumnChunk> {
  const { element } = options
  const physical = element.type as Physical
  const required = element.repetition_type === 'REQUIRED'
  const values = isTypedColumn(column)
    ? typedChunk(column, physical, element, options.scratch)
    : arrayChunk(column, physical, element)
  // The dictionary first: a typed chunk finds a column's extremes among its distinct values.
  const dictionary = physical === 'BOOLEAN' ? undefined : values.dictionary(options.dictionaryBytes)
  const statistics = chunkStatistics(values, physical, required)
  // Every page is encoded first, then all are compressed, then laid out in order.
  const pages: Page[] = []
  if (dictionary) {
    pages.push({
      raw: dictionary.page(),
      header: {
        type: 'DICTIONARY_PAGE',
        dictionary_page_header: { num_values: dictionary.size, encoding: 'PLAIN' },
      },
    })
  }
  const encoding = dictionary ? 'RLE_DICTIONARY' : 'PLAIN'
  let from = 0
  const rows = values.length
  // A dictionary's pages hold its 4-byte indexes, as hyparquet-writer measures them.
  const fixed = dictionary ? FIXED_BYTES.INT32 : FIXED_BYTES[physical]
  while (from < rows) {
    const to =
      fixed === undefined
        ? values.pageEnd(from, options.pageBytes)
        : fixedPageEnd(rows, from, fixed, options.pageBytes)
    pages.push(dataPage(options, values, from, to, required, dictionary))
    from = to
  }
  const compressed = options.compressAsync
    ? await Promise.all(pages.map((page) => options.compressAsync!(page.raw)))
    : pages.map((page) => (options.compress ? options.compress(page.raw) : page.raw))

  const chunkStart = writer.offset
  // The dictionary page, if any, is the first; the data pages follow it.
  const firstData = dictionary ? 1 : 0
  const dictionaryPageOffset = dictionary ? BigInt(chunkStart) : undefined
  let dataPageOffset = BigInt(chunkStart)
  let uncompressed = 0
  pages.forEach((page, p) => {
    if (p === firstData) dataPageOffset = BigInt(writer.offset)
    uncompressed += writePage(writer, page, compressed[p]!)
  })
  return {
    meta_data: {
      type: physical,
      encodings: dictionary ? ['PLAIN', 'RLE_DICTIONARY'] : ['PLAIN'],
      path_in_schema: [element.name],
      codec: options.codec,
      num_values: BigInt(rows),
      total_compressed_size: BigInt(writer.offset - chunkStart),
      total_uncompressed_size: BigInt(uncompressed),
      data_page_offset: dataPageOffset,
      dictionary_page_offset: dictionaryPageOffset,
      statistics: statistics as ChunkMetaData['statistics'],
      encoding_stats: [
        ...(dictionary
          ? [{ page_type: 'DICTIONARY_PAGE' as const, encoding: 'PLAIN' as const, count: 1 }]
          : []),
        { page_type: 'DATA_PAGE_V2' as const, encoding, count: pages.length - firstData },
      ],
    },
    file_offset: BigInt(chunkStart),
  }
}

/**
 * The rows of an array of internal values as {@link ChunkValues}: hyparquet-writer's input, read
 * with the loops below.
 */
function arrayChunk(all: readonly unknown[], physical: Physical, element: SchemaElement): ChunkValues {
  return {
    length: all.length,
    extremes: () => arrayExtremes(all, physical, element),
    dictionary: (dictionaryBytes) => {
      const dictionary = buildDictionary(all, physical, dictionaryBytes)
      return dictionary && arrayDictionary(all, physical, dictionary)
    },
    pageEnd: (from, pageBytes) => pageEnd(all, from, pageBytes),
    defined: (from, to) => {
      const defined = new Uint8Array(to - from)
      for (let i = from; i < to; i++) if (all[i] !== null && all[i] !== undefined) defined[i - from] = 1
      return defined
    },
    plain: (from, to, present) => plainValues(all, from, to, present, physical).bytes(),
  }
}

/** A dictionary of an array's values as {@link ChunkDictionary}: its indexes looked up by key. */
function arrayDictionary(
  all: readonly unknown[],
  physical: Physical,
  dictionary: Dictionary,
): ChunkDictionary {
  const { values, index } = dictionary
  return {
    size: values.length,
    page: () => plainValues(values, 0, values.length, values.length, physical).bytes(),
    indexes: (from, to, present) => {
      const indexes = new Int32Array(present)
      let n = 0
      for (let i = from; i < to; i++) {
        const value = all[i]
        if (value !== null && value !== undefined) indexes[n++] = index.get(dictionaryKey(value))!
      }
      return indexes
    },
  }
}

/** The end of a page of fixed-width values that starts at `from`, `width` bytes a value. */
function fixedPageEnd(rows: number, from: number, width: number, pageBytes: number): number {
  return Math.min(rows, from + Math.max(1, Math.ceil(pageBytes / width)))
}

/** The end of the page of byte arrays that starts at `from`: the value whose plain bytes reach `pageBytes`. */
function pageEnd(values: readonly unknown[], from: number, pageBytes: number): number {
  let bytes = 0
  let i = from
  while (i < values.length && bytes < pageBytes) {
    const value = values[i++]
    if (value === null || value === undefined) continue
    bytes += 4 + (typeof value === 'string' ? value.length : (value as Uint8Array).byteLength)
  }
  return i
}

/** The PLAIN bytes of one value of each fixed-width layout. */
const FIXED_BYTES: Partial<Record<Physical, number>> = {
  BOOLEAN: 1 / 8,
  INT32: 4,
  INT64: 8,
  FLOAT: 4,
  DOUBLE: 8,
}

/**
 * A page encoded and not yet compressed: its header but for the sizes, its definition levels
 * (a data page v2 keeps them uncompressed, before its values) and its values.
 */
interface Page {
  header: Omit<PageHeader, 'uncompressed_page_size' | 'compressed_page_size'>
  levels?: Uint8Array
  raw: Uint8Array
}
type PageHeader = Parameters<typeof writePageHeader>[1]

/** Data page v2 of values `from` to `to`, encoded. */
function dataPage(
  options: FlatColumnOptions,
  values: ChunkValues,
  from: number,
  to: number,
  required: boolean,
  dictionary: ChunkDictionary | undefined,
): Page {
  const count = to - from
  let nulls = 0
  let levels: Uint8Array = new Uint8Array(0)
  if (!required) {
    const defined = values.defined(from, to)
    for (let i = 0; i < count; i++) nulls += 1 - defined[i]!
    levels = rleBitPacked(defined, 1, 0, options.scratch)
  }
  const present = count - nulls
  let raw: Uint8Array
  if (dictionary) {
    const width = Math.max(1, Math.ceil(Math.log2(dictionary.size)))
    raw = rleBitPacked(dictionary.indexes(from, to, present), width, 1, options.scratch)
    raw[0] = width
  } else {
    raw = values.plain(from, to, present)
  }
  return {
    header: {
      type: 'DATA_PAGE_V2',
      data_page_header_v2: {
        num_values: count,
        num_nulls: nulls,
        num_rows: count,
        encoding: dictionary ? 'RLE_DICTIONARY' : 'PLAIN',
        definition_levels_byte_length: levels.length,
        repetition_levels_byte_length: 0,
        is_compressed: options.compress !== undefined,
      },
    },
    levels,
    raw,
  }
}

/** Writes a page, its values compressed as `compressed`, and returns its uncompressed size. */
function writePage(writer: ByteWriter, page: Page, compressed: Uint8Array): number {
  const levels = page.levels?.length ?? 0
  const start = writer.offset
  writePageHeader(writer, {
    ...page.header,
    uncompressed_page_size: levels + page.raw.length,
    compressed_page_size: levels + compressed.length,
  } as PageHeader)
  const header = writer.offset - start
  if (page.levels) writer.appendBytes(page.levels)
  writer.appendBytes(compressed)
  return header + levels + page.raw.length
}

/**
 * Values in the RLE / bit-packed hybrid encoding, after `skip` bytes left for the caller: runs of
 * 8 or more equal values as RLE runs, the rest bit-packed in groups of 8, as hyparquet-writer
 * lays them out. Widths over 24 bits are left to hyparquet-writer's encoder. Every byte up to
 * the end is written, so `lender` may lend the output unzeroed.
 */
export function rleBitPacked(
  values: Uint8Array | Int32Array,
  width: number,
  skip: number,
  lender: Lender = FRESH,
): Uint8Array {
  const count = values.length
  if (width > 24) {
    const writer = new ByteWriter(skip + Math.ceil((count * width) / 8) + 16)
    for (let i = 0; i < skip; i++) writer.appendUint8(0)
    writeRleBitPackedHybrid(writer, values, width)
    return writer.getBytes()
  }
  const valueBytes = (width + 7) >> 3
  // At worst every group of 8 is bit-packed behind a header of its own.
  const out = lender.bytes(skip + Math.ceil(count / 8) * (width + 5) + 16)
  let at = skip
  let packedFrom = 0
  let groups = 0
  let i = 0
  while (i < count) {
    const value = values[i]!
    let run = 1
    while (i + run < count && values[i + run] === value) run++
    if (run >= 8) {
      if (groups > 0) at = bitPack(out, at, values, packedFrom, groups, width)
      groups = 0
      at = varint(out, at, run << 1)
      for (let b = 0; b < valueBytes; b++) out[at++] = (value >>> (8 * b)) & 0xff
      i += run
    } else {
      if (groups === 0) packedFrom = i
      groups++
      i += 8
    }
  }
  if (groups > 0) at = bitPack(out, at, values, packedFrom, groups, width)
  return out.subarray(0, at)
}

/** Writes `groups` groups of 8 values from `from` bit-packed (zeros past the end) behind their header. */
function bitPack(
  out: Uint8Array,
  at: number,
  values: Uint8Array | Int32Array,
  from: number,
  groups: number,
  width: number,
): number {
  at = varint(out, at, (groups << 1) | 1)
  const end = Math.min(values.length, from + groups * 8)
  let buffer = 0
  let bits = 0
  for (let i = from; i < end; i++) {
    buffer |= values[i]! << bits
    bits += width
    while (bits >= 8) {
      out[at++] = buffer & 0xff
      buffer >>>= 8
      bits -= 8
    }
  }
  if (bits > 0) out[at++] = buffer & 0xff
  // The last group's missing values are zeros: whole bytes of them.
  const written = Math.ceil(((end - from) * width) / 8)
  const total = groups * width
  for (let b = written; b < total; b++) out[at++] = 0
  return at
}

function varint(out: Uint8Array, at: number, value: number): number {
  while (value > 0x7f) {
    out[at++] = (value & 0x7f) | 0x80
    value >>>= 7
  }
  out[at++] = value
  return at
}

/**
 * The PLAIN encoding of the non-null values from `from` to `to`: a data page's, or a dictionary's.
 * A required column's nulls were refused with its statistics.
 */
function plainValues(
  values: readonly unknown[],
  from: number,
  to: number,
  present: number,
  physical: Physical,
): PageBuffer {
  switch (physical) {
    case 'BOOLEAN': {
      const out = new Uint8Array(Math.ceil(present / 8))
      let n = 0
      for (let i = from; i < to; i++) {
        const value = values[i]
        if (value === null || value === undefined) continue
        if (typeof value !== 'boolean') throw wrongType(physical, value)
        if (value) out[n >> 3]! |= 1 << (n & 7)
        n++
      }
      return PageBuffer.of(out)
    }
    case 'INT32': {
      const out = new Int32Array(present)
      let n = 0
      for (let i = from; i < to; i++) {
        const value = values[i]
        if (value === null || value === undefined) continue
        out[n++] = int32(value)
      }
      return PageBuffer.of(new Uint8Array(out.buffer))
    }
    case 'INT64': {
      const out = new BigInt64Array(present)
      let n = 0
      for (let i = from; i < to; i++) {
        const value = values[i]
        if (value === null || value === undefined) continue
        // A BigInt64Array would wrap a value out of range silently.
        if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX)
          throw wrongType(physical, value)
        out[n++] = value
      }
      return PageBuffer.of(new Uint8Array(out.buffer))
    }
    case 'FLOAT':
    case 'DOUBLE': {
      const out = physical === 'FLOAT' ? new Float32Array(present) : new Float64Array(present)
      let n = 0
      for (let i = from; i < to; i++) {
        const value = values[i]
        if (value === null || value === undefined) continue
        if (typeof value !== 'number') throw wrongType(physical, value)
        out[n++] = value
      }
      return PageBuffer.of(new Uint8Array(out.buffer))
    }
    case 'BYTE_ARRAY': {
      const out = new PageBuffer(1024)
      for (let i = from; i < to; i++) {
        const value = values[i]
        if (value === null || value === undefined) continue
        if (typeof value === 'string') out.string(value)
        else if (value instanceof Uint8Array) out.binary(value)
        else throw wrongType(physical, value)
      }
      return out
    }
  }
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** An INT32 column's value: a number, or a decimal's unscaled bigint. */
function int32(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    throw wrongType('INT32', value)
  }
  return n
}

function requiredNull(): Error {
  return new Error('parquet required value is undefined')
}

function wrongType(physical: Physical, value: unknown): Error {
  return new Error(`parquet expected a ${physical} value, got ${typeof value}`)
}

/** A growing byte buffer for a page of byte arrays. */
class PageBuffer {
  #buffer: Buffer
  #at = 0

  constructor(capacity: number) {
    this.#buffer = Buffer.allocUnsafe(Math.max(16, capacity))
  }

  /** A buffer holding exactly `bytes`. */
  static of(bytes: Uint8Array): PageBuffer {
    const page = new PageBuffer(0)
    page.#buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    page.#at = bytes.byteLength
    return page
  }

  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#at)
  }

  #ensure(size: number): void {
    if (this.#at + size <= this.#buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#at + size))
    this.#buffer.copy(grown, 0, 0, this.#at)
    this.#buffer = grown
  }

  /** A string as its UTF-8 bytes after their length (lone surrogates as U+FFFD, as `TextEncoder`). */
  string(value: string): void {
    this.#ensure(4 + 3 * value.length)
    const length = this.#buffer.write(value, this.#at + 4, 'utf8')
    this.#buffer.writeUInt32LE(length, this.#at)
    this.#at += 4 + length
  }

  binary(value: Uint8Array): void {
    this.#ensure(4 + value.byteLength)
    this.#buffer.writeUInt32LE(value.byteLength, this.#at)
    this.#buffer.set(value, this.#at + 4)
    this.#at += 4 + value.byteLength
  }
}

/** A chunk's dictionary: its distinct values in first-seen order, and each one's index by key. */
interface Dictionary {
  values: unknown[]
  index: Map<unknown, number>
}

/** The key of a value in a dictionary's index: byte arrays by their bytes, the rest as they are. */
function dictionaryKey(value: unknown): unknown {
  return value instanceof Uint8Array
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1')
    : value
}

/** The plain size of one value, as hyparquet-writer estimates it (strings by UTF-16 units). */
function estimatedSize(value: unknown, physical: Physical): number {
  switch (physical) {
    case 'INT32':
    case 'FLOAT':
      return 4
    case 'INT64':
    case 'DOUBLE':
      return 8
    default:
      return typeof value === 'string' ? value.length : (value as Uint8Array).byteLength
  }
}

/** The share of distinct bytes in a sample above which no dictionary is tried: hyparquet-writer's. */
const SAMPLE_REJECTION_RATIO = 0.9

/**
 * The chunk's dictionary, when hyparquet-writer's rule would use one: a sample of up to 1,000
 * values spread over the chunk is mostly repeats, the dictionary's UTF-8 bytes stay within
 * `dictionaryBytes`, and dictionary plus bit-packed indexes at most halve the plain values.
 * Floating-point columns holding -0 get none: a dictionary keys -0 and 0 as one.
 */
function buildDictionary(
  values: readonly unknown[],
  physical: Physical,
  dictionaryBytes: number,
): Dictionary | undefined {
  const prefix = physical === 'BYTE_ARRAY' ? 4 : 0
  const sampleSize = Math.min(values.length, 1000)
  const sampled = new Set<unknown>()
  let sampleDistinct = 0
  let sampleTotal = 0
  for (let i = 0; i < sampleSize; i++) {
    const at = sampleSize === 1 ? 0 : Math.floor((i * (values.length - 1)) / (sampleSize - 1))
    const value = values[at]
    if (value === null || value === undefined) continue
    const size = estimatedSize(value, physical) + prefix
    const key = dictionaryKey(value)
    if (!sampled.has(key)) {
      sampled.add(key)
      sampleDistinct += size
    }
    sampleTotal += size
  }
  if (sampleTotal === 0 || sampleDistinct / sampleTotal > SAMPLE_REJECTION_RATIO) return undefined
  const floating = physical === 'FLOAT' || physical === 'DOUBLE'
  const dictionary: unknown[] = []
  const index = new Map<unknown, number>()
  let distinctSize = 0
  let physicalSize = 0
  let totalSize = 0
  let present = 0
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (value === null || value === undefined) continue
    if (floating && Object.is(value, -0)) return undefined
    present++
    const key = dictionaryKey(value)
    const size = estimatedSize(value, physical)
    totalSize += size
    if (index.has(key)) continue
    distinctSize += size
    physicalSize += typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : size
    if (dictionaryBytes && physicalSize > dictionaryBytes) return undefined
    index.set(key, dictionary.length)
    dictionary.push(value)
  }
  const width = Math.ceil(Math.log2(dictionary.length))
  const indexSize = Math.ceil((present * width) / 8)
  const plainSize = totalSize + present * prefix
  if (2 * (distinctSize + dictionary.length * prefix + indexSize) > plainSize) return undefined
  return { values: dictionary, index }
}

/**
 * hyparquet-writer's statistics of the chunk's values (see the module's comment); a null in a
 * required column throws.
 */
function chunkStatistics(values: ChunkValues, physical: Physical, required: boolean): Statistics {
  const found = values.extremes()
  if (required && found.nulls > 0) throw requiredNull()
  let { min, max } = found
  if (min === 0) min = -0
  if (max === 0) max = 0
  return {
    min_value: min,
    max_value: max,
    null_count: BigInt(found.nulls),
    nan_count: physical === 'FLOAT' || physical === 'DOUBLE' ? BigInt(found.nans) : undefined,
  }
}

/** The extremes of an array's values: one loop per kind of value, each comparing values of one type only. */
function arrayExtremes(values: readonly unknown[], physical: Physical, element: SchemaElement): Extremes {
  return element.converted_type === 'UTF8'
    ? extremes(values, compareUtf8 as Compare)
    : physical === 'BYTE_ARRAY'
      ? extremes(values, Buffer.compare as Compare)
      : physical === 'FLOAT' || physical === 'DOUBLE'
        ? numberExtremes(values)
        : primitiveExtremes(values)
}

type Compare = (a: unknown, b: unknown) => number

/**
 * A chunk's least and greatest non-null value but NaN, as internal values (undefined when it has
 * none), its nulls and its NaNs.
 */
export interface Extremes {
  min: unknown
  max: unknown
  nulls: number
  nans: number
}

/** The least and greatest non-null value by `compare`, and the nulls. */
function extremes(values: readonly unknown[], compare: Compare): Extremes {
  let min: unknown
  let max: unknown
  let nulls = 0
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (value === null || value === undefined) nulls++
    else if (min === undefined) {
      min = value
      max = value
    } else if (compare(value, min) < 0) min = value
    else if (compare(value, max) > 0) max = value
  }
  return { min, max, nulls, nans: 0 }
}

/** The least and greatest number but NaN (counted), and the nulls. */
function numberExtremes(values: readonly unknown[]): Extremes {
  let min: number | undefined
  let max: number | undefined
  let nulls = 0
  let nans = 0
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number | null | undefined
    if (value === null || value === undefined) nulls++
    else if (Number.isNaN(value)) nans++
    else if (min === undefined || max === undefined) {
      min = value
      max = value
    } else if (value < min) min = value
    else if (value > max) max = value
  }
  return { min, max, nulls, nans }
}

/** The least and greatest integer, bigint or boolean by `<`, and the nulls. */
function primitiveExtremes(values: readonly unknown[]): Extremes {
  let min: number | bigint | boolean | undefined
  let max: number | bigint | boolean | undefined
  let nulls = 0
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number | bigint | boolean | null | undefined
    if (value === null || value === undefined) nulls++
    else if (min === undefined || max === undefined) {
      min = value
      max = value
    } else if (value < min) min = value
    else if (value > max) max = value
  }
  return { min, max, nulls, nans: 0 }
}

/**
 * Compares strings in UTF-8 byte order, which is code point order, as Parquet orders them:
 * UTF-16 order but for a difference at a surrogate. Lone surrogates compare as U+FFFD, the
 * character they are written as.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0
  const length = Math.min(a.length, b.length)
  let i = 0
  while (i < length && a.charCodeAt(i) === b.charCodeAt(i)) i++
  if (i === length) return a.length - b.length
  const x = a.charCodeAt(i)
  const y = b.charCodeAt(i)
  if (x < 0xd800 && y < 0xd800) return x - y
  // Back up to the start of a pair the difference falls inside, then compare code points.
  if (i > 0 && isHigh(a.charCodeAt(i - 1))) i--
  while (i < a.length && i < b.length) {
    const p = codePoint(a, i)
    const q = codePoint(b, i)
    if (p !== q) return p - q
    i += p > 0xffff ? 2 : 1
  }
  return a.length - b.length
}

function isHigh(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff
}

/** The code point at `i`, a lone surrogate read as U+FFFD. */
function codePoint(text: string, i: number): number {
  const point = text.codePointAt(i)!
  return point >= 0xd800 && point <= 0xdfff ? 0xfffd : point
}
