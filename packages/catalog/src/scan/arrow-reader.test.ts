import { AbortedError, CorruptFileError, isLakeError, ValidationError } from '@lake/errors'
import { type RecordBatch, Table, tableFromIPC, tableToIPC } from 'apache-arrow'
import fc from 'fast-check'
import { parquetMetadata } from 'hyparquet'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { describe, expect, it } from 'vitest'
import { PARQUET_FIELD_ID_KEY } from '../spec/arrow-schema.js'
import { Schema } from '../spec/schema.js'
import { type NestedField, Types } from '../spec/types.js'
import { type ReadParquetOptions, readParquet } from './arrow-reader.js'
import { parseNameMapping } from './name-mapping.js'
import { collect, column, fixture, hex, memoryFile, rows } from './test-helpers.js'

const read = (options: ReadParquetOptions) => collect(readParquet(options))
const days = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 86_400_000
const bytes = (...values: number[]) => Uint8Array.from(values)
const text = (s: string) => new TextEncoder().encode(s)
const replacer = (_: string, v: unknown) =>
  typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('readParquet: every type (pyarrow, zstd, dictionary pages)', () => {
  const schema = new Schema([
    { id: 1, name: 'id', required: true, type: Types.long },
    { id: 2, name: 'bool', required: false, type: Types.boolean },
    { id: 3, name: 'int', required: false, type: Types.int },
    { id: 4, name: 'long', required: false, type: Types.long },
    { id: 5, name: 'float', required: false, type: Types.float },
    { id: 6, name: 'double', required: false, type: Types.double },
    { id: 7, name: 'dec9', required: false, type: Types.decimal(9, 2) },
    { id: 8, name: 'dec38', required: false, type: Types.decimal(38, 10) },
    { id: 9, name: 'date', required: false, type: Types.date },
    { id: 10, name: 'time', required: false, type: Types.time },
    { id: 11, name: 'ts', required: false, type: Types.timestamp },
    { id: 12, name: 'tstz', required: false, type: Types.timestamptz },
    { id: 13, name: 'str', required: false, type: Types.string },
    { id: 14, name: 'uuid', required: false, type: Types.uuid },
    { id: 15, name: 'fixed', required: false, type: Types.fixed(3) },
    { id: 16, name: 'bin', required: false, type: Types.binary },
  ])
  const batches = read({
    file: fixture('all-types.zstd.parquet'),
    path: 'all-types.parquet',
    projectedSchema: schema,
  })

  it('reads every value of every type, and nulls as nulls', async () => {
    const b = await batches
    expect(column(b, 'id')).toEqual([0n, 1n, 2n, 3n, 4n])
    expect(column(b, 'bool')).toEqual([true, false, null, true, false])
    expect(column(b, 'int')).toEqual([0, -1, null, 2147483647, -2147483648])
    expect(column(b, 'long')).toEqual([0n, -1n, null, 9223372036854775807n, -9223372036854775808n])
    expect(column(b, 'float')).toEqual([
      1.5,
      -0.25,
      null,
      Number.POSITIVE_INFINITY,
      Math.fround(3.4028234663852886e38),
    ])
    expect(column(b, 'double')).toEqual([1.5, -0.1, null, 1e308, Number.NEGATIVE_INFINITY])
    expect(column(b, 'dec9')).toEqual([123n, -123n, null, 999999999n, 0n])
    expect(column(b, 'dec38')).toEqual([
      12345678901234567890123456780123456789n,
      -1n,
      null,
      0n,
      -99999999999999999999999999999999999999n,
    ])
    expect(column(b, 'date')).toEqual([0, days(2024, 2, 29), null, -1, days(9999, 12, 31)])
    expect(column(b, 'time')).toEqual([0n, 45296789012n, null, 86399999999n, 1n])
    const micros = [0n, 1709208000123456n, null, -1n, 946684800000000n]
    expect(column(b, 'ts')).toEqual(micros)
    expect(column(b, 'tstz')).toEqual(micros)
    expect(column(b, 'str')).toEqual(['', 'héllo', null, 'a'.repeat(100), '日本'])
    expect(column(b, 'uuid')).toEqual([
      new Uint8Array(16),
      hex('123e4567-e89b-12d3-a456-426614174000'),
      null,
      new Uint8Array(16).fill(255),
      hex('123e4567-e89b-12d3-a456-426614174000'),
    ])
    expect(column(b, 'fixed')).toEqual([bytes(0, 1, 2), text('abc'), null, bytes(255, 255, 255), text('xyz')])
    expect(column(b, 'bin')).toEqual([bytes(), bytes(0, 255), null, text('binary'), text('x'.repeat(50))])
  })

  it('drops deleted rows from columns of every type', async () => {
    const all = await batches
    const kept = await read({
      file: fixture('all-types.zstd.parquet'),
      path: 'all-types.parquet',
      projectedSchema: schema,
      positionDeletes: [1, 3],
    })
    for (const field of schema.fields) {
      expect(column(kept, field.name), field.name).toEqual(
        column(all, field.name).filter((_, i) => i !== 1 && i !== 3),
      )
    }
  })

  it('builds valid Arrow data of every type: an IPC round trip gives the same values', async () => {
    const b = await batches
    const copy = tableFromIPC(tableToIPC(new Table(b)))
    for (const field of schema.fields)
      expect(column(copy.batches, field.name), field.name).toEqual(column(b, field.name))
  })

  it('returns batches with the Arrow schema of the projection, field ids included', async () => {
    const [batch] = await batches
    expect(batch!.schema.fields.map((f) => f.name)).toEqual(schema.fields.map((f) => f.name))
    expect(batch!.schema.fields.map((f) => f.metadata.get(PARQUET_FIELD_ID_KEY))).toEqual(
      schema.fields.map((f) => String(f.id)),
    )
    expect(batch!.schema.fields[0]!.nullable).toBe(false)
    expect(String(batch!.schema.fields[11]!.type)).toBe('Timestamp<MICROSECOND, UTC>')
  })
})

