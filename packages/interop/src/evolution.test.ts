// Java changes a table Lake created (schema, partition spec, refs), then Lake writes under what Java
// left: its appends use the new schema and spec, its deletes and overwrites reach files of both
// specs. Every step is read by all three and Java audits the files.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { and, col, defineSchema, eq, gtEq, HadoopCatalog, lt, type Table } from '@lake/catalog'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  type CanonicalRow,
  javaAppend,
  javaAudit,
  javaEvolve,
  javaRead,
  lakeRead,
  lakeRows,
  pyRead,
  sortRows,
  type TableRead,
} from './index.js'

const TABLE = 'lake_db.evolving'

const schema = defineSchema({
  id: col.long().required(),
  ts: col.timestamptz().required(),
  kind: col.string(),
  amount: col.decimal(9, 2),
  st: col.struct({ x: col.int() }),
})

const pad = (n: number) => String(n).padStart(2, '0')

function firstRows(): CanonicalRow[] {
  return Array.from({ length: 8 }, (_, i) => ({
    id: String(i),
    ts: `2026-01-0${1 + (i % 2)}T${pad(i)}:00:00.000000Z`,
    kind: ['view', 'click', null][i % 3]!,
    amount: `${i}.${pad(i * 11)}`,
    st: i === 7 ? null : { x: i },
  }))
}

/** The rows as Java's changes leave them: kind dropped and re-added (null), amount renamed and widened, st.y added. */
function evolved(rows: readonly CanonicalRow[]): CanonicalRow[] {
  return rows.map(({ kind: _, amount, st, ...rest }) => ({
    ...rest,
    price: amount ?? null,
    st: st === null || st === undefined ? null : { ...(st as object), y: null },
    kind: null,
  }))
}

function laterRows(firstId: number, day: number, who: string): CanonicalRow[] {
  return Array.from({ length: 6 }, (_, i) => ({
    id: String(firstId + i),
    ts: `2026-01-${pad(day)}T${pad(i * 3)}:15:00.000000Z`,
    price: `${firstId + i}0000000.${pad(i)}`,
    st: { x: i % 2 ? null : 0 - i, y: `${who} ${i}` },
    kind: i % 2 ? who : null,
  }))
}

let warehouse: string
let table: Table
let expected: CanonicalRow[]

beforeAll(async () => {
  warehouse = await mkdtemp(join(tmpdir(), 'lake-interop-evolving-'))
  const catalog = new HadoopCatalog({ warehouse })
  await catalog.createNamespace('lake_db')
  table = await catalog.createTable(TABLE, { schema, partitionBy: [{ source: 'ts', transform: 'day' }] })
  await table.append(lakeRows(table.schema(), firstRows()))
  await table.createTag('lake-tag', undefined, { maxRefAgeMs: 86_400_000 })
  await table.createBranch('lake-branch')
})

afterAll(async () => {
  if (warehouse) await rm(warehouse, { recursive: true, force: true })
})

async function readAll(): Promise<[TableRead, TableRead, TableRead]> {
  return Promise.all([lakeRead(warehouse, TABLE), javaRead(warehouse, TABLE), pyRead(warehouse, TABLE)])
}

it("shows Lake's tag and branch to Java and PyIceberg as Lake sees them", async () => {
  const [lake, java, py] = await readAll()
  expect(Object.keys(lake.refs).sort()).toEqual(['lake-branch', 'lake-tag', 'main'])
  expect(lake.refs['lake-tag']!['max-ref-age-ms']).toBe(86_400_000)
  expect(java).toEqual(lake)
  expect(py).toEqual(lake)
})

it('is read by Lake as Java evolved it: dropped and re-added column, rename, widening, nested add, new spec', async () => {
  await javaEvolve(warehouse, TABLE, [
    { op: 'delete-column', name: 'kind' },
    { op: 'rename-column', name: 'amount', to: 'price' },
    { op: 'update-column', name: 'price', type: 'decimal(12, 2)' },
    { op: 'add-column', parent: 'st', name: 'y', type: 'string' },
    { op: 'add-column', name: 'kind', type: 'string' },
    { op: 'add-partition-field', source: 'id', transform: 'bucket[4]' },
    { op: 'remove-partition-field', name: 'ts_day' },
    { op: 'add-partition-field', source: 'kind', transform: 'identity' },
    { op: 'create-tag', name: 'java-tag' },
  ])
  expected = evolved(firstRows())
  const [lake, java, py] = await readAll()
  expect(lake.rows).toEqual(sortRows(expected))
  expect(java).toEqual(lake)
  expect(py).toEqual(lake)
  expect(lake.spec.fields.map((f) => f.name)).toEqual(['id_bucket_4', 'kind'])
})

it("writes under Java's schema and spec, and Java appends after it, all read identically and audited", async () => {
  await table.refresh()
  const lakeAdded = laterRows(100, 3, 'lake')
  await table.append(lakeRows(table.schema(), lakeAdded))
  const javaAdded = laterRows(200, 4, 'java')
  await javaAppend(warehouse, TABLE, javaAdded)
  await table.refresh()
  // Spans files of both specs: the old day-partitioned ones and the new bucket/kind ones.
  await table.delete(eq('id', 3n))
  await table.delete(eq('id', 101n))
  const replacement = laterRows(300, 2, 'overwrite')
  await table.overwrite(
    and(gtEq('ts', new Date(Date.UTC(2026, 0, 2))), lt('ts', new Date(Date.UTC(2026, 0, 3)))),
    lakeRows(table.schema(), replacement),
  )
  expected = [...expected, ...lakeAdded, ...javaAdded]
    .filter((row) => row.id !== '3' && row.id !== '101')
    .filter((row) => !(row.ts as string).startsWith('2026-01-02'))
    .concat(replacement)

  const [[lake, java, py], audit] = await Promise.all([readAll(), javaAudit(warehouse, [TABLE])])
  expect(lake.rows).toEqual(sortRows(expected))
  expect(java).toEqual(lake)
  expect(py).toEqual(lake)
  expect(audit[TABLE]!.problems).toEqual([])
  expect(lake.snapshots.at(-1)?.operation).toBe('overwrite')
})
