/**
 * Page-level Parquet decoding: one column chunk to its levels and dense values.
 *
 * hyparquet's public readers assemble rows and convert values (decimals to `number`, timestamps
 * to `Date`), which loses precision and costs an object per value. Lake needs the raw levels to
 * build Arrow buffers itself, so it drives hyparquet's page decoders directly. They are imported
 * from `hyparquet/src/*.js`, which the package exports but does not promise to keep stable; every
 * such import is in this file, so a hyparquet upgrade is checked here.
 *
 * @module
 */
import { CorruptFileError, isLakeError } from '@lake/errors'
import type {
  AsyncBuffer,
  ColumnMetaData,
  DataReader,
  DecodedArray,
  FileMetaData,
  PageHeader,
  SchemaTree,
} from 'hyparquet'
import { parquetMetadataAsync, parquetSchema } from 'hyparquet'
import { parquetHeader } from 'hyparquet/src/column.js'
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js'
import { readPlain } from 'hyparquet/src/plain.js'
import { compressors } from 'hyparquet-compressors'

/** The decoded content of one column chunk. */
export interface LeafChunk {
  /** Number of level entries (values, nulls and empty lists) in the chunk. */
  readonly count: number
  /** Definition level per entry; `null` when every entry is at the column's maximum. */
  readonly def: Uint8Array | null
  /** Repetition level per entry; `null` for columns outside any repeated field. */
  readonly rep: Uint8Array | null
  /** The non-null values, in order, as hyparquet decodes their physical type. */
  readonly values: DecodedArray
}

type ColumnDecoder = Parameters<typeof readDataPage>[2]

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

function decode(bytes: Uint8Array, meta: ColumnMetaData, schemaPath: SchemaTree[]): LeafChunk {
  const leaf = schemaPath[schemaPath.length - 1]!
  const decoder = {
    pathInSchema: meta.path_in_schema,
    type: meta.type,
    element: leaf.element,
    schemaPath,
    codec: meta.codec,
    compressors,
  } as unknown as ColumnDecoder
  let maxDef = 0
  let maxRep = 0
  for (let i = 1; i < schemaPath.length; i++) {
    const repetition = schemaPath[i]!.element.repetition_type
    if (repetition !== 'REQUIRED') maxDef++
    if (repetition === 'REPEATED') maxRep++
  }
  const expected = Number(meta.num_values)
  const reader: DataReader = {
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    offset: 0,
  }
  const pages: { def: number[] | undefined; rep: number[]; values: DecodedArray; count: number }[] = []
  let dictionary: DecodedArray | undefined
  let count = 0
  while (count < expected) {
    if (reader.offset >= bytes.byteLength) {
      throw new Error(`column chunk ends after ${count} of ${expected} values`)
    }
    const header = parquetHeader(reader)
    const start = reader.offset
    const end = start + header.compressed_page_size
    if (end > bytes.byteLength) throw new Error('page runs past the end of its column chunk')
    const compressed = bytes.subarray(start, end)
    reader.offset = end
    if (header.type === 'DICTIONARY_PAGE') {
      const numValues = header.dictionary_page_header?.num_values ?? 0
      const page = decompressPage(compressed, header.uncompressed_page_size, meta.codec, compressors)
      const view = new DataView(page.buffer, page.byteOffset, page.byteLength)
      dictionary = readPlain({ view, offset: 0 }, meta.type, numValues, leaf.element.type_length)
    } else if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
      const { page, encoding, numValues } = dataPage(compressed, header, decoder)
      const values = isDictionaryEncoding(encoding) ? lookUp(page.dataPage, dictionary) : page.dataPage
      pages.push({ def: page.definitionLevels, rep: page.repetitionLevels, values, count: numValues })
      count += numValues
    }
    // Index pages carry nothing a reader needs.
  }
  if (count !== expected) throw new Error(`column chunk holds ${count} values, metadata says ${expected}`)
  return {
    count,
    def: maxDef === 0 ? null : levels(pages, 'def', count, maxDef),
    rep: maxRep === 0 ? null : levels(pages, 'rep', count, 0),
    values: concatValues(pages.map((p) => p.values)),
  }
}

function dataPage(compressed: Uint8Array, header: PageHeader, decoder: ColumnDecoder) {
  if (header.type === 'DATA_PAGE') {
    const daph = header.data_page_header
    if (!daph) throw new Error('data page without a header')
    const bytes = decompressPage(compressed, header.uncompressed_page_size, decoder.codec, compressors)
    return { page: readDataPage(bytes, daph, decoder), encoding: daph.encoding, numValues: daph.num_values }
  }
  const daph2 = header.data_page_header_v2
  if (!daph2) throw new Error('data page v2 without a header')
  return {
    page: readDataPageV2(compressed, header, decoder),
    encoding: daph2.encoding,
    numValues: daph2.num_values,
  }
}

function isDictionaryEncoding(encoding: string): boolean {
  return encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY'
}

function lookUp(indices: DecodedArray, dictionary: DecodedArray | undefined): DecodedArray {
  if (!dictionary) throw new Error('dictionary-encoded page without a dictionary page')
  const n = indices.length
  const size = dictionary.length
  const out: DecodedArray = Array.isArray(dictionary)
    ? new Array(n)
    : new (dictionary.constructor as new (n: number) => DecodedArray)(n)
  for (let i = 0; i < n; i++) {
    const index = indices[i] as number
    if (index >= size) throw new Error(`dictionary index ${index} out of range (${size} entries)`)
    out[i] = dictionary[index]
  }
  return out
}

function levels(
  pages: readonly { def: number[] | undefined; rep: number[]; count: number }[],
  which: 'def' | 'rep',
  count: number,
  fill: number,
): Uint8Array | null {
  if (which === 'def' && pages.every((p) => !p.def?.length)) return null
  const out = new Uint8Array(count)
  let offset = 0
  for (const page of pages) {
    const source = which === 'def' ? page.def : page.rep
    if (source?.length) {
      if (source.length !== page.count)
        throw new Error(`page has ${source.length} ${which} levels for ${page.count} values`)
      out.set(source, offset)
    } else if (fill !== 0) {
      out.fill(fill, offset, offset + page.count)
    }
    offset += page.count
  }
  return out
}

function concatValues(parts: readonly DecodedArray[]): DecodedArray {
  if (parts.length === 1) return parts[0]!
  if (parts.length === 0) return []
  let total = 0
  for (const part of parts) total += part.length
  const first = parts[0]!
  if (!Array.isArray(first) && parts.every((p) => p.constructor === first.constructor)) {
    const out = new (first.constructor as new (n: number) => Int32Array)(total)
    let offset = 0
    for (const part of parts) {
      out.set(part as Int32Array, offset)
      offset += part.length
    }
    return out
  }
  const out: unknown[] = new Array(total)
  let offset = 0
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) out[offset + i] = part[i]
    offset += part.length
  }
  return out
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