describe('readParquet: encodings (pyarrow, data page v2)', () => {
  it('decodes delta, byte-stream-split and RLE-encoded columns with nulls', async () => {
    const b = await read({
      file: fixture('encodings.parquet'),
      path: 'encodings.parquet',
      projectedSchema: new Schema([
        { id: 1, name: 'i32', required: false, type: Types.int },
        { id: 2, name: 'i64', required: false, type: Types.long },
        { id: 3, name: 'f32', required: false, type: Types.float },
        { id: 4, name: 'f64', required: false, type: Types.double },
        { id: 5, name: 's_len', required: false, type: Types.string },
        { id: 6, name: 's_delta', required: false, type: Types.string },
        { id: 7, name: 'dec', required: false, type: Types.decimal(20, 4) },
        { id: 8, name: 'bool', required: false, type: Types.boolean },
        { id: 9, name: 'fixed', required: false, type: Types.fixed(4) },
      ]),
    })
    const n = 300
    const gap = (i: number) => i % 11 === 5
    const each = <T>(shift: number, value: (i: number) => T) =>
      Array.from({ length: n }, (_, i) => (gap(i + shift) ? null : value(i)))
    expect(column(b, 'i32')).toEqual(each(0, (i) => ((i * 7919) % 100003) - 50000))
    expect(column(b, 'i64')).toEqual(each(1, (i) => BigInt(i - 150) * 1_000_000_007n))
    expect(column(b, 'f32')).toEqual(each(2, (i) => i / 8))
    expect(column(b, 'f64')).toEqual(each(3, (i) => (i === 0 ? 0 : -i / 3)))
    expect(column(b, 's_len')).toEqual(each(4, (i) => 'v'.repeat(i % 13) + String(i)))
    expect(column(b, 's_delta')).toEqual(
      each(5, (i) => `prefix/${String(Math.floor(i / 10)).padStart(4, '0')}/${i}`),
    )
    expect(column(b, 'dec')).toEqual(each(6, (i) => BigInt(i * 12345 * (i % 3 ? -1 : 1))))
    expect(column(b, 'bool')).toEqual(each(7, (i) => i % 3 === 0))
    expect(column(b, 'fixed')).toEqual(each(8, (i) => bytes(0, 0, i >> 8, i & 255)))
  })
})

