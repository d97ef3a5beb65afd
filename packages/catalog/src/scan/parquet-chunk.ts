/**
 * Page-level Parquet decoding: one column chunk to its levels and dense values, in typed arrays.
 *
 * hyparquet's public readers assemble rows and convert values (decimals to `number`, timestamps
 * to `Date`, each byte array to its own `Uint8Array`), which loses precision and costs an object
 * per value. Lake builds Arrow buffers itself, so it reads pages here: levels straight into
 * `Uint8Array`s, byte arrays into one buffer with offsets (the layout of Arrow's `Utf8`), and
 * only the number decoders (plain, delta, byte-stream-split, ALP) and the RLE decoder are
 * hyparquet's. Those are imported from `hyparquet/src/*.js`, which the package exports but does
 * not promise to keep stable; every such import is in this file, so an upgrade is checked here.
 *
 * @module
 */
import { CorruptFileError, isLakeError } from '@lake/errors'
import type {
  AsyncBuffer,
  ColumnMetaData,
  CompressionCodec,
  DataReader,
  FileMetaData,
  PageHeader,
  ParquetType,
  SchemaTree,
} from 'hyparquet'
import { parquetMetadataAsync, parquetSchema } from 'hyparquet'
import { alpDecode } from 'hyparquet/src/alp.js'
import { parquetHeader } from 'hyparquet/src/column.js'
import { decompressPage } from 'hyparquet/src/datapage.js'
import { deltaBinaryUnpack, deltaByteArray, deltaLengthByteArray } from 'hyparquet/src/delta.js'
import { byteStreamSplit, readRleBitPackedHybrid } from 'hyparquet/src/encoding.js'
import { readPlain } from 'hyparquet/src/plain.js'
import { compressors } from 'hyparquet-compressors'

/** Variable-length values packed together: value `i` is `data[offsets[i]..offsets[i + 1])`. */
export interface ByteArrays {
  readonly data: Uint8Array
  /** One more entry than there are values. */
  readonly offsets: Int32Array
}

/**
 * The dense (non-null) values of a column chunk, by physical type: `BOOLEAN` as one byte (0 or 1)
 * per value, `INT32`/`INT64`/`FLOAT`/`DOUBLE` as their typed arrays, `INT96` as `bigint`s,
 * `BYTE_ARRAY` as {@link ByteArrays}, `FIXED_LEN_BYTE_ARRAY` as the values' bytes end to end.
 */
export type DenseValues =
  | Uint8Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | bigint[]
  | ByteArrays

/** The decoded content of one column chunk. */
export interface LeafChunk {
  /** Number of level entries (values, nulls and empty lists) in the chunk. */
  readonly count: number
  /** Definition level per entry; `null` when every entry is at the column's maximum. */
  readonly def: Uint8Array | null
  /** Repetition level per entry; `null` for columns outside any repeated field. */
  readonly rep: Uint8Array | null
  /** The non-null values, in order. */
  readonly values: DenseValues
  /** Bytes per value of a `FIXED_LEN_BYTE_ARRAY` column. */
  readonly width: number
}

/** Reads the footer of a Parquet file; anything unreadable is a `CorruptFileError` naming the file. */
export async function readFooter(file: AsyncBuffer, path: string): Promise<FileMetaData> {
  if (file.byteLength < 12) {
    throw new CorruptFileError(`Parquet file ${path} is truncated: only ${file.byteLength} bytes`, {
      context: { file: path },
    })
  }
  try {
    return await parquetMetadataAsync(file, { geoparquet: false })
  } catch (cause) {
    if (isLakeError(cause)) throw cause
    throw new CorruptFileError(`Cannot read the Parquet footer of ${path}: ${message(cause)}`, {
      context: { file: path },
      cause,
    })
  }
}

/** The schema tree of a file's footer. */
export function schemaTree(metadata: FileMetaData): SchemaTree {
  return parquetSchema(metadata)
}

/** Byte range `[start, end)` of a column chunk, dictionary page included. */
export function chunkRange(meta: ColumnMetaData): { start: number; end: number } {
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset)
  return { start, end: start + Number(meta.total_compressed_size) }
}

/**
 * Decodes a whole column chunk. `schemaPath` runs from the root to the leaf; `bytes` holds the
 * chunk as {@link chunkRange} describes it. Throws `CorruptFileError` (with `file` and `field`
 * in context) when the chunk cannot be decoded or holds fewer values than its metadata says.
 */
export function decodeChunk(
  bytes: Uint8Array,
  meta: ColumnMetaData,
  schemaPath: SchemaTree[],
  path: string,
): LeafChunk {
  const column = meta.path_in_schema.join('.')
  try {
    return decode(bytes, meta, schemaPath)
  } catch (cause) {
    if (isLakeError(cause)) throw cause
    throw new CorruptFileError(`Cannot decode column '${column}' of ${path}: ${message(cause)}`, {
      context: { file: path, field: column },
      cause,
    })
  }
}

