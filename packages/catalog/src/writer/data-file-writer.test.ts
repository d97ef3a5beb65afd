import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { describe, expect, it } from 'vitest'
import { fromBytes } from '../spec/conversions.js'
import { Schema } from '../spec/schema.js'
import { Types } from '../spec/types.js'
import { parquetCodec, writeDataFile } from './data-file-writer.js'
import { truncateUpper } from './metrics.js'
import { decimalBytes, parquetSchema } from './parquet-schema.js'

const schema = new Schema([
  { id: 1, name: 'id', required: true, type: Types.long },
  { id: 2, name: 'name', required: false, type: Types.string },
  { id: 3, name: 'score', required: false, type: Types.double },
  { id: 4, name: 'amount', required: false, type: Types.decimal(20, 2) },
  { id: 5, name: 'ts', required: false, type: Types.timestamptz },
  {
    id: 6,
    name: 'device',
    required: false,
    type: Types.struct([{ id: 9, name: 'os', required: false, type: Types.string }]),
  },
  { id: 7, name: 'tags', required: false, type: Types.list(10, Types.string, true) },
  { id: 8, name: 'attrs', required: false, type: Types.map(11, Types.string, 12, Types.int) },
])

const rows = [
  {
    id: 1n,
    name: 'alpha',
    score: 1.5,
    amount: 12345n,
    ts: 1_700_000_000_000_001n,
    device: { os: 'linux' },
    tags: ['a', 'b'],
    attrs: new Map([['k', 1]]),
  },
  { id: 2n, name: null, score: Number.NaN, amount: -5n, ts: null, device: null, tags: [], attrs: null },
  {
    id: 3n,
    name: 'a-very-long-name-that-exceeds-sixteen',
    score: -2,
    amount: null,
    ts: 0n,
    device: { os: null },
    tags: ['c'],
    attrs: new Map(),
  },
]

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer

describe('writeDataFile', () => {
  it('writes the Iceberg field id on every Parquet element and Java’s type mapping', () => {
    const elements = parquetSchema(schema)
    expect(elements.filter((e) => e.field_id !== undefined).map((e) => [e.name, e.field_id])).toEqual([
      ['id', 1],
      ['name', 2],
      ['score', 3],
      ['amount', 4],
      ['ts', 5],
      ['device', 6],
      ['os', 9],
      ['tags', 7],
      ['element', 10],
      ['attrs', 8],
      ['key', 11],
      ['value', 12],
    ])
    expect(elements.find((e) => e.name === 'amount')).toMatchObject({
      type: 'FIXED_LEN_BYTE_ARRAY',
      type_length: 9,
    })
    expect(elements.find((e) => e.name === 'ts')?.logical_type).toEqual({
      type: 'TIMESTAMP',
      isAdjustedToUTC: true,
      unit: 'MICROS',
    })
    expect(decimalBytes(9)).toBe(4)
    expect(decimalBytes(18)).toBe(8)
    expect(decimalBytes(38)).toBe(16)
  })

  it('writes rows that read back value for value', async () => {
    for (const codec of ['zstd', 'snappy', 'gzip', 'uncompressed']) {
      const { bytes } = await writeDataFile(schema, rows, { 'write.parquet.compression-codec': codec })
      const read = await parquetReadObjects({ file: toArrayBuffer(bytes), compressors })
      expect(read.map((r) => r.id)).toEqual([1n, 2n, 3n])
      expect(read.map((r) => r.name)).toEqual(['alpha', null, 'a-very-long-name-that-exceeds-sixteen'])
      expect(read[0]!.tags).toEqual(['a', 'b'])
      expect(read[0]!.device).toEqual({ os: 'linux' })
    }
  })

  it('computes Iceberg metrics: counts, NaNs, truncated bounds, nested counts', async () => {
    const { bytes, dataFile } = await writeDataFile(schema, rows, {})
    expect(dataFile.recordCount).toBe(3n)
    expect(dataFile.fileSizeInBytes).toBe(BigInt(bytes.byteLength))
    expect(dataFile.valueCounts?.get(2)).toBe(3n)
    expect(dataFile.nullValueCounts?.get(2)).toBe(1n)
    expect(dataFile.nanValueCounts?.get(3)).toBe(1n)
    expect(fromBytes(Types.double, dataFile.lowerBounds!.get(3)!)).toBe(-2)
    expect(fromBytes(Types.double, dataFile.upperBounds!.get(3)!)).toBe(1.5)
    expect(fromBytes(Types.string, dataFile.lowerBounds!.get(2)!)).toBe('a-very-long-name')
    expect(fromBytes(Types.string, dataFile.upperBounds!.get(2)!)).toBe('alpha')
    expect(fromBytes(Types.decimal(20, 2), dataFile.lowerBounds!.get(4)!)).toBe(-5n)
    expect(fromBytes(Types.timestamptz, dataFile.upperBounds!.get(5)!)).toBe(1_700_000_000_000_001n)
    // A null struct counts a null for its leaf; an empty or null list or map one null per leaf.
    expect(dataFile.valueCounts?.get(9)).toBe(3n)
    expect(dataFile.nullValueCounts?.get(9)).toBe(2n)
    expect(dataFile.valueCounts?.get(10)).toBe(4n)
    expect(dataFile.nullValueCounts?.get(10)).toBe(1n)
    expect(dataFile.lowerBounds?.has(10)).toBe(false)
    expect(dataFile.columnSizes?.get(1)).toBeGreaterThan(0n)
    expect(dataFile.splitOffsets).toEqual([4n])
    const footer = parquetMetadata(toArrayBuffer(bytes))
    expect(footer.key_value_metadata?.find((kv) => kv.key === 'iceberg.schema')).toBeDefined()
  })

  it('honours the metrics modes of the table properties', async () => {
    const { dataFile } = await writeDataFile(schema, rows, {
      'write.metadata.metrics.default': 'counts',
      'write.metadata.metrics.column.name': 'full',
      'write.metadata.metrics.column.id': 'none',
    })
    expect(dataFile.lowerBounds?.has(3)).toBe(false)
    expect(fromBytes(Types.string, dataFile.lowerBounds!.get(2)!)).toBe(
      'a-very-long-name-that-exceeds-sixteen',
    )
    expect(dataFile.valueCounts?.has(1)).toBe(false)
  })

  it('increments the last character of a truncated upper bound, and gives none past the maximum', () => {
    expect(truncateUpper(Types.string, 'abcdef', 3)).toBe('abd')
    expect(truncateUpper(Types.string, 'ab', 3)).toBe('ab')
    expect(truncateUpper(Types.string, `a${String.fromCodePoint(0x10ffff)}x`, 2)).toBe('b')
    expect(truncateUpper(Types.binary, Uint8Array.of(1, 0xff, 3), 2)).toEqual(Uint8Array.of(2))
    expect(truncateUpper(Types.binary, Uint8Array.of(0xff, 0xff, 3), 2)).toBeUndefined()
  })

  it('refuses an unknown codec naming the property', () => {
    expect(() => parquetCodec({ 'write.parquet.compression-codec': 'lzo' })).toThrow(
      /write.parquet.compression-codec/,
    )
  })
})