describe('readParquet: nested types (pyarrow, snappy, data page v2)', () => {
  const person = Types.struct([
    { id: 9, name: 'name', required: false, type: Types.string },
    { id: 10, name: 'age', required: false, type: Types.int },
  ])
  const fields: NestedField[] = [
    { id: 1, name: 'id', required: true, type: Types.long },
    {
      id: 2,
      name: 'point',
      required: false,
      type: Types.struct([
        { id: 3, name: 'x', required: true, type: Types.double },
        { id: 4, name: 'y', required: false, type: Types.double },
      ]),
    },
    { id: 5, name: 'ints', required: false, type: Types.list(6, Types.int) },
    { id: 7, name: 'people', required: false, type: Types.list(8, person) },
    { id: 11, name: 'matrix', required: false, type: Types.list(12, Types.list(13, Types.string)) },
    { id: 14, name: 'attrs', required: false, type: Types.map(15, Types.string, 16, Types.long) },
    {
      id: 17,
      name: 'nested',
      required: false,
      type: Types.struct([
        {
          id: 18,
          name: 'inner',
          required: false,
          type: Types.struct([{ id: 19, name: 'v', required: false, type: Types.int }]),
        },
        { id: 20, name: 'tags', required: false, type: Types.list(21, Types.string) },
      ]),
    },
    {
      id: 22,
      name: 'lookup',
      required: false,
      type: Types.map(
        23,
        Types.string,
        24,
        Types.struct([
          { id: 25, name: 'a', required: false, type: Types.int },
          { id: 26, name: 'b', required: false, type: Types.string },
        ]),
      ),
    },
  ]
  const expected = {
    id: [0n, 1n, 2n, 3n, 4n, 5n],
    point: [{ x: 1, y: 2 }, { x: 3, y: null }, null, { x: 5, y: 6 }, { x: 0, y: 0 }, null],
    ints: [[1, 2, 3], [], null, [null, 4], [5], [6, null, null]],
    people: [
      [{ name: 'a', age: 1 }],
      [],
      null,
      [null, { name: null, age: 2 }],
      [
        { name: 'b', age: null },
        { name: 'c', age: 3 },
      ],
      [],
    ],
    matrix: [[['a'], ['b', 'c']], [[]], null, [null, ['d', null]], [], [['e']]],
    attrs: [
      new Map([
        ['a', 1n],
        ['b', null],
      ]),
      new Map(),
      null,
      new Map([['c', 3n]]),
      new Map([
        ['d', 4n],
        ['e', 5n],
      ]),
      new Map(),
    ],
    nested: [
      { inner: { v: 1 }, tags: ['x'] },
      { inner: null, tags: [] },
      null,
      { inner: { v: null }, tags: null },
      { inner: { v: 2 }, tags: ['y', 'z'] },
      null,
    ],
    lookup: [
      new Map([['k', { a: 1, b: 'x' }]]),
      null,
      new Map(),
      new Map([['k2', null]]),
      new Map([['k3', { a: null, b: null }]]),
      new Map(),
    ],
  }

  it('reads structs, lists and maps nested in each other, with nulls and empties at every level', async () => {
    const b = await read({
      file: fixture('nested.snappy.parquet'),
      path: 'nested.parquet',
      projectedSchema: new Schema(fields),
    })
    for (const [name, values] of Object.entries(expected)) expect(column(b, name), name).toEqual(values)
  })

  it('projects nested fields by id, promotes nested types, and fills nested fields the file lacks with nulls', async () => {
    const projected = new Schema([
      {
        id: 2,
        name: 'p',
        required: false,
        type: Types.struct([
          { id: 4, name: 'y', required: false, type: Types.double },
          { id: 90, name: 'z', required: false, type: Types.double },
        ]),
      },
      {
        id: 7,
        name: 'people',
        required: false,
        type: Types.list(8, Types.struct([{ id: 10, name: 'years', required: false, type: Types.int }])),
      },
      {
        id: 17,
        name: 'nested',
        required: false,
        type: Types.struct([{ id: 91, name: 'added', required: false, type: Types.string }]),
      },
      { id: 5, name: 'longs', required: false, type: Types.list(6, Types.long) },
    ])
    const b = await read({
      file: fixture('nested.snappy.parquet'),
      path: 'nested.parquet',
      projectedSchema: projected,
    })
    expect(column(b, 'p')).toEqual([
      { y: 2, z: null },
      { y: null, z: null },
      null,
      { y: 6, z: null },
      { y: 0, z: null },
      null,
    ])
    expect(column(b, 'people')).toEqual([
      [{ years: 1 }],
      [],
      null,
      [null, { years: 2 }],
      [{ years: null }, { years: 3 }],
      [],
    ])
    // No column of 'nested' is projected: its nulls still come from the file.
    expect(column(b, 'nested')).toEqual([
      { added: null },
      { added: null },
      null,
      { added: null },
      { added: null },
      null,
    ])
  })

  it('builds valid Arrow data: an IPC round trip gives the same values', async () => {
    const b = await read({
      file: fixture('nested.snappy.parquet'),
      path: 'nested.parquet',
      projectedSchema: new Schema(fields),
      positionDeletes: [4],
    })
    const copy = tableFromIPC(tableToIPC(new Table(b)))
    for (const name of Object.keys(expected))
      expect(column(copy.batches, name), name).toEqual(column(b, name))
  })

  it('applies position deletes to nested rows', async () => {
    const b = await read({
      file: fixture('nested.snappy.parquet'),
      path: 'nested.parquet',
      projectedSchema: new Schema(fields),
      positionDeletes: [1, 3],
    })
    for (const [name, values] of Object.entries(expected)) {
      expect(column(b, name), name).toEqual(values.filter((_, i) => i !== 1 && i !== 3))
    }
  })
})

