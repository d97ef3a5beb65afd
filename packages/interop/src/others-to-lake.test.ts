// Tables written by Apache Iceberg Java and PyIceberg: the two reference readers agree on them
// (the harness checks itself), Lake reads each exactly as they do, and Lake's commits on top of
// Java's tables are read back by Java exactly as Lake reads them.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq, HadoopCatalog } from '@lake/catalog'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AuditResult,
  type CanonicalRow,
  javaAudit,
  javaCreateFixture,
  javaRead,
  javaReadMany,
  lakeRead,
  lakeRows,
  pyCreateFixture,
  pyRead,
  pyReadMany,
  sortRows,
  type TableRead,
} from './index.js'
import { undoPyIcebergNullListOfStructs } from './known-bugs.js'

const JAVA_TABLES = [
  'java_db.events',
  'java_db.all_types',
  'java_db.row_deltas',
  'java_db.evolved_spec',
  'java_db.gzip_metadata',
  'java_db.format_v1',
  'java_db.schema_evolution',
  'java_db.big_file',
  'java_db.odd_names',
]
// Avro data files: Java reads them, PyIceberg 0.12 refuses them; compared on their own below.
const AVRO_TABLE = 'java_db.avro_files'
// PyIceberg 0.12 refuses equality deletes, so it cannot read java_db.row_deltas (pinned below).
const PY_TABLES = ['py_db.events', 'py_db.all_types']
const PY_READABLE = [...JAVA_TABLES.filter((t) => t !== 'java_db.row_deltas'), ...PY_TABLES]

let warehouse: string
let java: Record<string, TableRead>
let py: Record<string, TableRead>

beforeAll(async () => {
  warehouse = await mkdtemp(join(tmpdir(), 'lake-interop-others-'))
  await Promise.all([javaCreateFixture(warehouse), pyCreateFixture(warehouse)])
  ;[java, py] = await Promise.all([
    javaReadMany(warehouse, [...JAVA_TABLES, AVRO_TABLE, ...PY_TABLES]),
    pyReadMany(warehouse, PY_READABLE),
  ])
})

afterAll(async () => {
  if (warehouse) await rm(warehouse, { recursive: true, force: true })
})

const names = (read: TableRead) => (read.schema.fields as { name: string }[]).map((f) => f.name)
const operations = (read: TableRead) => read.snapshots.map((s) => s.operation)

