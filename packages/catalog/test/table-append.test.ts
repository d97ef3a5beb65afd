import {
  Table as ArrowTable,
  DataType,
  Int64,
  type RecordBatch,
  TimestampMicrosecond,
  tableFromArrays,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { and, eq, gtEq, isIn, lt } from '../src/expr/expressions.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import { coerceValue } from '../src/spec/values.js'
import { listFiles, newCatalog, scanRows, sortBy, sortedColumn, tableDir } from './helpers.js'

const everyType = defineSchema({
  id: col.long().required(),
  bool: col.boolean(),
  int: col.int(),
  long: col.long(),
  float: col.float(),
  double: col.double(),
  dec9: col.decimal(9, 2),
  dec18: col.decimal(18, 6),
  dec38: col.decimal(38, 10),
  date: col.date(),
  time: col.time(),
  ts: col.timestamp(),
  tstz: col.timestamptz(),
  str: col.string(),
  uuid: col.uuid(),
  fixed: col.fixed(4),
  bin: col.binary(),
  point: col.struct({ x: col.double().required(), label: col.string(), inner: col.struct({ n: col.int() }) }),
  tags: col.list(col.string()),
  nums: col.list(col.long().required()),
  attrs: col.map(col.string().required(), col.long()),
  events: col.list(col.struct({ at: col.timestamptz(), what: col.string() })),
})

const everyTypeRows = [
  {
    id: 1n,
    bool: true,
    int: -(2 ** 31),
    long: -(2n ** 63n),
    float: 1.5,
    double: -1e300,
    dec9: '-1234567.89',
    dec18: '123456789012.345678',
    dec38: '1234567890123456789012345678.0123456789',
    date: '1969-12-31',
    time: '00:00:00',
    ts: '2026-01-05T13:00:00.123456',
    tstz: '2026-01-05T13:00:00.123456+02:00',
    str: 'héllo ☃ 😀',
    uuid: 'F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6',
    fixed: new Uint8Array([0, 255, 1, 2]),
    bin: new Uint8Array([]),
    point: { x: 0.5, label: 'a', inner: { n: 7 } },
    tags: ['a', null, 'c'],
    nums: [1n, -2n, 3n],
    attrs: new Map([
      ['k1', 1n],
      ['k2', null],
    ]),
    events: [{ at: new Date(Date.UTC(2026, 0, 1)), what: 'open' }, null],
  },
  {
    id: 2n,
    bool: false,
    int: 2 ** 31 - 1,
    long: 2n ** 63n - 1n,
    float: Number.NaN,
    double: Number.POSITIVE_INFINITY,
    dec9: '0.01',
    dec18: -5,
    dec38: 10n,
    date: new Date(Date.UTC(2026, 1, 28)),
    time: '23:59:59.999999',
    ts: new Date(Date.UTC(1960, 5, 1, 1, 2, 3, 4)),
    tstz: 1_767_617_999_000_001n,
    str: '',
    uuid: '00000000-0000-0000-0000-000000000000',
    fixed: new Uint8Array([9, 9, 9, 9]),
    bin: new Uint8Array([0, 1, 2, 254, 255]),
    point: { x: -0.25, label: null, inner: null },
    tags: [],
    nums: [],
    attrs: { only: 42n },
    events: [],
  },
  {
    id: 3n,
    bool: null,
    int: null,
    long: null,
    float: null,
    double: null,
    dec9: null,
    dec18: null,
    dec38: null,
    date: null,
    time: null,
    ts: null,
    tstz: null,
    str: null,
    uuid: null,
    fixed: null,
    bin: null,
    point: null,
    tags: null,
    nums: null,
    attrs: null,
    events: null,
  },
]

async function everyTypeTable(name = 'all') {
  const { catalog } = await newCatalog()
  await catalog.createNamespace('db')
  return catalog.createTable(`db.${name}`, { schema: everyType })
}

/** What the rows must read back as: their internal values under the table's schema. */
function expected(table: Awaited<ReturnType<typeof everyTypeTable>>, rows: readonly object[]) {
  return rows.map((row) => coerceValue(table.schema().asStruct(), row, ''))
}

describe('append', () => {
  it('reads back rows of every primitive and nested type value for value', async () => {
    const table = await everyTypeTable()
    await table.append(everyTypeRows)
    const back = sortBy(await scanRows(table), 'id')
    expect(back).toEqual(expected(table, everyTypeRows))
  })

  it('stores the instants and wall-clock times the spec says', async () => {
    const table = await everyTypeTable()
    await table.append(everyTypeRows)
    const [first, second] = sortBy(await scanRows(table), 'id')
    // timestamptz input with an offset is the same instant in UTC; timestamp keeps the wall clock.
    expect(first!.tstz).toBe(BigInt(Date.UTC(2026, 0, 5, 11, 0, 0, 123)) * 1000n + 456n)
    expect(first!.ts).toBe(BigInt(Date.UTC(2026, 0, 5, 13, 0, 0, 123)) * 1000n + 456n)
    expect(second!.ts).toBe(BigInt(Date.UTC(1960, 5, 1, 1, 2, 3, 4)) * 1000n)
    expect(first!.date).toBe(-1)
    expect(second!.time).toBe(86_400_000_000n - 1n)
    expect(first!.dec9).toBe(-123456789n)
    expect(first!.dec38).toBe(12345678901234567890123456780123456789n)
    expect(second!.dec18).toBe(-5_000_000n)
    expect(first!.uuid).toBe('f81d4fae-7dec-11d0-a765-00a0c91e6bf6')
    expect(Number.isNaN(second!.float)).toBe(true)

    const arrow = await table.scan({ columns: ['ts', 'tstz'] }).toArrow()
    const ts = arrow.schema.fields.find((f) => f.name === 'ts')!.type
    const tstz = arrow.schema.fields.find((f) => f.name === 'tstz')!.type
    expect(DataType.isTimestamp(ts) && ts.timezone).toBeFalsy()
    expect(DataType.isTimestamp(tstz) && tstz.timezone).toBe('UTC')
  })

  it('appends an Arrow Table, a RecordBatch and an array of batches, reading back the same values', async () => {
    const source = await everyTypeTable('source')
    await source.append(everyTypeRows)
    const arrow = await source.scan().toArrow()
    const want = sortBy(await scanRows(source), 'id')
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')

    const fromTable = await catalog.createTable('db.t1', { schema: everyType })
    await fromTable.append(arrow)
    expect(sortBy(await scanRows(fromTable), 'id')).toEqual(want)

    const fromBatch = await catalog.createTable('db.t2', { schema: everyType })
    await fromBatch.append(arrow.batches[0]!)
    expect(sortBy(await scanRows(fromBatch), 'id')).toEqual(
      sortBy(await scanRows(source), 'id').slice(0, arrow.batches[0]!.numRows),
    )

    const fromBatches = await catalog.createTable('db.t3', { schema: everyType })
    await fromBatches.append(arrow.batches)
    expect(sortBy(await scanRows(fromBatches), 'id')).toEqual(want)
  })

  it('appends an Arrow table built by hand with columns in any order', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.t', {
      schema: defineSchema({ id: col.long().required(), name: col.string(), at: col.timestamptz() }),
    })
    const ms = [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 2)]
    const at = ms.map((m) => BigInt(m) * 1000n)
    const arrow = new ArrowTable({
      // apache-arrow's builders take timestamps as epoch milliseconds.
      at: vectorFromArray(ms, new TimestampMicrosecond('UTC')),
      name: vectorFromArray(['a', null], new Utf8()),
      id: vectorFromArray([1n, 2n], new Int64()),
    })
    await table.append(arrow)
    expect(sortBy(await scanRows(table), 'id')).toEqual([
      { id: 1n, name: 'a', at: at[0] },
      { id: 2n, name: null, at: at[1] },
    ])
    const simple = tableFromArrays({ id: BigInt64Array.from([3n]), name: ['c'] })
    await table.append(simple.batches[0] as RecordBatch)
    expect(sortedColumn(await scanRows(table), 'id')).toEqual([1n, 2n, 3n])
  })

  it('makes one snapshot per append with Java’s summary counts', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.t', {
      schema: defineSchema({ id: col.long().required(), kind: col.string() }),
      partitionBy: [{ source: 'kind', transform: 'identity' }],
    })
    const first = await table.append([
      { id: 1n, kind: 'a' },
      { id: 2n, kind: 'b' },
    ])
    const second = await table.append([{ id: 3n, kind: 'a' }])
    expect(table.snapshots().map((s) => s.snapshotId)).toEqual([first.snapshotId, second.snapshotId])
    expect(second.parentSnapshotId).toBe(first.snapshotId)
    expect(first.summary.operation).toBe('append')
    expect(first.summary['added-data-files']).toBe('2')
    expect(first.summary['added-records']).toBe('2')
    expect(second.summary['total-records']).toBe('3')
    expect(second.summary['total-data-files']).toBe('3')
    expect(second.sequenceNumber).toBe(2n)
  })

  it('appends nothing as an empty snapshot that changes no rows', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.t', { schema: defineSchema({ id: col.long() }) })
    await table.append([{ id: 1n }])
    await table.append([])
    expect(await scanRows(table)).toEqual([{ id: 1n }])
    expect((await listFiles(tableDir(table))).filter((f) => f.endsWith('.parquet'))).toHaveLength(1)
  })
})

