import { UnsupportedError, ValidationError } from '@lake/errors'
import fc from 'fast-check'
import { type FileMetaData, parquetMetadata, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { describe, expect, it } from 'vitest'
import { fromBytes, uuidFromBytes } from '../spec/conversions.js'
import { Schema } from '../spec/schema.js'
import { type PrimitiveType, primitiveToString, Types } from '../spec/types.js'
import { compareValues } from '../spec/values.js'
import { columnBatch } from './column-batch.js'
import {
  ParquetFileWriter,
  parquetCodec,
  RollingFileWriter,
  targetFileSize,
  type WrittenDataFile,
} from './parquet-writer.js'
import { arrayBuffer, PRIMITIVES } from './test-helpers.js'

type Row = Record<string, unknown>

async function writeFile(schema: Schema, rows: Row[], properties: Record<string, string> = {}) {
  const writer = new ParquetFileWriter({ schema, properties })
  await writer.write(columnBatch(schema, rows))
  return writer.close()
}

/**
 * Reads a file back as internal values: hyparquet's conversions of dates, timestamps and UUIDs are
 * undone, and decimals are read without their annotation (hyparquet turns them into lossy numbers)
 * and rebuilt from the unscaled integers or bytes.
 */
async function readRows(schema: Schema, bytes: Uint8Array): Promise<Row[]> {
  const file = arrayBuffer(bytes)
  const footer = parquetMetadata(file)
  const metadata: FileMetaData = {
    ...footer,
    schema: footer.schema.map((e) =>
      e.converted_type === 'DECIMAL' ? { ...e, converted_type: undefined, logical_type: undefined } : e,
    ),
  }
  const rows = await parquetReadObjects({
    file,
    metadata,
    compressors,
    utf8: false,
    parsers: {
      dateFromDays: (days) => days,
      timestampFromMicroseconds: (micros) => micros,
      uuidFromBytes: (bytes) => uuidFromBytes(bytes),
    },
  })
  return rows.map((row) => {
    const out: Row = {}
    for (const field of schema.fields)
      out[field.name] = fromDecimal(field.type as PrimitiveType, row[field.name])
    return out
  })
}

function fromDecimal(type: PrimitiveType, value: unknown): unknown {
  if (type.kind !== 'decimal' || value === null || value === undefined) return value
  return value instanceof Uint8Array ? fromBytes(type, value) : BigInt(value as number | bigint)
}

const isNaNValue = (v: unknown) => typeof v === 'number' && Number.isNaN(v)

/** The smallest and largest non-null, non-NaN value, by the order of bounds. */
function extremes(type: PrimitiveType, values: unknown[]): [unknown, unknown] | undefined {
  const present = values.filter((v) => v !== null && !isNaNValue(v))
  if (present.length === 0) return undefined
  const sorted = [...present].sort((a, b) => compareValues(type, a, b))
  return [sorted[0], sorted.at(-1)]
}

describe('ParquetFileWriter', () => {
  for (const [type, values] of PRIMITIVES) {
    it(`round-trips ${primitiveToString(type)} values, counts them and bounds them by their min and max`, async () => {
      const schema = new Schema([{ id: 1, name: 'v', required: false, type }])
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.option(values, { nil: null, freq: 4 }), { minLength: 1, maxLength: 30 }),
          fc.constantFrom('full', 'truncate(4)'),
          async (input, mode) => {
            const rows = input.map((v) => ({ v }))
            const { bytes, dataFile } = await writeFile(schema, rows, {
              'write.metadata.metrics.default': mode,
            })
            const read = await readRows(schema, bytes)
            expect(read.length).toBe(input.length)
            read.forEach((row, i) => {
              if (typeof input[i] === 'number') expect(Object.is(row.v, input[i])).toBe(true)
              else expect(row.v).toEqual(input[i])
            })
            expect(dataFile.recordCount).toBe(BigInt(input.length))
            expect(dataFile.valueCounts.get(1)).toBe(BigInt(input.length))
            expect(dataFile.nullValueCounts.get(1)).toBe(BigInt(input.filter((v) => v === null).length))
            const floating = type.kind === 'float' || type.kind === 'double'
            expect(dataFile.nanValueCounts.get(1)).toBe(
              floating ? BigInt(input.filter(isNaNValue).length) : undefined,
            )
            const range = extremes(type, input)
            const lower = dataFile.lowerBounds.get(1)
            const upper = dataFile.upperBounds.get(1)
            if (!range) {
              expect(lower).toBeUndefined()
              expect(upper).toBeUndefined()
              return
            }
            const [min, max] = range
            const low = fromBytes(type.kind === 'fixed' ? Types.binary : type, lower!)
            expect(compareValues(type, low, min)).toBeLessThanOrEqual(0)
            if (upper !== undefined) {
              const high = fromBytes(type.kind === 'fixed' ? Types.binary : type, upper)
              expect(compareValues(type, high, max)).toBeGreaterThanOrEqual(0)
            }
            const truncatable = type.kind === 'string' || type.kind === 'binary' || type.kind === 'fixed'
            if (mode === 'full' || !truncatable) {
              // hyparquet-writer reports a zero minimum as -0 and a zero maximum as +0: one ulp looser.
              if (floating && min === 0) expect(low).toBe(-0)
              else expect(low).toEqual(min)
              expect(upper).toBeDefined()
              const high = fromBytes(type, upper!)
              if (floating && max === 0) expect(Object.is(high, 0)).toBe(true)
              else expect(high).toEqual(max)
            } else if (type.kind === 'string') {
              expect([...(low as string)].length).toBeLessThanOrEqual(4)
              expect((min as string).startsWith(low as string)).toBe(true)
            } else {
              expect((low as Uint8Array).length).toBeLessThanOrEqual(4)
              expect(upper === undefined || upper.length <= 4).toBe(true)
            }
          },
        ),
        { numRuns: 25 },
      )
    })
  }

  const allTypes = new Schema(
    PRIMITIVES.map(([type], i) => ({ id: i + 1, name: `c${i}`, required: i % 2 === 0, type })),
  )

  it('writes the spec’s Parquet types with the Iceberg field id on every column of the footer', async () => {
    const row = Object.fromEntries(
      PRIMITIVES.map(([, arb], i) => [`c${i}`, fc.sample(arb, { numRuns: 1, seed: i })[0]]),
    )
    const { bytes } = await writeFile(allTypes, [row])
    const footer = parquetMetadata(arrayBuffer(bytes))
    expect(footer.schema[0]).toMatchObject({ name: 'table', num_children: PRIMITIVES.length })
    const columns = footer.schema.slice(1)
    expect(columns.map((e) => e.field_id)).toEqual(PRIMITIVES.map((_, i) => i + 1))
    expect(columns.map((e) => e.repetition_type)).toEqual(
      PRIMITIVES.map((_, i) => (i % 2 ? 'OPTIONAL' : 'REQUIRED')),
    )
    expect(columns.map((e) => [e.type, e.type_length ?? null, e.logical_type?.type ?? null])).toEqual([
      ['BOOLEAN', null, null],
      ['INT32', null, null],
      ['INT64', null, null],
      ['FLOAT', null, null],
      ['DOUBLE', null, null],
      ['INT32', null, 'DECIMAL'],
      ['INT64', null, 'DECIMAL'],
      ['FIXED_LEN_BYTE_ARRAY', 16, 'DECIMAL'],
      ['INT32', null, 'DATE'],
      ['INT64', null, 'TIME'],
      ['INT64', null, 'TIMESTAMP'],
      ['INT64', null, 'TIMESTAMP'],
      ['BYTE_ARRAY', null, 'STRING'],
      ['FIXED_LEN_BYTE_ARRAY', 16, 'UUID'],
      ['FIXED_LEN_BYTE_ARRAY', 3, null],
      ['FIXED_LEN_BYTE_ARRAY', 20, null],
      ['BYTE_ARRAY', null, null],
    ])
    expect(columns[7]).toMatchObject({ precision: 38, scale: 10 })
    expect(columns[9]!.logical_type).toEqual({ type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' })
    expect(columns[10]!.logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' })
    expect(columns[11]!.logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' })
    expect(footer.created_by).toMatch(/^lake version \S+ \(build .+\)$/)
    const schemaJson = JSON.parse(
      footer.key_value_metadata!.find((kv) => kv.key === 'iceberg.schema')!.value!,
    )
    expect(schemaJson.fields.map((f: { id: number }) => f.id)).toEqual(PRIMITIVES.map((_, i) => i + 1))
  })

  const nested = new Schema([
    { id: 1, name: 'id', required: true, type: Types.long },
    {
      id: 2,
      name: 'point',
      required: false,
      type: Types.struct([
        { id: 3, name: 'x', required: true, type: Types.double },
        { id: 4, name: 'label', required: false, type: Types.string },
      ]),
    },
    { id: 5, name: 'tags', required: false, type: Types.list(6, Types.string) },
    {
      id: 7,
      name: 'events',
      required: false,
      type: Types.list(8, Types.struct([{ id: 9, name: 'at', required: true, type: Types.timestamptz }])),
    },
    { id: 10, name: 'matrix', required: false, type: Types.list(11, Types.list(12, Types.int)) },
    {
      id: 13,
      name: 'props',
      required: false,
      type: Types.map(
        14,
        Types.string,
        15,
        Types.struct([{ id: 16, name: 'n', required: false, type: Types.int }]),
      ),
    },
    {
      id: 17,
      name: 'maps',
      required: false,
      type: Types.list(18, Types.map(19, Types.string, 20, Types.long)),
    },
  ])
  const nestedRows: Row[] = [
    {
      id: 1n,
      point: { x: 1.5, label: 'a' },
      tags: ['x', null, 'y'],
      events: [{ at: 10n }, null],
      matrix: [[1, 2], [], null, [3]],
      props: new Map<string, unknown>([
        ['k', { n: 1 }],
        ['nil', null],
        ['empty', { n: null }],
      ]),
      maps: [new Map([['a', 1n]]), null, new Map()],
    },
    { id: 2n, point: null, tags: null, events: null, matrix: null, props: null, maps: null },
    { id: 3n, point: { x: -2, label: null }, tags: [], events: [], matrix: [], props: new Map(), maps: [] },
  ]

  it('shreds structs, lists, lists of structs, lists of lists, maps of structs and lists of maps', async () => {
    const { bytes } = await writeFile(nested, nestedRows)
    const read = await parquetReadObjects({
      file: arrayBuffer(bytes),
      compressors,
      parsers: { timestampFromMicroseconds: (v) => v },
    })
    expect(read).toEqual([
      {
        id: 1n,
        point: { x: 1.5, label: 'a' },
        tags: ['x', null, 'y'],
        events: [{ at: 10n }, null],
        matrix: [[1, 2], [], null, [3]],
        props: { k: { n: 1 }, nil: null, empty: { n: null } },
        maps: [{ a: 1n }, null, {}],
      },
      { id: 2n, point: null, tags: null, events: null, matrix: null, props: null, maps: null },
      { id: 3n, point: { x: -2, label: null }, tags: [], events: [], matrix: [], props: {}, maps: [] },
    ])
    const ids = parquetMetadata(arrayBuffer(bytes)).schema.map((e) => [e.name, e.field_id ?? null])
    expect(ids).toEqual([
      ['table', null],
      ['id', 1],
      ['point', 2],
      ['x', 3],
      ['label', 4],
      ['tags', 5],
      ['list', null],
      ['element', 6],
      ['events', 7],
      ['list', null],
      ['element', 8],
      ['at', 9],
      ['matrix', 10],
      ['list', null],
      ['element', 11],
      ['list', null],
      ['element', 12],
      ['props', 13],
      ['key_value', null],
      ['key', 14],
      ['value', 15],
      ['n', 16],
      ['maps', 17],
      ['list', null],
      ['element', 18],
      ['key_value', null],
      ['key', 19],
      ['value', 20],
    ])
  })

  it('counts nested values as Parquet does and bounds only leaves reached through structs', async () => {
    const { dataFile } = await writeFile(nested, nestedRows)
    const counts = (id: number) => [dataFile.valueCounts.get(id), dataFile.nullValueCounts.get(id)]
    // A null struct is one null per leaf; a null or empty list or map one null per leaf beneath.
    expect(counts(3)).toEqual([3n, 1n])
    expect(counts(4)).toEqual([3n, 2n])
    expect(counts(6)).toEqual([5n, 3n])
    expect(counts(9)).toEqual([4n, 3n])
    expect(counts(12)).toEqual([7n, 4n])
    expect(counts(14)).toEqual([5n, 2n])
    expect(counts(16)).toEqual([5n, 4n])
    expect(counts(19)).toEqual([5n, 4n])
    expect(dataFile.nanValueCounts).toEqual(new Map([[3, 0n]]))
    expect([...dataFile.lowerBounds.keys()]).toEqual([1, 3, 4])
    expect(fromBytes(Types.double, dataFile.lowerBounds.get(3)!)).toBe(-2)
    expect(fromBytes(Types.string, dataFile.upperBounds.get(4)!)).toBe('a')
    expect([...dataFile.columnSizes.keys()]).toEqual([1, 3, 4, 6, 9, 12, 14, 16, 19, 20])
  })

  it('truncates string bounds to 16 code points by default, the upper one incremented', async () => {
    const schema = new Schema([{ id: 1, name: 's', required: false, type: Types.string }])
    const long = 'abcdefghijklmnopqrstuvwxyz'
    const { dataFile } = await writeFile(schema, [{ s: long }, { s: `😀${long}` }, { s: 'a' }])
    expect(fromBytes(Types.string, dataFile.lowerBounds.get(1)!)).toBe('a')
    expect(fromBytes(Types.string, dataFile.upperBounds.get(1)!)).toBe(`😀${long.slice(0, 14)}p`)
    const only = await writeFile(schema, [{ s: long }])
    expect(fromBytes(Types.string, only.dataFile.lowerBounds.get(1)!)).toBe(long.slice(0, 16))
    expect(fromBytes(Types.string, only.dataFile.upperBounds.get(1)!)).toBe('abcdefghijklmnoq')
  })

  it('writes no bounds for a column of NaNs and nulls, but counts them', async () => {
    const schema = new Schema([{ id: 1, name: 'f', required: false, type: Types.float }])
    const { dataFile } = await writeFile(schema, [{ f: Number.NaN }, { f: null }, { f: Number.NaN }])
    expect(dataFile.nanValueCounts.get(1)).toBe(2n)
    expect(dataFile.nullValueCounts.get(1)).toBe(1n)
    expect(dataFile.lowerBounds.size + dataFile.upperBounds.size).toBe(0)
  })

  it('keeps what each metrics mode keeps, and column sizes even under none', async () => {
    const schema = new Schema([
      { id: 1, name: 'a', required: false, type: Types.int },
      { id: 2, name: 'b', required: false, type: Types.double },
      { id: 3, name: 'c', required: false, type: Types.string },
    ])
    const { dataFile } = await writeFile(schema, [{ a: 1, b: 2, c: 'x'.repeat(40) }], {
      'write.metadata.metrics.column.a': 'none',
      'write.metadata.metrics.column.b': 'counts',
      'write.metadata.metrics.column.c': 'full',
    })
    expect([...dataFile.columnSizes.keys()]).toEqual([1, 2, 3])
    expect([...dataFile.valueCounts.keys()]).toEqual([2, 3])
    expect([...dataFile.nanValueCounts.keys()]).toEqual([2])
    expect([...dataFile.lowerBounds.keys()]).toEqual([3])
    expect(fromBytes(Types.string, dataFile.upperBounds.get(3)!)).toBe('x'.repeat(40))
  })

  it('rolls row groups at write.parquet.row-group-limit and reports their starts as split offsets', async () => {
    const schema = new Schema([
      { id: 1, name: 'id', required: true, type: Types.long },
      { id: 2, name: 's', required: false, type: Types.string },
    ])
    const rows = Array.from({ length: 2500 }, (_, i) => ({ id: BigInt(i), s: `v${i % 7}` }))
    const writer = new ParquetFileWriter({ schema, properties: { 'write.parquet.row-group-limit': '1000' } })
    await writer.write(columnBatch(schema, rows.slice(0, 1500)))
    expect(writer.bytesWritten).toBeGreaterThan(4)
    expect(writer.recordCount).toBe(1500)
    await writer.write(columnBatch(schema, rows.slice(1500)))
    const { bytes, dataFile } = await writer.close()
    const footer = parquetMetadata(arrayBuffer(bytes))
    expect(footer.row_groups.map((g) => g.num_rows)).toEqual([1000n, 1000n, 500n])
    expect(dataFile.splitOffsets).toEqual(
      footer.row_groups.map(
        (g) => g.columns[0]!.meta_data!.dictionary_page_offset ?? g.columns[0]!.meta_data!.data_page_offset,
      ),
    )
    for (const [i, id] of [1, 2].entries()) {
      const chunks = footer.row_groups.map((g) => g.columns[i]!.meta_data!)
      expect(dataFile.columnSizes.get(id)).toBe(chunks.reduce((n, c) => n + c.total_compressed_size, 0n))
      expect(dataFile.valueCounts.get(id)).toBe(2500n)
    }
    expect(fromBytes(Types.long, dataFile.upperBounds.get(1)!)).toBe(2499n)
    expect(dataFile.fileSizeInBytes).toBe(BigInt(bytes.byteLength))
    expect((await readRows(schema, bytes)).map((r) => r.id)).toEqual(rows.map((r) => r.id))
  })

  it('compresses with the codec of write.parquet.compression-codec, zstd by default', async () => {
    const schema = new Schema([{ id: 1, name: 's', required: true, type: Types.string }])
    const rows = Array.from({ length: 2000 }, (_, i) => ({ s: `row ${i} ${'lorem ipsum '.repeat(i % 5)}` }))
    const sizes: Record<string, number> = {}
    for (const [codec, name] of [
      [undefined, 'ZSTD'],
      ['snappy', 'SNAPPY'],
      ['GZIP', 'GZIP'],
      ['uncompressed', 'UNCOMPRESSED'],
    ] as const) {
      const properties: Record<string, string> = codec ? { 'write.parquet.compression-codec': codec } : {}
      const { bytes } = await writeFile(schema, rows, properties)
      expect(parquetMetadata(arrayBuffer(bytes)).row_groups[0]!.columns[0]!.meta_data!.codec).toBe(name)
      expect(await readRows(schema, bytes)).toEqual(rows)
      sizes[name] = bytes.byteLength
    }
    expect(sizes.ZSTD).toBeLessThan(sizes.UNCOMPRESSED!)
    expect(sizes.GZIP).toBeLessThan(sizes.UNCOMPRESSED!)
    const leveled = await writeFile(schema, rows, { 'write.parquet.compression-level': '19' })
    expect(leveled.bytes.byteLength).toBeLessThanOrEqual(sizes.ZSTD!)
  })

  it('writes a valid empty file when no row arrives', async () => {
    const schema = new Schema([{ id: 1, name: 'id', required: true, type: Types.long }])
    const { bytes, dataFile } = await writeFile(schema, [])
    expect(parquetMetadata(arrayBuffer(bytes)).num_rows).toBe(0n)
    expect(dataFile).toMatchObject({ recordCount: 0n, splitOffsets: [], valueCounts: new Map([[1, 0n]]) })
  })

  it('refuses codecs it cannot write, bad sizes, rows it cannot encode and use after close', async () => {
    expect(() => parquetCodec({ 'write.parquet.compression-codec': 'lz4' })).toThrow(UnsupportedError)
    expect(() => parquetCodec({ 'write.parquet.compression-codec': 'zip' })).toThrow(ValidationError)
    const schema = new Schema([{ id: 1, name: 'id', required: true, type: Types.long }])
    expect(
      () => new ParquetFileWriter({ schema, properties: { 'write.parquet.page-size-bytes': '1MB' } }),
    ).toThrow(/write.parquet.page-size-bytes/)
    const broken = new ParquetFileWriter({ schema })
    await broken.write(columnBatch(schema, [{ id: null }]))
    await expect(broken.close()).rejects.toThrow(ValidationError)
    const writer = new ParquetFileWriter({ schema })
    await writer.close()
    await expect(writer.write(columnBatch(schema, [{ id: 1n }]))).rejects.toThrow(/closed/)
  })

  it('estimates its size from buffered rows, then at the ratio the written row groups achieved', async () => {
    const schema = new Schema([{ id: 1, name: 's', required: true, type: Types.string }])
    const writer = new ParquetFileWriter({ schema, properties: { 'write.parquet.row-group-limit': '100' } })
    await writer.write(
      columnBatch(
        schema,
        Array.from({ length: 50 }, () => ({ s: 'x'.repeat(96) })),
      ),
    )
    expect(writer.bytesWritten).toBe(4)
    expect(writer.estimatedSize).toBe(4 + 50 * 100)
    await writer.write(
      columnBatch(
        schema,
        Array.from({ length: 100 }, () => ({ s: 'x'.repeat(96) })),
      ),
    )
    // One row group of 100 identical values is a few hundred bytes, so 50 more rows count little.
    expect(writer.bytesWritten).toBeLessThan(1000)
    expect(writer.estimatedSize).toBeLessThan(writer.bytesWritten + 1000)
    const { bytes } = await writer.close()
    expect(bytes.byteLength).toBeGreaterThan(writer.bytesWritten - 1)
  })
})

describe('RollingFileWriter', () => {
  const schema = new Schema([
    { id: 1, name: 'id', required: true, type: Types.long },
    { id: 2, name: 'payload', required: true, type: Types.string },
  ])
  // Hexadecimal noise, which no codec shrinks below half.
  let seed = 7
  const noise = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed.toString(16).padStart(8, '0')
  }
  const rows = Array.from({ length: 10_500 }, (_, i) => ({ id: BigInt(i), payload: noise() + noise() }))
  const open = () =>
    new ParquetFileWriter({ schema, properties: { 'write.parquet.row-group-limit': '1000' } })

  it('starts a new file when the open one reaches the target size, checking every 1000 rows', async () => {
    const rolling = new RollingFileWriter({ open, targetFileSize: 40_000 })
    const files: WrittenDataFile[] = []
    for (let i = 0; i < rows.length; i += 700)
      files.push(...(await rolling.write(columnBatch(schema, rows.slice(i, i + 700)))))
    expect(rolling.current).toBeDefined()
    files.push(...(await rolling.close()))
    expect(files.length).toBeGreaterThan(2)
    expect(files.reduce((n, f) => n + f.dataFile.recordCount, 0n)).toBe(10_500n)
    for (const file of files.slice(0, -1)) {
      expect(file.dataFile.recordCount % 1000n).toBe(0n)
      expect(file.bytes.byteLength).toBeGreaterThan(30_000)
      expect(file.bytes.byteLength).toBeLessThan(60_000)
    }
    const ids = []
    for (const file of files) ids.push(...(await readRows(schema, file.bytes)).map((r) => r.id))
    expect(ids).toEqual(rows.map((r) => r.id))
  })

  it('keeps one file below the target, and never returns an empty file', async () => {
    const rolling = new RollingFileWriter({ open, targetFileSize: targetFileSize({}) })
    expect(await rolling.write(columnBatch(schema, rows))).toEqual([])
    const files = await rolling.close()
    expect(files.map((f) => f.dataFile.recordCount)).toEqual([10_500n])
    expect(await rolling.close()).toEqual([])
    expect(await new RollingFileWriter({ open, targetFileSize: 1 }).close()).toEqual([])
    expect(targetFileSize({ 'write.target-file-size-bytes': '1048576' })).toBe(1_048_576)
  })
})