/** What every page of a chunk shares. */
interface Column {
  readonly type: ParquetType
  readonly width: number
  readonly codec: CompressionCodec
  readonly maxDef: number
  readonly maxRep: number
}

function decode(bytes: Uint8Array, meta: ColumnMetaData, schemaPath: SchemaTree[]): LeafChunk {
  let maxDef = 0
  let maxRep = 0
  for (let i = 1; i < schemaPath.length; i++) {
    const repetition = schemaPath[i]!.element.repetition_type
    if (repetition !== 'REQUIRED') maxDef++
    if (repetition === 'REPEATED') maxRep++
  }
  const element = schemaPath[schemaPath.length - 1]!.element
  const column: Column = {
    type: meta.type,
    width: element.type_length ?? 0,
    codec: meta.codec,
    maxDef,
    maxRep,
  }
  if (column.type === 'FIXED_LEN_BYTE_ARRAY' && column.width <= 0)
    throw new Error('fixed-length column without a length')
  const expected = Number(meta.num_values)
  const def = maxDef > 0 ? new Uint8Array(expected) : null
  const rep = maxRep > 0 ? new Uint8Array(expected) : null
  const parts: DenseValues[] = []
  const reader: DataReader = {
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    offset: 0,
  }
  let dictionary: DenseValues | undefined
  let count = 0
  let present = 0
  while (count < expected) {
    if (reader.offset >= bytes.byteLength)
      throw new Error(`column chunk ends after ${count} of ${expected} values`)
    const header = parquetHeader(reader)
    const start = reader.offset
    const end = start + header.compressed_page_size
    if (end > bytes.byteLength) throw new Error('page runs past the end of its column chunk')
    const compressed = bytes.subarray(start, end)
    reader.offset = end
    if (header.type === 'DICTIONARY_PAGE') {
      const page = decompressPage(compressed, header.uncompressed_page_size, column.codec, compressors)
      const n = header.dictionary_page_header?.num_values ?? 0
      dictionary = plainValues(readerOf(page), column, n)
    } else if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
      const n = header.data_page_header?.num_values ?? header.data_page_header_v2?.num_values ?? 0
      if (count + n > expected) throw new Error(`pages hold more than the ${expected} values of the chunk`)
      const levels = {
        def: def?.subarray(count, count + n),
        rep: rep?.subarray(count, count + n),
      }
      const page = dataPage(compressed, header, column, levels)
      const dense = levels.def ? countAt(levels.def, maxDef) : n
      parts.push(denseValues(page.values, page.encoding, column, dense, dictionary))
      present += dense
      count += n
    }
    // Index pages carry nothing a reader needs.
  }
  if (count !== expected) throw new Error(`column chunk holds ${count} values, metadata says ${expected}`)
  return {
    count,
    // Most optional columns have no null at all: say so, and the builder takes its fast paths.
    def: present === count ? null : def,
    rep,
    values: concat(parts, column.type),
    width: column.width,
  }
}

/** Decodes a data page's levels into `levels`; returns a reader at its values, and their encoding. */
function dataPage(
  compressed: Uint8Array,
  header: PageHeader,
  column: Column,
  levels: { def: Uint8Array | undefined; rep: Uint8Array | undefined },
): { values: DataReader; encoding: string } {
  if (header.type === 'DATA_PAGE') {
    const daph = header.data_page_header
    if (!daph) throw new Error('data page without a header')
    const page = decompressPage(compressed, header.uncompressed_page_size, column.codec, compressors)
    const reader = readerOf(page)
    if (levels.rep) readRleBitPackedHybrid(reader, bitWidth(column.maxRep), levels.rep)
    if (levels.def) readRleBitPackedHybrid(reader, bitWidth(column.maxDef), levels.def)
    return { values: reader, encoding: daph.encoding }
  }
  const daph2 = header.data_page_header_v2
  if (!daph2) throw new Error('data page v2 without a header')
  const repLength = daph2.repetition_levels_byte_length
  const defLength = daph2.definition_levels_byte_length
  const reader = readerOf(compressed)
  if (levels.rep) readRleBitPackedHybrid(reader, bitWidth(column.maxRep), levels.rep, repLength)
  reader.offset = repLength
  if (levels.def) readRleBitPackedHybrid(reader, bitWidth(column.maxDef), levels.def, defLength)
  let values = compressed.subarray(repLength + defLength)
  const size = header.uncompressed_page_size - repLength - defLength
  if (daph2.is_compressed !== false && size > 0)
    values = decompressPage(values, size, column.codec, compressors)
  return { values: readerOf(values), encoding: daph2.encoding }
}

