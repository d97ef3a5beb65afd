import { gzipSync } from 'node:zlib'
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm'
import { ValidationError } from '@lake/errors'
import { ByteWriter, ParquetWriter } from 'hyparquet-writer'
import type { DataFile } from '../spec/data-file.js'
import { type Schema, schemaToJson } from '../spec/schema.js'
import { MetricsCollector } from './metrics.js'
import { leaves, parquetSchema } from './parquet-schema.js'

/** The codecs `write.parquet.compression-codec` may name. */
export type ParquetCodec = 'zstd' | 'snappy' | 'gzip' | 'uncompressed'

/** A data file's bytes and everything its `DataFile` entry says but where it lives. */
export interface WrittenDataFile {
  bytes: Uint8Array
  dataFile: Omit<DataFile, 'filePath' | 'partition' | 'specId'>
}

/** Rows per row group: small enough to bound a reader's memory, large enough to compress well. */
const ROW_GROUP_ROWS = 100_000

let zstdReady: Promise<void> | undefined

/** The table's Parquet codec: `write.parquet.compression-codec`, zstd by default as in Iceberg Java. */
export function parquetCodec(properties: Readonly<Record<string, string>>): ParquetCodec {
  const key = 'write.parquet.compression-codec'
  const value = (properties[key] ?? 'zstd').toLowerCase()
  if (value === 'zstd' || value === 'snappy' || value === 'gzip' || value === 'uncompressed') return value
  throw new ValidationError(`Unsupported Parquet codec '${properties[key]}' in table property ${key}`, {
    context: { property: key },
  })
}

/**
 * Writes rows of internal values (already validated against `schema`) as one Parquet file whose
 * schema carries the Iceberg field ids, and computes the file's Iceberg metrics on the way:
 * value, null and NaN counts and truncated bounds per column from one walk over the rows, and
 * column sizes and split offsets from the row groups written. Metrics are gathered from the
 * rows rather than from the Parquet statistics because Iceberg's bounds (code-point truncation,
 * NaN excluded, no bounds inside lists) differ from Parquet's.
 */
export async function writeDataFile(
  schema: Schema,
  rows: readonly Readonly<Record<string, unknown>>[],
  properties: Readonly<Record<string, string>>,
): Promise<WrittenDataFile> {
  const codec = parquetCodec(properties)
  if (codec === 'zstd') {
    zstdReady ??= zstdInit()
    await zstdReady
  }
  const collector = new MetricsCollector(schema, properties)
  collector.add(rows)
  const writer = new ByteWriter()
  const parquet = new ParquetWriter({
    writer,
    schema: parquetSchema(schema),
    codec:
      codec === 'uncompressed'
        ? 'UNCOMPRESSED'
        : codec === 'zstd'
          ? 'ZSTD'
          : codec === 'gzip'
            ? 'GZIP'
            : 'SNAPPY',
    compressors: {
      ZSTD: (input: Uint8Array) => zstdCompress(input, 3),
      GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)),
    },
    statistics: true,
    createdBy: 'Lake (parquet-mr compatible field ids)',
    // Iceberg Java's Parquet writer records the schema here too; some readers look for it.
    kvMetadata: [{ key: 'iceberg.schema', value: JSON.stringify(schemaToJson(schema)) }],
  })
  await parquet.write({
    columnData: schema.fields.map((field) => ({
      name: field.name,
      data: rows.map((row) => row[field.name] ?? null),
    })),
    rowGroupSize: ROW_GROUP_ROWS,
  })
  await parquet.finish()
  const bytes = new Uint8Array(writer.getBuffer())
  const metrics = collector.metrics()
  const ids = new Map(leaves(schema).map((leaf) => [leaf.path.join('.'), leaf.field.id]))
  const columnSizes = new Map<number, bigint>()
  const splitOffsets: bigint[] = []
  for (const group of parquet.row_groups) {
    let start: bigint | undefined
    for (const chunk of group.columns) {
      const meta = chunk.meta_data!
      const id = ids.get(meta.path_in_schema.join('.'))
      if (id !== undefined) columnSizes.set(id, (columnSizes.get(id) ?? 0n) + meta.total_compressed_size)
      const offset = meta.dictionary_page_offset ?? meta.data_page_offset
      if (start === undefined || offset < start) start = offset
    }
    if (start !== undefined) splitOffsets.push(start)
  }
  return {
    bytes,
    dataFile: {
      content: 0,
      fileFormat: 'PARQUET',
      recordCount: BigInt(rows.length),
      fileSizeInBytes: BigInt(bytes.byteLength),
      columnSizes,
      ...metrics,
      splitOffsets,
    },
  }
}
