// Tables written by Apache Iceberg Java and PyIceberg: the two reference readers agree on them
// (the harness checks itself), and Lake reads each exactly as they do.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { javaCreateFixture, javaRead, lakeRead, pyCreateFixture, pyRead, type TableRead } from './index.js'
import { undoPyIcebergNullListOfStructs } from './known-bugs.js'

let warehouse: string
const java: Record<string, TableRead> = {}
const py: Record<string, TableRead> = {}
const TABLES = ['java_db.events', 'java_db.all_types', 'py_db.events'] as const

beforeAll(async () => {
  warehouse = await mkdtemp(join(tmpdir(), 'lake-interop-others-'))
  await Promise.all([javaCreateFixture(warehouse), pyCreateFixture(warehouse)])
  // One JVM and one Python run per table, shared by every test below.
  for (const table of TABLES) {
    ;[java[table], py[table]] = await Promise.all([javaRead(warehouse, table), pyRead(warehouse, table)])
  }
})

afterAll(async () => {
  if (warehouse) await rm(warehouse, { recursive: true, force: true })
})

describe('the harness itself', () => {
  it('Java and PyIceberg read java_db.events identically', () => {
    expect(py['java_db.events']).toEqual(java['java_db.events'])
  })

  it('Java and PyIceberg read py_db.events identically', () => {
    expect(py['py_db.events']).toEqual(java['py_db.events'])
  })

  it('Java and PyIceberg read java_db.all_types identically but for a null list of structs', () => {
    const j = java['java_db.all_types']!
    const p = py['java_db.all_types']!
    expect(undoPyIcebergNullListOfStructs(p, j, 'deep')).toEqual(j)
  })

  it('PyIceberg 0.12 reads a null list<struct> as [] where Java reads null (a PyIceberg bug, see known-bugs.ts)', () => {
    const nullRow = (read: TableRead) => read.rows.find((row) => row.b === null)!
    expect(nullRow(java['java_db.all_types']!).deep).toBeNull()
    expect(nullRow(py['java_db.all_types']!).deep).toEqual([])
  })

  it('java_db.events holds what the Java fixture wrote: a rename, an added column, a delete and an overwrite', () => {
    const events = java['java_db.events']!
    expect(events.snapshots.map((s) => s.operation)).toEqual([
      'append',
      'append',
      'append',
      'delete',
      'overwrite',
    ])
    expect((events.schema.fields as { name: string }[]).map((f) => f.name)).toEqual([
      'id',
      'ts',
      'category',
      'amount',
      'note',
    ])
    expect(events.spec.fields.map((f) => f.transform)).toEqual(['day', 'bucket[4]'])
    expect(events.rows).toHaveLength(15)
  })

  it('py_db.events holds what the PyIceberg fixture wrote: a rename, a whole-file delete and a rewrite', () => {
    const events = py['py_db.events']!
    expect(events.snapshots.map((s) => s.operation)).toEqual([
      'append',
      'append',
      'append',
      'delete',
      'overwrite',
    ])
    expect(events.spec.fields).toEqual([
      { name: 'ts_day', transform: 'day', 'source-id': 2, 'field-id': 1000 },
      { name: 'kind', transform: 'identity', 'source-id': 3, 'field-id': 1001 },
    ])
    expect(events.rows.some((row) => row.category === 'view' || row.id === '14')).toBe(false)
    expect(events.rows).toHaveLength(17)
  })
})

describe('Lake reads what Java and PyIceberg wrote', () => {
  it.each(TABLES)('Lake reads %s exactly as Apache Iceberg Java does', async (table) => {
    expect(await lakeRead(warehouse, table)).toEqual(java[table])
  })

  it('Lake reads py_db.events exactly as PyIceberg does', async () => {
    expect(await lakeRead(warehouse, 'py_db.events')).toEqual(py['py_db.events'])
  })

  it('Lake reads java_db.events before the rename with the schema of that snapshot, as Java does', async () => {
    const first = java['java_db.events']!.snapshots[1]!['snapshot-id']
    const [javaOld, lakeOld] = await Promise.all([
      javaRead(warehouse, 'java_db.events', { snapshotId: first }),
      lakeRead(warehouse, 'java_db.events', { snapshotId: first }),
    ])
    expect((javaOld.schema.fields as { name: string }[]).map((f) => f.name)).toContain('kind')
    expect(javaOld.rows).toHaveLength(20)
    expect(lakeOld).toEqual(javaOld)
  })
})