describe('the harness itself', () => {
  it.each(PY_READABLE.filter((t) => t !== 'java_db.all_types'))(
    'Java and PyIceberg read %s identically',
    (table) => {
      expect(py[table]).toEqual(java[table])
    },
  )

  it('Java and PyIceberg read java_db.all_types identically but for a null list of structs', () => {
    const j = java['java_db.all_types']!
    expect(undoPyIcebergNullListOfStructs(py['java_db.all_types']!, j, 'deep')).toEqual(j)
  })

  it('PyIceberg 0.12 reads a null list<struct> as [] where Java reads null (a PyIceberg bug, see known-bugs.ts)', () => {
    const nullRow = (read: TableRead) => read.rows.find((row) => row.b === null)!
    expect(nullRow(java['java_db.all_types']!).deep).toBeNull()
    expect(nullRow(py['java_db.all_types']!).deep).toEqual([])
  })

  it('PyIceberg 0.12 refuses to read equality deletes, so java_db.row_deltas is compared with Java only', async () => {
    await expect(pyRead(warehouse, 'java_db.row_deltas')).rejects.toThrow(
      /does not yet support equality deletes/,
    )
  })

  it('java_db.events holds what the Java fixture wrote: a rename, an added column, a delete and an overwrite', () => {
    const events = java['java_db.events']!
    expect(operations(events)).toEqual(['append', 'append', 'append', 'delete', 'overwrite'])
    expect(names(events)).toEqual(['id', 'ts', 'category', 'amount', 'note'])
    expect(events.spec.fields.map((f) => f.transform)).toEqual(['day', 'bucket[4]'])
    expect(events.rows).toHaveLength(15)
  })

  it('java_db.row_deltas hides rows by position and by equality, but not a newer row with a deleted id', () => {
    const rows = java['java_db.row_deltas']!
    const ids = rows.rows.map((row) => row.id)
    expect(operations(rows)).toEqual(['append', 'append', 'delete', 'append'])
    expect(ids).toHaveLength(17)
    expect(ids.filter((id) => ['0', '3', '15', '17'].includes(id as string))).toEqual(['15'])
    expect(rows.snapshots[2]!.summary['added-position-deletes']).toBe('2')
    expect(rows.snapshots[2]!.summary['added-equality-deletes']).toBe('2')
  })

  it('java_db.evolved_spec has a second spec, java_db.format_v1 is format version 1', () => {
    expect(java['java_db.evolved_spec']!.spec).toEqual({
      'spec-id': 1,
      fields: [
        { name: 'cat', transform: 'identity', 'source-id': 3, 'field-id': 1001 },
        { name: 'id_bucket_4', transform: 'bucket[4]', 'source-id': 1, 'field-id': 1002 },
      ],
    })
    // v1 snapshots carry no sequence numbers.
    expect(java['java_db.format_v1']!.snapshots.map((s) => s['sequence-number'])).toEqual([0, 0, 0])
  })

  it('java_db.schema_evolution matches columns by id: the re-added a is null in old rows, b became c', () => {
    const evolved = java['java_db.schema_evolution']!
    expect(names(evolved)).toEqual(['id', 'c', 's', 'a'])
    expect(evolved.rows[0]).toEqual({ id: '0', c: '-2', s: { x: 0, y: 'y0', z: null }, a: null })
    expect(evolved.rows.at(-1)).toEqual({
      id: '7',
      c: '70000000000',
      s: { x: 7, y: null, z: 7.5 },
      a: 'new a 7',
    })
  })

  it('java_db.big_file spans row groups, pages and four codecs, less nine rows deleted by position', () => {
    const big = java['java_db.big_file']!
    expect(big.rows).toHaveLength(5000 - 9)
    expect(
      big.rows.some((row) =>
        ['0', '1', '99', '100', '101', '1499', '2047', '2048', '2999'].includes(row.id as string),
      ),
    ).toBe(false)
  })

  it('py_db.events holds what the PyIceberg fixture wrote: a rename, a whole-file delete and a rewrite', () => {
    const events = py['py_db.events']!
    expect(operations(events)).toEqual(['append', 'append', 'append', 'delete', 'overwrite'])
    expect(events.spec.fields).toEqual([
      { name: 'ts_day', transform: 'day', 'source-id': 2, 'field-id': 1000 },
      { name: 'kind', transform: 'identity', 'source-id': 3, 'field-id': 1001 },
    ])
    expect(names(events)).toEqual(['id', 'ts', 'category', 'amount', 'tags'])
    expect(events.rows.some((row) => row.category === 'view' || row.id === '14')).toBe(false)
    expect(events.rows).toHaveLength(17)
  })
})

describe('Lake reads what Java and PyIceberg wrote', () => {
  it.each([...JAVA_TABLES, ...PY_TABLES])(
    'Lake reads %s exactly as Apache Iceberg Java does',
    async (table) => {
      expect(await lakeRead(warehouse, table)).toEqual(java[table])
    },
  )

  it.each(PY_TABLES)('Lake reads %s exactly as PyIceberg does', async (table) => {
    expect(await lakeRead(warehouse, table)).toEqual(py[table])
  })

  it('py_db.all_types, written by pyarrow, holds every value PyIceberg was given (its null list<struct> as [])', () => {
    const rows = py['py_db.all_types']!.rows
    expect(rows).toHaveLength(3)
    expect(rows.find((row) => row.b === true)!.u).toBe('f79c3e09-677c-4bbd-a479-3f349cb785e7')
    expect(rows.find((row) => row.b === null)!.deep).toEqual([])
  })

  it('Lake reads Avro data files as Java does, or refuses them as unsupported as PyIceberg does, never as corrupt Parquet', async () => {
    await expect(pyRead(warehouse, AVRO_TABLE)).rejects.toThrow(/Unsupported file format: FileFormat.AVRO/)
    expect(java[AVRO_TABLE]!.rows).toHaveLength(6)
    let read: TableRead
    try {
      read = await lakeRead(warehouse, AVRO_TABLE)
    } catch (error) {
      expect(error).toMatchObject({ name: 'UnsupportedError', code: 'LAKE_UNSUPPORTED' })
      return
    }
    expect(read).toEqual(java[AVRO_TABLE])
  })

  it('Lake reads java_db.events before the rename with the schema of that snapshot, as Java does', async () => {
    const second = java['java_db.events']!.snapshots[1]!['snapshot-id']
    const [javaOld, lakeOld] = await Promise.all([
      javaRead(warehouse, 'java_db.events', { snapshotId: second }),
      lakeRead(warehouse, 'java_db.events', { snapshotId: second }),
    ])
    expect(names(javaOld)).toContain('kind')
    expect(javaOld.rows).toHaveLength(20)
    expect(lakeOld).toEqual(javaOld)
  })
})