function denseValues(
  reader: DataReader,
  encoding: string,
  column: Column,
  n: number,
  dictionary: DenseValues | undefined,
): DenseValues {
  const { type, width } = column
  switch (encoding) {
    case 'PLAIN':
      return plainValues(reader, column, n)
    case 'PLAIN_DICTIONARY':
    case 'RLE_DICTIONARY': {
      if (!dictionary) throw new Error('dictionary-encoded page without a dictionary page')
      const indices = new Int32Array(n)
      if (n > 0) {
        const bits = reader.view.getUint8(reader.offset++)
        if (bits > 0) readRleBitPackedHybrid(reader, bits, indices, reader.view.byteLength - reader.offset)
      }
      return lookUp(dictionary, indices, column)
    }
    case 'RLE': {
      if (type !== 'BOOLEAN') throw new Error(`RLE-encoded ${type} values`)
      const out = new Uint8Array(n)
      if (n > 0) readRleBitPackedHybrid(reader, 1, out)
      return out
    }
    case 'DELTA_BINARY_PACKED': {
      const out = type === 'INT32' ? new Int32Array(n) : new BigInt64Array(n)
      deltaBinaryUnpack(reader, n, out)
      return out
    }
    case 'DELTA_LENGTH_BYTE_ARRAY':
    case 'DELTA_BYTE_ARRAY': {
      const out: Uint8Array[] = new Array(n)
      if (encoding === 'DELTA_BYTE_ARRAY') deltaByteArray(reader, n, out)
      else deltaLengthByteArray(reader, n, out)
      return type === 'FIXED_LEN_BYTE_ARRAY' ? joinFixed(out, width) : packBytes(out)
    }
    case 'BYTE_STREAM_SPLIT': {
      const out = byteStreamSplit(reader, n, type, width)
      return type === 'FIXED_LEN_BYTE_ARRAY' ? joinFixed(out as Uint8Array[], width) : (out as DenseValues)
    }
    case 'ALP':
      return alpDecode(reader, n, type) as DenseValues
    default:
      throw new Error(`unsupported encoding ${encoding}`)
  }
}

function plainValues(reader: DataReader, column: Column, n: number): DenseValues {
  const { view } = reader
  switch (column.type) {
    case 'BOOLEAN': {
      const out = new Uint8Array(n)
      const base = view.byteOffset + reader.offset
      const bits = new Uint8Array(view.buffer, base, Math.min((n + 7) >> 3, view.byteLength - reader.offset))
      if (bits.length * 8 < n) throw new Error('boolean page is too short')
      for (let i = 0; i < n; i++) out[i] = (bits[i >> 3]! >> (i & 7)) & 1
      reader.offset += (n + 7) >> 3
      return out
    }
    case 'BYTE_ARRAY':
      return plainByteArrays(reader, n)
    case 'FIXED_LEN_BYTE_ARRAY': {
      const size = n * column.width
      if (reader.offset + size > view.byteLength) throw new Error('fixed-length page is too short')
      const start = view.byteOffset + reader.offset
      reader.offset += size
      return new Uint8Array(view.buffer.slice(start, start + size))
    }
    default:
      if (n === 0) return emptyOf(column.type)
      return readPlain(reader, column.type, n, column.width) as DenseValues
  }
}

/** `[u32 length][bytes]…` into one buffer and offsets, without an object per value. */
function plainByteArrays(reader: DataReader, n: number): ByteArrays {
  const { view } = reader
  const source = new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
  const offsets = new Int32Array(n + 1)
  const data = new Uint8Array(Math.max(0, view.byteLength - reader.offset - 4 * n))
  let p = reader.offset
  let o = 0
  for (let i = 0; i < n; i++) {
    if (p + 4 > source.length) throw new Error('byte array page is too short')
    const length = source[p]! | (source[p + 1]! << 8) | (source[p + 2]! << 16) | (source[p + 3]! << 24)
    p += 4
    if (length < 0 || p + length > source.length) throw new Error('byte array value runs past its page')
    if (length < 32) {
      for (let j = 0; j < length; j++) data[o + j] = source[p + j]!
    } else {
      data.set(source.subarray(p, p + length), o)
    }
    p += length
    o += length
    offsets[i + 1] = o
  }
  reader.offset = p
  return { data: data.subarray(0, o), offsets }
}