describe('readParquet: schema evolution', () => {
  const evolved = new Schema([
    { id: 2, name: 'label', required: false, type: Types.string },
    { id: 1, name: 'x', required: true, type: Types.long },
    { id: 3, name: 'c', required: false, type: Types.double },
    { id: 4, name: 'd', required: false, type: Types.decimal(10, 2) },
    { id: 8, name: 'e', required: false, type: Types.decimal(20, 3) },
    { id: 9, name: 'added', required: false, type: Types.int },
    { id: 10, name: 'answer', required: false, type: Types.long, initialDefault: 42 },
    { id: 11, name: 'note', required: true, type: Types.string, initialDefault: 'n/a' },
  ])
  const n = 10
  const range = Array.from({ length: n }, (_, i) => i)

  it('reads renamed columns by id, promoted types as the new type, and absent fields as null or default', async () => {
    const b = await read({
      file: fixture('evolution.parquet'),
      path: 'evolution.parquet',
      projectedSchema: evolved,
    })
    expect(b.map((batch) => batch.numRows)).toEqual([4, 4, 2])
    expect(column(b, 'x')).toEqual(range.map(BigInt))
    expect(column(b, 'label')).toEqual(range.map((i) => (i === 3 ? null : `b${i}`)))
    expect(column(b, 'c')).toEqual(range.map((i) => (i === 5 ? null : i * 0.5)))
    expect(column(b, 'd')).toEqual(range.map((i) => BigInt(i * 125 * (i % 2 ? -1 : 1))))
    expect(column(b, 'e')).toEqual(range.map((i) => (i === 0 ? null : BigInt(i) * -123456789012345n)))
    expect(column(b, 'added')).toEqual(range.map(() => null))
    expect(column(b, 'answer')).toEqual(range.map(() => 42n))
    expect(column(b, 'note')).toEqual(range.map(() => 'n/a'))
    expect(String(b[0]!.schema.fields[3]!.type)).toBe('Decimal[10e+2]')
  })

  it('fills absent fields with initial defaults of every type, in JSON or internal form', async () => {
    const defaults: NestedField[] = [
      { id: 20, name: 'bool', required: false, type: Types.boolean, initialDefault: true },
      { id: 21, name: 'int', required: false, type: Types.int, initialDefault: -7 },
      { id: 22, name: 'long', required: false, type: Types.long, initialDefault: 2n ** 40n },
      { id: 23, name: 'float', required: false, type: Types.float, initialDefault: 1.5 },
      { id: 24, name: 'dec', required: false, type: Types.decimal(9, 2), initialDefault: '-12.34' },
      { id: 25, name: 'date', required: false, type: Types.date, initialDefault: '2024-02-29' },
      { id: 26, name: 'time', required: false, type: Types.time, initialDefault: '12:34:56.789012' },
      {
        id: 27,
        name: 'ts',
        required: false,
        type: Types.timestamp,
        initialDefault: '2024-02-29T12:00:00.123456',
      },
      {
        id: 28,
        name: 'tstz',
        required: false,
        type: Types.timestamptz,
        initialDefault: '2024-02-29T12:00:00.123456+00:00',
      },
      {
        id: 29,
        name: 'uuid',
        required: false,
        type: Types.uuid,
        initialDefault: '123e4567-e89b-12d3-a456-426614174000',
      },
      { id: 30, name: 'fixed', required: false, type: Types.fixed(2), initialDefault: 'cafe' },
      { id: 31, name: 'bin', required: false, type: Types.binary, initialDefault: '00ff' },
      {
        id: 32,
        name: 'point',
        required: false,
        type: Types.struct([
          { id: 33, name: 'x', required: false, type: Types.double, initialDefault: 0.5 },
          { id: 34, name: 'y', required: false, type: Types.double },
        ]),
        initialDefault: {},
      },
      { id: 35, name: 'list', required: false, type: Types.list(36, Types.int) },
    ]
    const b = await read({
      file: fixture('evolution.parquet'),
      path: 'e',
      projectedSchema: new Schema(defaults),
    })
    const ts = BigInt(Date.UTC(2024, 1, 29, 12)) * 1000n + 123456n
    const first = rows(b)[0]
    expect(first).toEqual({
      bool: true,
      int: -7,
      long: 2n ** 40n,
      float: 1.5,
      dec: -1234n,
      date: days(2024, 2, 29),
      time: 45296789012n,
      ts,
      tstz: ts,
      uuid: hex('123e4567-e89b-12d3-a456-426614174000'),
      fixed: bytes(0xca, 0xfe),
      bin: bytes(0, 255),
      point: { x: 0.5, y: null },
      list: null,
    })
    expect(rows(b).every((row) => JSON.stringify(row, replacer) === JSON.stringify(first, replacer))).toBe(
      true,
    )
  })

  it('fails naming the file when a required field without default is absent', async () => {
    const projected = new Schema([{ id: 99, name: 'must', required: true, type: Types.int }])
    const error = await rejection(
      read({ file: fixture('evolution.parquet'), path: 'evo.parquet', projectedSchema: projected }),
    )
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as CorruptFileError).context).toMatchObject({ file: 'evo.parquet', field: 'must' })
  })

  it('refuses to read a column as a type it cannot be promoted to', async () => {
    const projected = new Schema([{ id: 2, name: 'label', required: false, type: Types.int }])
    const error = await rejection(
      read({ file: fixture('evolution.parquet'), path: 'evo.parquet', projectedSchema: projected }),
    )
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as Error).message).toContain("'label'")
    expect((error as Error).message).toContain('evo.parquet')
  })

  it('reads only the row groups asked for', async () => {
    const b = await read({
      file: fixture('evolution.parquet'),
      path: 'evolution.parquet',
      projectedSchema: evolved,
      rowGroups: [2, 1],
    })
    expect(column(b, 'x')).toEqual([8n, 9n, 4n, 5n, 6n, 7n])
  })

  it('fetches only the projected columns', async () => {
    const bytesRead: [number, number][] = []
    const file = memoryFile(
      new Uint8Array(await fixture('evolution.parquet').slice(0, fixture('evolution.parquet').byteLength)),
      (start, end) => bytesRead.push([start, end]),
    )
    const metadata = parquetMetadata(await file.slice(0, file.byteLength))
    bytesRead.length = 0
    await read({
      file,
      path: 'evolution.parquet',
      projectedSchema: new Schema([{ id: 3, name: 'c', required: false, type: Types.double }]),
    })
    // The footer is read with one slice to the end of the file; every other slice is column data.
    const dataReads = bytesRead.filter(([, end]) => end < file.byteLength)
    expect(dataReads.length).toBeGreaterThan(0)
    for (const group of metadata.row_groups) {
      for (const chunk of group.columns) {
        const meta = chunk.meta_data!
        const start = Number(meta.dictionary_page_offset || meta.data_page_offset)
        const end = start + Number(meta.total_compressed_size)
        const overlaps = dataReads.some(([s, e]) => s < end && e > start)
        expect(overlaps, meta.path_in_schema.join('.')).toBe(meta.path_in_schema[0] === 'c')
      }
    }
  })

  it('counts rows with an empty projection', async () => {
    const b = await read({
      file: fixture('evolution.parquet'),
      path: 'e.parquet',
      projectedSchema: new Schema([]),
    })
    expect(b.reduce((sum, batch) => sum + batch.numRows, 0)).toBe(10)
    expect(b[0]!.numCols).toBe(0)
  })
})