describe('partitioned append', () => {
  const schema = defineSchema({
    id: col.long().required(),
    name: col.string(),
    ts: col.timestamptz(),
  })

  const at = (y: number, m: number, d: number, h: number) => new Date(Date.UTC(y, m - 1, d, h, 30))

  const data = [
    { id: 1n, name: 'alpha', ts: at(2024, 3, 9, 5) },
    { id: 2n, name: 'alpine', ts: at(2024, 3, 9, 6) },
    { id: 3n, name: 'beta', ts: at(2024, 12, 31, 23) },
    { id: 4n, name: 'gamma', ts: at(2025, 1, 1, 0) },
    { id: 5n, name: null, ts: null },
  ]

  async function partitionedBy(transform: string, source: string) {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.t', {
      schema,
      partitionBy: [{ source, transform }],
    })
    await table.append(data)
    const dirs = (await listFiles(`${tableDir(table)}/data`)).map((f) => f.split('/')[0]!)
    return { table, dirs: [...new Set(dirs)].sort() }
  }

  it.each([
    ['identity', 'name', ['name=alpha', 'name=alpine', 'name=beta', 'name=gamma', 'name=null']],
    ['truncate[3]', 'name', ['name_trunc=alp', 'name_trunc=bet', 'name_trunc=gam', 'name_trunc=null']],
    ['year', 'ts', ['ts_year=2024', 'ts_year=2025', 'ts_year=null']],
    ['month', 'ts', ['ts_month=2024-03', 'ts_month=2024-12', 'ts_month=2025-01', 'ts_month=null']],
    ['day', 'ts', ['ts_day=2024-03-09', 'ts_day=2024-12-31', 'ts_day=2025-01-01', 'ts_day=null']],
    [
      'hour',
      'ts',
      [
        'ts_hour=2024-03-09-05',
        'ts_hour=2024-03-09-06',
        'ts_hour=2024-12-31-23',
        'ts_hour=2025-01-01-00',
        'ts_hour=null',
      ],
    ],
  ])('partitions by %s of %s into Java’s directories', async (transform, source, dirs) => {
    const result = await partitionedBy(transform, source)
    expect(result.dirs).toEqual(dirs)
    expect(sortBy(await scanRows(result.table), 'id')).toEqual(
      data.map((r) => coerceValue(schema.schema.asStruct(), r, '')),
    )
  })

  it('escapes partition values in paths as Java URL-encodes them', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', {
      schema,
      partitionBy: [{ source: 'name', transform: 'identity' }],
    })
    await table.append([
      { id: 1n, name: 'a b/c', ts: null },
      { id: 2n, name: "it's (new)!~*", ts: null },
      { id: 3n, name: null, ts: null },
    ])
    const dirs = (await listFiles(`${tableDir(table)}/data`)).map((f) => f.split('/')[0])
    expect(dirs.sort()).toEqual(['name=a+b%2Fc', 'name=it%27s+%28new%29%21%7E*', 'name=null'])
  })

  it('names identity partitions of other types by Java’s human strings, URL-encoded', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.t', {
      schema: defineSchema({
        id: col.long().required(),
        tz: col.timestamptz(),
        ts: col.timestamp(),
        d: col.date(),
        p: col.decimal(9, 2),
        b: col.boolean(),
        bin: col.binary(),
        f: col.double(),
        t: col.time(),
      }),
      partitionBy: ['tz', 'ts', 'd', 'p', 'b', 'bin', 'f', 't'].map((source) => ({
        source,
        transform: 'identity',
      })),
    })
    await table.append([
      {
        id: 1n,
        tz: '2026-01-02T03:04:05.5+01:00',
        ts: '2026-01-02T03:04:00',
        d: '2026-01-02',
        p: '-1.05',
        b: true,
        bin: new Uint8Array([0xfb, 0xff, 0xfe]),
        f: 1.5,
        t: '10:12:00',
      },
    ])
    const [file] = await listFiles(`${tableDir(table)}/data`)
    expect(file!.split('/').slice(0, -1)).toEqual([
      'tz=2026-01-02T02%3A04%3A05.5%2B00%3A00',
      'ts=2026-01-02T03%3A04%3A00',
      'd=2026-01-02',
      'p=-1.05',
      'b=true',
      'bin=%2B%2F%2F%2B',
      'f=1.5',
      't=10%3A12',
    ])
  })

  it('partitions by bucket with Iceberg’s murmur3 hash of the value', async () => {
    // Spec appendix B: bucket of long 34 is 2017239379 mod N.
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.t', {
      schema,
      partitionBy: [{ source: 'id', transform: 'bucket[16]' }],
    })
    await table.append([{ id: 34n, name: 'x', ts: null }])
    const dirs = (await listFiles(`${tableDir(table)}/data`)).map((f) => f.split('/')[0])
    expect(dirs).toEqual([`id_bucket=${2017239379 % 16}`])
    const plan = await table.scan({ filter: eq('id', 34n) }).planFiles()
    expect(plan.tasks).toHaveLength(1)
    const pruned = await table.scan({ filter: eq('id', 35n) }).planFiles()
    expect(pruned.tasks).toEqual([])
    expect(pruned.stats.manifestsSkipped).toBe(1)
    expect(await scanRows(table, { filter: eq('id', 35n) })).toEqual([])
  })

  it('prunes partitions that cannot match, and reads only matching rows from the rest', async () => {
    const { table } = await partitionedBy('day', 'ts')
    const filter = and(gtEq('ts', '2024-12-31T00:00:00Z'), lt('ts', '2025-01-01T00:00:00Z'))
    const plan = await table.scan({ filter }).planFiles()
    expect(plan.stats.dataFiles).toBe(4)
    expect(plan.tasks).toHaveLength(1)
    expect(plan.stats.dataFilesSkippedByPartition).toBe(3)
    expect(sortedColumn(await scanRows(table, { filter }), 'id')).toEqual([3n])
    expect(sortedColumn(await scanRows(table, { filter: isIn('id', [1n, 4n]) }), 'id')).toEqual([1n, 4n])
  })

  it('prunes identity and truncate partitions by string predicates', async () => {
    const identity = await partitionedBy('identity', 'name')
    const plan = await identity.table.scan({ filter: eq('name', 'beta') }).planFiles()
    expect(plan.tasks.map((t) => t.dataFile.partition)).toEqual([['beta']])
    expect(plan.stats.dataFilesSkippedByPartition).toBe(4)

    const truncated = await partitionedBy('truncate[3]', 'name')
    const scan = truncated.table.scan({ filter: eq('name', 'alpine') })
    const tplan = await scan.planFiles()
    expect(tplan.tasks).toHaveLength(1)
    expect(tplan.stats.dataFilesSkippedByPartition).toBe(3)
    expect((await scanRows(truncated.table, { filter: eq('name', 'alpine') })).map((r) => r.id)).toEqual([2n])
  })
})
