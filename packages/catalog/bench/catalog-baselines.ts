/**
 * The baselines Lake is compared with, each used as its own README shows: raw hyparquet-writer
 * with an explicit schema and the codec Lake uses; raw hyparquet reading into apache-arrow
 * vectors; parquet-wasm reading straight to Arrow IPC.
 *
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import {
  Bool,
  type DataType,
  Float64,
  Int32,
  Int64,
  makeVector,
  Table,
  TimestampMicrosecond,
  tableFromIPC,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow'
import { asyncBufferFromFile, type ColumnData, parquetRead } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { readParquet as wasmReadParquet } from 'parquet-wasm'
import { loadZstd } from '../src/writer/parquet-writer.js'
import { COLUMNS, type EventRow, rawParquetSchema } from './catalog-data.js'

/**
 * The Parquet layout Lake writes by default, so that both write the same file: at most
 * 1,048,576 rows per row group (`write.parquet.row-group-limit`), 1 MiB pages, and a dictionary
 * only while its values stay within 2 MiB (`write.parquet.dict-size-bytes`).
 */
const ROW_GROUP_ROWS = 1_048_576
const PAGE_BYTES = 1024 * 1024
const DICTIONARY_BYTES = 2 * 1024 * 1024

/**
 * Writes rows as one Parquet file with raw hyparquet-writer: columns taken from the row objects,
 * zstd level 3 through the compressor Lake's writer uses (Lake's codec, level and compressor:
 * native libzstd where the optional dependency loads), statistics on, and Lake's row group, page
 * and dictionary limits.
 */
export async function rawWrite(rows: readonly EventRow[], path: string): Promise<number> {
  const zstd = await loadZstd()
  const buffer = parquetWriteBuffer({
    columnData: COLUMNS.map((name) => ({ name, data: rows.map((row) => row[name]) })),
    schema: rawParquetSchema,
    codec: 'ZSTD',
    compressors: { ZSTD: (input: Uint8Array) => zstd.compress(input, 3) },
    rowGroupSize: ROW_GROUP_ROWS,
    pageSize: PAGE_BYTES,
    dictionarySize: DICTIONARY_BYTES,
    statistics: true,
  })
  await writeFile(path, new Uint8Array(buffer))
  return buffer.byteLength
}

/** The Arrow type raw hyparquet's values go into (its decimals arrive as numbers: float64). */
const ARROW_TYPES: Record<string, DataType> = {
  id: new Int64(),
  ts: new TimestampMicrosecond('UTC'),
  kind: new Utf8(),
  user: new Utf8(),
  value: new Float64(),
  count: new Int32(),
  amount: new Float64(),
  flag: new Bool(),
}

function toVector(data: ColumnData['columnData'], type: DataType): Vector {
  // A typed array of the Arrow type's own layout (a column without nulls) is taken as is.
  if (
    (data instanceof BigInt64Array && type instanceof Int64) ||
    (data instanceof Float64Array && type instanceof Float64) ||
    (data instanceof Int32Array && type instanceof Int32)
  ) {
    return makeVector(data)
  }
  return vectorFromArray(Array.isArray(data) ? data : Array.from(data as ArrayLike<unknown>), type)
}

/**
 * Reads Parquet files with raw hyparquet (`parquetRead`, column chunks through `onChunk`,
 * timestamps kept as epoch milliseconds rather than `Date`s) and builds an apache-arrow Table,
 * one chunk per row group.
 */
export async function hyparquetToArrow(locations: readonly string[]): Promise<Table> {
  const columns = new Map<string, Vector[]>(COLUMNS.map((c) => [c, []]))
  for (const location of locations) {
    const file = await asyncBufferFromFile(fileURLToPath(location))
    const pending: ColumnData[] = []
    await parquetRead({
      file,
      compressors,
      parsers: { timestampFromMicroseconds: (micros: bigint) => Number(micros) / 1000 } as never,
      onChunk: (chunk) => pending.push(chunk),
    })
    pending.sort((a, b) => a.rowStart - b.rowStart)
    for (const chunk of pending) {
      columns.get(chunk.columnName)!.push(toVector(chunk.columnData, ARROW_TYPES[chunk.columnName]!))
    }
  }
  return new Table(
    Object.fromEntries([...columns].map(([name, parts]) => [name, parts.reduce((a, b) => a.concat(b))])),
  )
}

/** Reads Parquet files with parquet-wasm and hands its Arrow IPC stream to apache-arrow's `tableFromIPC`. */
export async function parquetWasmToArrow(locations: readonly string[]): Promise<Table> {
  const tables: Table[] = []
  for (const location of locations) {
    const wasmTable = wasmReadParquet(await readFile(fileURLToPath(location)))
    tables.push(tableFromIPC(wasmTable.intoIPCStream()))
  }
  return tables.length === 1 ? tables[0]! : tables.reduce((a, b) => a.concat(b))
}