describe('readParquet: deletes, residuals and batches', () => {
  const projected = new Schema([{ id: 1, name: 'x', required: true, type: Types.long }])
  const file = () => fixture('evolution.parquet')

  it('skips deleted positions across row groups, given as numbers, bigints or a set', async () => {
    const b = await read({
      file: file(),
      path: 'e',
      projectedSchema: projected,
      positionDeletes: [9, 0, 4, 3, 3],
    })
    expect(column(b, 'x')).toEqual([1n, 2n, 5n, 6n, 7n, 8n])
    const fromSet = await read({
      file: file(),
      path: 'e',
      projectedSchema: projected,
      positionDeletes: new Set([0n, 9n]),
    })
    expect(column(fromSet, 'x')).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n])
  })

  it('does not fetch a row group whose rows are all deleted', async () => {
    const reads: number[] = []
    const bytes = new Uint8Array(await file().slice(0, file().byteLength))
    const metadata = parquetMetadata(bytes.buffer)
    const tracked = memoryFile(bytes, (start) => reads.push(start))
    const b = await read({
      file: tracked,
      path: 'e',
      projectedSchema: projected,
      positionDeletes: [4, 5, 6, 7],
    })
    expect(column(b, 'x')).toEqual([0n, 1n, 2n, 3n, 8n, 9n])
    const second = Number(metadata.row_groups[1]!.columns[0]!.meta_data!.data_page_offset)
    expect(reads).not.toContain(second)
  })

  it('cuts batches at batchSize without crossing row groups', async () => {
    const b = await read({ file: file(), path: 'e', projectedSchema: projected, batchSize: 3 })
    expect(b.map((batch) => batch.numRows)).toEqual([3, 1, 3, 1, 2])
    expect(column(b, 'x')).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)))
  })

  it('filters each batch with the residual after deletes', async () => {
    const seen: number[] = []
    const residual = (batch: RecordBatch) => {
      seen.push(batch.numRows)
      const values = column([batch], 'x') as bigint[]
      return values.map((v) => v % 2n === 0n)
    }
    const b = await read({
      file: file(),
      path: 'e',
      projectedSchema: projected,
      positionDeletes: [2],
      residual,
    })
    expect(column(b, 'x')).toEqual([0n, 4n, 6n, 8n])
    expect(seen).toEqual([3, 4, 2])
  })

  it('keeps whole batches when the residual returns undefined, and drops empty ones', async () => {
    const all = await read({ file: file(), path: 'e', projectedSchema: projected, residual: () => undefined })
    expect(all.map((b) => b.numRows)).toEqual([4, 4, 2])
    const none = await read({
      file: file(),
      path: 'e',
      projectedSchema: projected,
      residual: (batch) => new Uint8Array(batch.numRows),
    })
    expect(none).toEqual([])
  })

  it('refuses a residual mask of the wrong length', async () => {
    const error = await rejection(
      read({ file: file(), path: 'e', projectedSchema: projected, residual: () => [true] }),
    )
    expect(error).toBeInstanceOf(RangeError)
  })

  it('validates its options', async () => {
    const error = await rejection(read({ file: file(), path: 'e', projectedSchema: projected, batchSize: 0 }))
    expect(error).toBeInstanceOf(ValidationError)
    const missing = await rejection(
      read({ file: file(), path: 'e', projectedSchema: projected, rowGroups: [3] }),
    )
    expect(missing).toBeInstanceOf(ValidationError)
  })

  it('stops between row groups when aborted', async () => {
    const controller = new AbortController()
    const batches: RecordBatch[] = []
    const error = await rejection(
      (async () => {
        for await (const batch of readParquet({
          file: file(),
          path: 'e',
          projectedSchema: projected,
          signal: controller.signal,
        })) {
          batches.push(batch)
          controller.abort()
        }
      })(),
    )
    expect(error).toBeInstanceOf(AbortedError)
    expect(batches).toHaveLength(1)
  })
})

