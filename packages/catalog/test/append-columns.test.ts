import { CommitConflictError, ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { HadoopCatalog } from '../src/catalog/hadoop-catalog.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import { Types } from '../src/spec/types.js'
import { ColumnBuilder } from '../src/writer/column-batch.js'
import { listFiles, scanRows, tableDir, tempDir } from './helpers.js'

const schema = defineSchema({
  id: col.long().required(),
  price: col.decimal(9, 2),
  at: col.timestamptz(),
})

async function setup() {
  const catalog = new HadoopCatalog({ warehouse: await tempDir() })
  await catalog.createNamespace('db')
  const table = await catalog.createTable('db.t', { schema })
  return { catalog, table }
}

describe('ColumnBuilder', () => {
  it('validates rows into columns by the rules of append', () => {
    const builder = new ColumnBuilder(schema.schema)
    builder.add({ id: 1, price: '2.50', at: '2024-01-05T13:00:00Z' })
    builder.add({ id: 2n })
    expect(builder.take()).toEqual({
      rowCount: 2,
      columns: [
        [1n, 2n],
        [250n, null],
        [1704459600000000n, null],
      ],
    })
    expect(builder.rowCount).toBe(0)
  })

  it('adds rows of internal values as they are, after validated ones, from any start', () => {
    const builder = new ColumnBuilder(schema.schema)
    builder.add({ id: 1, price: '2.50' })
    builder.addValues([0, null, null, 7n, 9n, 1704459600000000n], 3)
    builder.addValues([3n, null, null])
    expect(builder.take()).toEqual({
      rowCount: 3,
      columns: [
        [1n, 7n, 3n],
        [250n, 9n, null],
        [null, 1704459600000000n, null],
      ],
    })
    expect(() => builder.addValues([1n, null], 0)).toThrow(ValidationError)
    expect(() => builder.addValues([1n, null, null], 1)).toThrow(ValidationError)
    expect(builder.rowCount).toBe(0)
  })

  it('leaves nothing of a refused row, and truncate drops rows already added', () => {
    const builder = new ColumnBuilder(schema.schema)
    builder.add({ id: 1 })
    builder.add({ id: 2 })
    // The id is coerced before the price fails: it must not stay behind.
    expect(() => builder.add({ id: 3, price: 'cheap' })).toThrow(ValidationError)
    expect(() => builder.add({ id: 4, other: 1 })).toThrow(/other/)
    builder.truncate(1)
    builder.add({ id: 5 })
    expect(builder.take().columns).toEqual([
      [1n, 5n],
      [null, null],
      [null, null],
    ])
  })
})

describe('appendColumns', () => {
  it('appends validated batches with summary properties as one snapshot', async () => {
    const { catalog, table } = await setup()
    const builder = new ColumnBuilder(table.schema())
    builder.add({ id: 1, price: '1.00' })
    const first = builder.take()
    builder.add({ id: 2 })
    builder.add({ id: 3, price: 3 })
    const snapshot = await table.appendColumns([first, builder.take()], {
      schemaId: builder.schemaId,
      summary: () => ({ 'app.offset': '3' }),
    })
    expect(snapshot.summary['added-records']).toBe('3')
    expect(snapshot.summary['app.offset']).toBe('3')
    const rows = await scanRows(await catalog.loadTable('db.t'))
    expect(rows.map((r) => r.id)).toEqual([1n, 2n, 3n])
  })

  it('refuses batches validated against a schema that is no longer current, writing nothing', async () => {
    const { catalog, table } = await setup()
    const builder = new ColumnBuilder(table.schema())
    builder.add({ id: 1 })
    const stale = await catalog.loadTable('db.t')
    const update = table.updateSchema()
    update.addColumn('note', Types.string)
    await update.commit()
    // Before writing, against the table's metadata as loaded:
    await expect(
      table.appendColumns([builder.take()], { schemaId: builder.schemaId }),
    ).rejects.toBeInstanceOf(CommitConflictError)
    // and on the commit attempt's fresh base, when the change came after the rows were written.
    builder.add({ id: 2 })
    const error = await stale
      .appendColumns([builder.take()], { schemaId: builder.schemaId })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommitConflictError)
    expect((error as CommitConflictError).retryable).toBe(false)
    const reloaded = await catalog.loadTable('db.t')
    expect(reloaded.snapshots()).toHaveLength(0)
    expect((await listFiles(tableDir(reloaded))).filter((f) => f.endsWith('.parquet'))).toEqual([])
  })

  it('refuses a batch whose columns do not match the schema', async () => {
    const { table } = await setup()
    await expect(
      table.appendColumns([{ rowCount: 1, columns: [[1n]] }], { schemaId: table.schema().schemaId }),
    ).rejects.toBeInstanceOf(ValidationError)
  })
})
