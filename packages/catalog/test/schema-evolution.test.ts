import { ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { eq, gt } from '../src/expr/expressions.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import { Types } from '../src/spec/types.js'
import { listFiles, newCatalog, scanRows, sortBy, sortedColumn, tableDir } from './helpers.js'

async function evolvingTable() {
  const { catalog } = await newCatalog()
  await catalog.createNamespace('db')
  const table = await catalog.createTable('db.t', {
    schema: defineSchema({
      id: col.long().required(),
      count: col.int(),
      name: col.string(),
      legacy: col.string(),
      price: col.decimal(9, 2),
      ratio: col.float(),
      device: col.struct({ os: col.string() }),
    }),
  })
  await table.append([
    { id: 1n, count: 10, name: 'one', legacy: 'x', price: '1.50', ratio: 0.5, device: { os: 'ios' } },
    { id: 2n, count: 2 ** 31 - 1, name: 'two', legacy: 'y', price: '2.25', ratio: 0.25, device: null },
  ])
  return { catalog, table }
}

describe('schema evolution', () => {
  it('reads old files under the new schema: renamed, dropped, added, widened and moved columns', async () => {
    const { catalog, table } = await evolvingTable()
    await table
      .updateSchema()
      .renameColumn('name', 'title')
      .deleteColumn('legacy')
      .addColumn('country', Types.string)
      .addColumn('device.version', Types.int)
      .updateColumn('count', { type: Types.long })
      .updateColumn('price', { type: Types.decimal(12, 2) })
      .updateColumn('ratio', { type: Types.double })
      .moveFirst('name') // a change names columns as they were before it, as in Java
      .commit()

    const reloaded = await catalog.loadTable('db.t')
    expect(reloaded.schema().fields.map((f) => f.name)).toEqual([
      'title',
      'id',
      'count',
      'price',
      'ratio',
      'device',
      'country',
    ])
    expect(sortBy(await scanRows(reloaded), 'id')).toEqual([
      {
        title: 'one',
        id: 1n,
        count: 10n,
        price: 150n,
        ratio: 0.5,
        device: { os: 'ios', version: null },
        country: null,
      },
      {
        title: 'two',
        id: 2n,
        count: 2147483647n,
        price: 225n,
        ratio: 0.25,
        device: null,
        country: null,
      },
    ])
    const arrow = await reloaded.scan().toArrow()
    expect(arrow.schema.fields.map((f) => f.name)).not.toContain('legacy')
    expect(String(arrow.schema.fields.find((f) => f.name === 'count')!.type)).toBe('Int64')
  })

  it('writes new rows under the new schema beside old files written under the old one', async () => {
    const { table } = await evolvingTable()
    await table.updateSchema().renameColumn('name', 'title').addColumn('country', Types.string).commit()
    await table.updateSchema().updateColumn('count', { type: Types.long }).commit()
    await table.append([{ id: 3n, count: 2n ** 40n, title: 'three', country: 'DE' }])
    const rows = sortBy(await scanRows(table, { columns: ['id', 'count', 'title', 'country'] }), 'id')
    expect(rows).toEqual([
      { id: 1n, count: 10n, title: 'one', country: null },
      { id: 2n, count: 2147483647n, title: 'two', country: null },
      { id: 3n, count: 2n ** 40n, title: 'three', country: 'DE' },
    ])
  })

  it('filters old files by a renamed column and by a widened one', async () => {
    const { table } = await evolvingTable()
    await table
      .updateSchema()
      .renameColumn('name', 'title')
      .updateColumn('count', { type: Types.long })
      .commit()
    expect(sortedColumn(await scanRows(table, { filter: eq('title', 'two') }), 'id')).toEqual([2n])
    expect(sortedColumn(await scanRows(table, { filter: gt('count', 2n ** 31n - 2n) }), 'id')).toEqual([2n])
  })

  it('deletes by a renamed column, rewriting old files under the new schema', async () => {
    const { table } = await evolvingTable()
    await table.updateSchema().renameColumn('name', 'title').deleteColumn('legacy').commit()
    await table.delete(eq('title', 'one'))
    expect(await scanRows(table, { columns: ['id', 'title'] })).toEqual([{ id: 2n, title: 'two' }])
  })

  it('reads a dropped column no more, even after a new column takes its name', async () => {
    const { table } = await evolvingTable()
    await table.updateSchema().deleteColumn('legacy').commit()
    await table.updateSchema().addColumn('legacy', Types.string).commit()
    expect(sortBy(await scanRows(table, { columns: ['id', 'legacy'] }), 'id')).toEqual([
      { id: 1n, legacy: null },
      { id: 2n, legacy: null },
    ])
  })

  it('refuses unsafe changes with a ValidationError naming the column, committing nothing', async () => {
    const { table } = await evolvingTable()
    const version = table.metadataLocation
    const files = await listFiles(tableDir(table))
    expect(() => table.updateSchema().updateColumn('count', { type: Types.string })).toThrow(ValidationError)
    expect(() => table.updateSchema().updateColumn('id', { type: Types.int })).toThrow(ValidationError)
    expect(() => table.updateSchema().addColumn('name', Types.string)).toThrow(ValidationError)
    expect(() => table.updateSchema().renameColumn('name', 'count')).toThrow(ValidationError)
    expect(() => table.updateSchema().deleteColumn('nope')).toThrow(/nope/)
    expect(table.metadataLocation).toBe(version)
    expect(await listFiles(tableDir(table))).toEqual(files)
  })

  it('keeps every schema in the metadata, and reads an old snapshot with the schema it was written with', async () => {
    const { table } = await evolvingTable()
    const first = table.currentSnapshot()!.snapshotId
    await table.updateSchema().renameColumn('name', 'title').commit()
    expect(table.metadata.schemas).toHaveLength(2)
    expect(table.schema().schemaId).toBe(1)
    const old = await scanRows(table, { snapshotId: first, columns: ['id', 'name'] })
    expect(sortBy(old, 'id')).toEqual([
      { id: 1n, name: 'one' },
      { id: 2n, name: 'two' },
    ])
  })
})