describe('readParquet: imported files', () => {
  it('converts millisecond and nanosecond timestamps and millisecond times to microseconds', async () => {
    const b = await read({
      file: fixture('timestamp-units.parquet'),
      path: 'units.parquet',
      projectedSchema: new Schema([
        { id: 1, name: 'ms', required: false, type: Types.timestamp },
        { id: 2, name: 'us', required: false, type: Types.timestamptz },
        { id: 3, name: 'ns', required: false, type: Types.timestamp },
        { id: 4, name: 'time_ms', required: false, type: Types.time },
      ]),
    })
    expect(column(b, 'ms')).toEqual([0n, -1000n, 1709208000123000n, null])
    expect(column(b, 'us')).toEqual([0n, -1n, 1709208000123456n, null])
    expect(column(b, 'ns')).toEqual([0n, -1n, 1709208000123456n, null])
    expect(column(b, 'time_ms')).toEqual([0n, 1000n, 86399999000n, null])
  })

  const table = new Schema([
    { id: 1, name: 'id', required: true, type: Types.int },
    { id: 2, name: 'title', required: false, type: Types.string },
    { id: 3, name: 'ts', required: false, type: Types.timestamp },
    {
      id: 4,
      name: 'loc',
      required: false,
      type: Types.struct([
        { id: 5, name: 'latitude', required: false, type: Types.double },
        { id: 6, name: 'lon', required: false, type: Types.double },
      ]),
    },
    { id: 7, name: 'tags', required: false, type: Types.list(8, Types.string) },
    { id: 9, name: 'attrs', required: false, type: Types.map(10, Types.string, 11, Types.string) },
  ])

  it('refuses a file without field ids when there is no name mapping, naming the file', async () => {
    const error = await rejection(
      read({
        file: fixture('no-field-ids.gzip.parquet'),
        path: 'imported/a.parquet',
        projectedSchema: table,
      }),
    )
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as Error).message).toContain('imported/a.parquet')
    expect((error as Error).message).toContain('schema.name-mapping.default')
  })

  it('reads a file without field ids through the name mapping (gzip, INT96 timestamps)', async () => {
    const nameMapping = parseNameMapping(
      JSON.stringify([
        { 'field-id': 1, names: ['id'] },
        { 'field-id': 2, names: ['title', 'name'] },
        { 'field-id': 3, names: ['ts'] },
        {
          'field-id': 4,
          names: ['loc'],
          fields: [
            { 'field-id': 5, names: ['latitude', 'lat'] },
            { 'field-id': 6, names: ['lon'] },
          ],
        },
        { 'field-id': 7, names: ['tags'], fields: [{ 'field-id': 8, names: ['element'] }] },
        {
          'field-id': 9,
          names: ['attrs'],
          fields: [
            { 'field-id': 10, names: ['key'] },
            { 'field-id': 11, names: ['value'] },
          ],
        },
      ]),
    )
    const b = await read({
      file: fixture('no-field-ids.gzip.parquet'),
      path: 'imported/a.parquet',
      projectedSchema: table,
      nameMapping,
    })
    expect(rows(b)).toEqual([
      {
        id: 1,
        title: 'one',
        ts: 1704067200000001n,
        loc: { latitude: 1, lon: 2 },
        tags: ['a', 'b'],
        attrs: new Map([['k', 'v']]),
      },
      { id: 2, title: null, ts: null, loc: null, tags: [], attrs: null },
      { id: 3, title: 'three', ts: -1n, loc: { latitude: null, lon: 4 }, tags: null, attrs: new Map() },
    ])
  })
})