function lookUp(dictionary: DenseValues, indices: Int32Array, column: Column): DenseValues {
  const n = indices.length
  const check = (size: number) => {
    for (let i = 0; i < n; i++) {
      const k = indices[i]!
      if (k < 0 || k >= size) throw new Error(`dictionary index ${k} out of range (${size} entries)`)
    }
  }
  if (isByteArrays(dictionary)) {
    const { data, offsets } = dictionary
    check(offsets.length - 1)
    let total = 0
    for (let i = 0; i < n; i++) total += offsets[indices[i]! + 1]! - offsets[indices[i]!]!
    const out = new Uint8Array(total)
    const outOffsets = new Int32Array(n + 1)
    let o = 0
    for (let i = 0; i < n; i++) {
      const k = indices[i]!
      const from = offsets[k]!
      const length = offsets[k + 1]! - from
      if (length < 32) {
        for (let j = 0; j < length; j++) out[o + j] = data[from + j]!
      } else {
        out.set(data.subarray(from, from + length), o)
      }
      o += length
      outOffsets[i + 1] = o
    }
    return { data: out, offsets: outOffsets }
  }
  if (column.type === 'FIXED_LEN_BYTE_ARRAY') {
    const width = column.width
    const source = dictionary as Uint8Array
    check(source.length / width)
    const out = new Uint8Array(n * width)
    for (let i = 0; i < n; i++) {
      const from = indices[i]! * width
      for (let j = 0; j < width; j++) out[i * width + j] = source[from + j]!
    }
    return out
  }
  const source = dictionary as Exclude<DenseValues, ByteArrays>
  check(source.length)
  const out = Array.isArray(source)
    ? new Array<bigint>(n)
    : new (source.constructor as new (n: number) => Exclude<DenseValues, ByteArrays | bigint[]>)(n)
  for (let i = 0; i < n; i++) (out as unknown[])[i] = source[indices[i]!]
  return out
}

function concat(parts: readonly DenseValues[], type: ParquetType): DenseValues {
  if (parts.length === 1) return parts[0]!
  if (parts.length === 0) return type === 'BYTE_ARRAY' ? packBytes([]) : emptyOf(type)
  if (type === 'BYTE_ARRAY') {
    const pages = parts as ByteArrays[]
    let bytes = 0
    let values = 0
    for (const page of pages) {
      bytes += page.data.length
      values += page.offsets.length - 1
    }
    const data = new Uint8Array(bytes)
    const offsets = new Int32Array(values + 1)
    let o = 0
    let v = 0
    for (const page of pages) {
      data.set(page.data, o)
      const n = page.offsets.length - 1
      for (let i = 1; i <= n; i++) offsets[v + i] = page.offsets[i]! + o
      o += page.data.length
      v += n
    }
    return { data, offsets }
  }
  if (parts.every(Array.isArray)) return ([] as bigint[]).concat(...(parts as bigint[][]))
  const first = parts[0] as Exclude<DenseValues, ByteArrays | bigint[]>
  let total = 0
  for (const part of parts) total += (part as Uint8Array).length
  const out = new (first.constructor as new (n: number) => Uint8Array)(total)
  let offset = 0
  for (const part of parts) {
    if (part.constructor !== first.constructor)
      throw new Error('pages of one column decode to different types')
    out.set(part as Uint8Array, offset)
    offset += (part as Uint8Array).length
  }
  return out
}

function emptyOf(type: ParquetType): DenseValues {
  switch (type) {
    case 'INT32':
      return new Int32Array(0)
    case 'INT64':
      return new BigInt64Array(0)
    case 'FLOAT':
      return new Float32Array(0)
    case 'DOUBLE':
      return new Float64Array(0)
    case 'INT96':
      return []
    case 'BYTE_ARRAY':
      return packBytes([])
    default:
      return new Uint8Array(0)
  }
}

/** True when dense values are {@link ByteArrays}. */
export function isByteArrays(values: DenseValues): values is ByteArrays {
  return (values as ByteArrays).offsets instanceof Int32Array
}

function packBytes(values: readonly Uint8Array[]): ByteArrays {
  const offsets = new Int32Array(values.length + 1)
  for (let i = 0; i < values.length; i++) offsets[i + 1] = offsets[i]! + values[i]!.length
  const data = new Uint8Array(offsets[values.length]!)
  for (let i = 0; i < values.length; i++) data.set(values[i]!, offsets[i]!)
  return { data, offsets }
}

function joinFixed(values: readonly Uint8Array[], width: number): Uint8Array {
  const out = new Uint8Array(values.length * width)
  for (let i = 0; i < values.length; i++) {
    if (values[i]!.length !== width) throw new Error(`a fixed[${width}] value has ${values[i]!.length} bytes`)
    out.set(values[i]!, i * width)
  }
  return out
}

/** How many of `levels` are at `max`: the number of values a page holds. */
function countAt(levels: Uint8Array, max: number): number {
  let n = 0
  for (let i = 0; i < levels.length; i++) if (levels[i] === max) n++
  return n
}

function readerOf(bytes: Uint8Array): DataReader {
  return { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 }
}

function bitWidth(max: number): number {
  return 32 - Math.clz32(max)
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