describe('Lake commits on top of tables Java wrote', () => {
  const TABLES = [
    'java_db.row_deltas',
    'java_db.evolved_spec',
    'java_db.gzip_metadata',
    'java_db.format_v1',
    'java_db.schema_evolution',
  ]
  const PY_TABLES = TABLES.filter((t) => t !== 'java_db.row_deltas')
  const fresh = (name: string): CanonicalRow[] =>
    Array.from(
      { length: 6 },
      (_, i): CanonicalRow =>
        name === 'java_db.schema_evolution'
          ? {
              id: String(1000 + i),
              c: String(-i),
              s: i === 5 ? null : { x: i, y: `lake ${i}`, z: -i },
              a: `lake a ${i}`,
            }
          : {
              id: String(1000 + i),
              ts: `2026-02-0${1 + (i % 3)}T0${i}:00:00.000000Z`,
              cat: i === 5 ? null : `c${i % 3}`,
            },
    )
  const expected: Record<string, CanonicalRow[]> = {}
  const failed: Record<string, unknown> = {}
  let javaAfter: Record<string, TableRead>
  let pyAfter: Record<string, TableRead>
  let audits: Record<string, AuditResult>

  beforeAll(async () => {
    const catalog = new HadoopCatalog({ warehouse })
    for (const name of TABLES) {
      try {
        const table = await catalog.loadTable(name)
        const added = fresh(name)
        await table.append(lakeRows(table.schema(), added))
        expected[name] = [...java[name]!.rows, ...added]
        if (name === 'java_db.row_deltas') {
          // Copy-on-write deletes in files that position and equality deletes already cut: the
          // rewritten files must keep ids 0, 3, 15 and 17 deleted, and the newer id 15 visible.
          await table.delete(eq('id', 1n))
          await table.delete(eq('id', 12n))
          expected[name] = expected[name]!.filter((r) => r.id !== '1' && r.id !== '12')
        }
      } catch (error) {
        failed[name] = error
      }
    }
    // One launch each for all four tables, whatever the commits above did.
    ;[javaAfter, pyAfter, audits] = await Promise.all([
      javaReadMany(warehouse, TABLES),
      pyReadMany(warehouse, PY_TABLES),
      javaAudit(warehouse, TABLES),
    ])
  })

  it.each(TABLES)(
    'Lake appends (and deletes) on %s; Java reads it as Lake does and its audit passes',
    async (name) => {
      if (failed[name]) throw failed[name]
      const lake = await lakeRead(warehouse, name)
      expect(lake.rows).toEqual(sortRows(expected[name]!))
      expect(javaAfter[name]).toEqual(lake)
      if (PY_TABLES.includes(name)) expect(pyAfter[name]).toEqual(lake)
      expect(audits[name]!.problems).toEqual([])
      if (name === 'java_db.row_deltas') {
        const ids = javaAfter[name]!.rows.map((r) => r.id)
        expect(ids.filter((id) => ['0', '1', '3', '12', '15', '17'].includes(id as string))).toEqual(['15'])
      }
    },
  )
})