describe('readParquet: corrupt files', () => {
  const projected = new Schema([
    { id: 1, name: 'id', required: true, type: Types.long },
    { id: 13, name: 'str', required: false, type: Types.string },
  ])
  const original = async () => new Uint8Array(await fixture('all-types.zstd.parquet').slice(0, 1 << 20))

  it('fails with CorruptFileError naming the path when the file is truncated', async () => {
    const full = await original()
    for (const length of [0, 7, 100, full.length - 1, full.length - 9]) {
      const error = await rejection(
        read({
          file: memoryFile(full.subarray(0, length)),
          path: 'db/t/data/x.parquet',
          projectedSchema: projected,
        }),
      )
      expect(error, `truncated to ${length}`).toBeInstanceOf(CorruptFileError)
      expect((error as CorruptFileError).context.file).toBe('db/t/data/x.parquet')
      expect((error as Error).message).toContain('db/t/data/x.parquet')
    }
  })

  it('fails rather than returning partial data when a column chunk does not decode', async () => {
    const full = await original()
    const metadata = parquetMetadata(full.slice().buffer)
    const chunk = metadata.row_groups[0]!.columns[12]!.meta_data!
    const damaged = full.slice()
    damaged.fill(0xff, Number(chunk.data_page_offset), Number(chunk.data_page_offset) + 12)
    const error = await rejection(
      read({ file: memoryFile(damaged), path: 'x.parquet', projectedSchema: projected }),
    )
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as CorruptFileError).context).toMatchObject({ file: 'x.parquet', field: 'str' })
  })

  it('fails when the storage returns fewer bytes than a column chunk holds', async () => {
    const full = await original()
    const file = memoryFile(full)
    const short = {
      byteLength: file.byteLength,
      slice: async (start: number, end?: number) => {
        const buffer = await file.slice(start, end)
        return end !== undefined && end < file.byteLength - 2000
          ? buffer.slice(0, buffer.byteLength - 1)
          : buffer
      },
    }
    const error = await rejection(read({ file: short, path: 'x.parquet', projectedSchema: projected }))
    expect(isLakeError(error) && error instanceof CorruptFileError).toBe(true)
  })
})

