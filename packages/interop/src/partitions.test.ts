// Lake's partition values and column metrics, checked by Apache Iceberg Java. Readers without a
// filter never look at either, so a table whose files sit in the wrong partition or carry wrong
// bounds reads back fine and then loses rows the moment Java (or any engine) prunes with a filter.
// Java's audit recomputes every row's partition with its own transforms and checks the recorded
// counts and bounds against the rows.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { col, defineSchema, HadoopCatalog } from '@lake/catalog'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type CanonicalRow, javaAudit, javaRead, lakeRead, lakeRows, pyRead, sortRows } from './index.js'

const TABLE = 'lake_db.transforms'

const schema = defineSchema({
  id: col.long().required(),
  i: col.int(),
  l: col.long(),
  dec: col.decimal(9, 2),
  s: col.string(),
  u: col.uuid(),
  fx: col.fixed(4),
  bin: col.binary(),
  dt: col.date(),
  t: col.time(),
  ts: col.timestamptz(),
  tsl: col.timestamp(),
  b: col.boolean(),
  d: col.double(),
  f: col.float(),
})

const partitionBy = [
  { source: 'id', transform: 'bucket[8]' },
  { source: 'i', transform: 'truncate[10]' },
  { source: 'l', transform: 'bucket[5]' },
  { source: 'dec', transform: 'truncate[100]' },
  { source: 'dec', transform: 'bucket[2]' },
  { source: 's', transform: 'bucket[4]' },
  { source: 's', transform: 'truncate[3]' },
  { source: 'u', transform: 'bucket[3]' },
  { source: 'fx', transform: 'bucket[6]' },
  { source: 'bin', transform: 'truncate[2]' },
  { source: 'dt', transform: 'month' },
  { source: 't', transform: 'bucket[7]' },
  { source: 'ts', transform: 'hour' },
  { source: 'tsl', transform: 'year' },
  { source: 'b', transform: 'identity' },
]

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** Values at the edges transforms get wrong: negatives, epoch boundaries, multi-byte text, nulls. */
function rows(): CanonicalRow[] {
  const strings = ['', 'a', 'abc', 'abcd', '世界🌍x', 'é', '🌍🌍🌍🌍', 'zzzzzzzzzzzzzzzzzzzzzz']
  const longs = ['-9223372036854775808', '9223372036854775807', '0', '-1', '1', '34', '-34']
  const ints = [-2147483648, 2147483647, 0, -1, 1, 9, 10, -10, -11]
  return Array.from({ length: 24 }, (_, k) => {
    const nullAt = (column: number) => k % 13 === column % 13 && k > 12
    const row: CanonicalRow = {
      id: String(k - 12),
      i: ints[k % ints.length]!,
      l: longs[k % longs.length]!,
      dec: `${k % 2 ? '-' : ''}${(k * 37) % 1000}.${pad((k * 13) % 100)}`,
      s: strings[k % strings.length]!,
      // Both sides of the sign bit: uuids order as unsigned bytes.
      u: `${['00000000', '7fffffff', '80000000', 'ffffffff', pad(k * 7, 8)][k % 5]}-0000-4000-8000-${pad(k, 12)}`,
      fx: ['00000000', 'ffffffff', '7f000080', `${pad(k, 8)}`][k % 4]!,
      bin: ['', '00', 'ff00ff', '0102030405'][k % 4]!,
      dt: ['1969-12-31', '1970-01-01', '1969-01-15', '2026-02-28', '1900-03-01'][k % 5]!,
      t: ['00:00:00.000000', '23:59:59.999999', `12:${pad(k)}:00.000001`][k % 3]!,
      ts: [
        '1969-12-31T23:59:59.999999Z',
        '1970-01-01T00:00:00.000000Z',
        `2026-01-01T${pad(k)}:30:00.000000Z`,
      ][k % 3]!,
      tsl: ['1969-12-31T23:59:59.999999', '1970-01-01T00:00:00.000000', '2026-06-15T12:00:00.000000'][k % 3]!,
      b: k % 3 === 2 ? null : k % 2 === 0,
      d: [-0.5, 1e300, 'NaN', 0.25][k % 4]!,
      f: [Math.fround(-1.5), 'NaN', Math.fround(3.25)][k % 3]!,
    }
    Object.keys(row).forEach((key, column) => {
      if (key !== 'id' && nullAt(column)) row[key] = null
    })
    return row
  })
}

let warehouse: string

beforeAll(async () => {
  warehouse = await mkdtemp(join(tmpdir(), 'lake-interop-partitions-'))
  const catalog = new HadoopCatalog({ warehouse })
  await catalog.createNamespace('lake_db')
  const table = await catalog.createTable(TABLE, { schema, partitionBy })
  const all = rows()
  await table.append(lakeRows(table.schema(), all.slice(0, 12)))
  await table.append(lakeRows(table.schema(), all.slice(12)))
})

afterAll(async () => {
  if (warehouse) await rm(warehouse, { recursive: true, force: true })
})

it("puts every row in the partition Java's transforms compute, with counts and bounds Java accepts", async () => {
  const audit = (await javaAudit(warehouse, [TABLE]))[TABLE]!
  expect(audit.rows).toBe(24)
  expect(audit.files).toBeGreaterThan(12)
  expect(audit.bounds).toBeGreaterThan(audit.files * 20)
  expect(audit.problems).toEqual([])
})

it('is read identically by Lake, Java and PyIceberg, partition spec included', async () => {
  const [lake, java, py] = await Promise.all([
    lakeRead(warehouse, TABLE),
    javaRead(warehouse, TABLE),
    pyRead(warehouse, TABLE),
  ])
  expect(lake.rows).toEqual(sortRows(rows()))
  expect(java).toEqual(lake)
  expect(py).toEqual(lake)
  expect(lake.spec.fields.map((f) => `${f.name}:${f.transform}`)).toEqual(
    partitionBy.map((p) => expect.stringContaining(`:${p.transform}`)),
  )
})

it('spells column and partition names Avro cannot (spaces, non-ASCII, dashes, a leading digit) so Java and PyIceberg read them', async () => {
  const name = 'lake_db.odd_names'
  const catalog = new HadoopCatalog({ warehouse })
  const odd = await catalog.createTable(name, {
    schema: defineSchema({
      id: col.long().required(),
      'with space': col.string(),
      ünï: col.int(),
      'x-y': col.string(),
      '1st': col.struct({ 'a.b': col.string() }),
    }),
    partitionBy: [
      { source: 'with space', transform: 'identity' },
      { source: 'ünï', transform: 'bucket[2]' },
      { source: 'x-y', transform: 'truncate[2]' },
    ],
  })
  const written: CanonicalRow[] = [
    { id: '1', 'with space': 'a b/c=d%', ünï: 5, 'x-y': 'héllo', '1st': { 'a.b': 'dot' } },
    { id: '2', 'with space': null, ünï: null, 'x-y': null, '1st': null },
  ]
  await odd.append(lakeRows(odd.schema(), written))
  const [lake, java, py, audit] = await Promise.all([
    lakeRead(warehouse, name),
    javaRead(warehouse, name),
    pyRead(warehouse, name),
    javaAudit(warehouse, [name]),
  ])
  expect(lake.rows).toEqual(sortRows(written))
  expect(java).toEqual(lake)
  expect(py).toEqual(lake)
  expect(audit[name]!.problems).toEqual([])
})