describe('readParquet: files written by hyparquet-writer', () => {
  const schemaElements = (rows: number) => {
    void rows
    return [
      { name: 'root', num_children: 5 },
      { name: 'id', type: 'INT64', repetition_type: 'REQUIRED', field_id: 1 },
      { name: 'v', type: 'INT32', repetition_type: 'OPTIONAL', field_id: 2 },
      { name: 's', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL', field_id: 3 },
      { name: 'd', type: 'DOUBLE', repetition_type: 'OPTIONAL', field_id: 4 },
      { name: 'b', type: 'BOOLEAN', repetition_type: 'OPTIONAL', field_id: 5 },
    ] as Parameters<typeof parquetWriteBuffer>[0]['schema']
  }
  const projected = new Schema([
    { id: 1, name: 'id', required: true, type: Types.long },
    { id: 2, name: 'v', required: false, type: Types.long },
    { id: 3, name: 's', required: false, type: Types.string },
    { id: 4, name: 'd', required: false, type: Types.double },
    { id: 5, name: 'b', required: false, type: Types.boolean },
  ])

  function write(n: number, options: { rowGroupSize?: number; pageSize?: number; nullEvery?: number } = {}) {
    const nullEvery = options.nullEvery ?? 7
    const isNull = (i: number) => nullEvery > 0 && i % nullEvery === 3
    const expected = {
      id: Array.from({ length: n }, (_, i) => BigInt(i)),
      v: Array.from({ length: n }, (_, i) => (isNull(i) ? null : ((i * 7919) % 2001) - 1000)),
      s: Array.from({ length: n }, (_, i) => (isNull(i + 1) ? null : `s${i % 97}`)),
      d: Array.from({ length: n }, (_, i) => (isNull(i + 2) ? null : i / 4)),
      b: Array.from({ length: n }, (_, i) => (isNull(i + 3) ? null : i % 3 === 0)),
    }
    const buffer = parquetWriteBuffer({
      schema: schemaElements(n),
      columnData: [
        { name: 'id', data: BigInt64Array.from(expected.id) },
        { name: 'v', data: expected.v },
        { name: 's', data: expected.s },
        { name: 'd', data: expected.d },
        { name: 'b', data: expected.b },
      ],
      rowGroupSize: options.rowGroupSize ?? n,
      pageSize: options.pageSize ?? 1 << 20,
    })
    return { file: memoryFile(new Uint8Array(buffer)), expected }
  }

  it('reads many pages and row groups in order, in batches never larger than batchSize', async () => {
    const { file, expected } = write(5000, { rowGroupSize: 1500, pageSize: 512 })
    const b = await read({ file, path: 'w.parquet', projectedSchema: projected, batchSize: 700 })
    expect(Math.max(...b.map((batch) => batch.numRows))).toBeLessThanOrEqual(700)
    expect(b.reduce((s, batch) => s + batch.numRows, 0)).toBe(5000)
    expect(column(b, 'id')).toEqual(expected.id)
    expect(column(b, 'v')).toEqual(expected.v.map((v) => (v === null ? null : BigInt(v))))
    expect(column(b, 's')).toEqual(expected.s)
    expect(column(b, 'd')).toEqual(expected.d)
    expect(column(b, 'b')).toEqual(expected.b)
  })

  it('agrees with the written values under any batch size and deletes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.nat(299)),
        async (n, rowGroupSize, batchSize, nullEvery, deleted) => {
          const { file, expected } = write(n, { rowGroupSize, pageSize: 256, nullEvery })
          const b = await read({
            file,
            path: 'p.parquet',
            projectedSchema: projected,
            batchSize,
            positionDeletes: deleted,
          })
          const gone = new Set(deleted)
          const keep = <T>(values: T[]) => values.filter((_, i) => !gone.has(i))
          expect(b.every((batch) => batch.numRows > 0 && batch.numRows <= batchSize)).toBe(true)
          expect(column(b, 'id')).toEqual(keep(expected.id))
          expect(column(b, 's')).toEqual(keep(expected.s))
          expect(column(b, 'd')).toEqual(keep(expected.d))
          expect(column(b, 'b')).toEqual(keep(expected.b))
        },
      ),
      { numRuns: 60 },
    )
  })
})
