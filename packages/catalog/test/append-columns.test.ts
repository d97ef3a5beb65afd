import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CommitConflictError, ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { HadoopCatalog } from '../src/catalog/hadoop-catalog.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import { Types } from '../src/spec/types.js'
import type { Table } from '../src/table/table.js'
import { type ColumnBatch, ColumnBuilder } from '../src/writer/column-batch.js'
import { TypedColumnBuilder } from '../src/writer/typed-column.js'
import { listFiles, scanRows, sortBy, tableDir, tempDir } from './helpers.js'

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

describe('appendColumns with typed batches', () => {
  const events = defineSchema({
    id: col.long().required(),
    ts: col.timestamptz(),
    kind: col.string(),
    qty: col.int(),
    price: col.decimal(10, 2),
    ok: col.boolean(),
    ratio: col.float(),
    tags: col.list(col.string()),
  })
  const inputs = Array.from({ length: 3000 }, (_, i) => ({
    id: i * 7 - 9000,
    ts: i % 17 === 0 ? null : `2024-01-0${1 + (i % 4)}T${String(i % 24).padStart(2, '0')}:00:00Z`,
    kind: i % 11 === 0 ? null : ['view', 'click', 'buy'][i % 3],
    qty: i % 5 === 0 ? null : i % 23,
    price: `${i % 1000}.${i % 100}`,
    ok: i % 3 === 0,
    ratio: i % 7 === 0 ? null : (i % 50) / 8,
    tags: i % 4 === 0 ? null : [`t${i % 6}`],
  }))
  const properties = {
    'write.parquet.page-size-bytes': '1024',
    'write.parquet.row-group-limit': '300',
    'write.target-file-size-bytes': '4000',
  }

  /** Two tables of one spec, one appended typed batches and one the same rows untyped. */
  async function appendBoth(partitionBy: { source: string; transform: string }[]) {
    const catalog = new HadoopCatalog({ warehouse: await tempDir() })
    await catalog.createNamespace('db')
    const tables: Table[] = []
    for (const [name, typed] of [
      ['typed', true],
      ['plain', false],
    ] as const) {
      const table = await catalog.createTable(`db.${name}`, { schema: events, partitionBy, properties })
      const builder = new ColumnBuilder(table.schema(), { typed })
      const batches: ColumnBatch[] = []
      inputs.forEach((input, i) => {
        builder.add(input)
        if (i % 1000 === 999) batches.push(builder.take())
      })
      await table.appendColumns(batches, { schemaId: builder.schemaId })
      tables.push(await catalog.loadTable(`db.${name}`))
    }
    return tables as [Table, Table]
  }

  /** A table's data files by partition and count (their operation's UUID left out), with their bytes. */
  async function dataFiles(table: Table): Promise<[string, Buffer][]> {
    const files = (await listFiles(tableDir(table))).filter(
      (f) => f.startsWith('data/') && f.endsWith('.parquet'),
    )
    return Promise.all(
      files.map(async (f) => [f.replace(/-[0-9a-f-]{36}-/, '-'), await readFile(join(tableDir(table), f))]),
    )
  }

  for (const partitionBy of [
    [],
    [
      { source: 'kind', transform: 'identity' },
      { source: 'id', transform: 'bucket[3]' },
      { source: 'ts', transform: 'day' },
    ],
  ]) {
    const what =
      partitionBy.length === 0 ? 'an unpartitioned table' : 'a table partitioned by identity, bucket and day'
    it(`writes the same data files from typed batches as from untyped ones, in ${what}`, async () => {
      const [typed, plain] = await appendBoth(partitionBy)
      const typedFiles = await dataFiles(typed)
      const plainFiles = await dataFiles(plain)
      expect(typedFiles.length).toBeGreaterThan(partitionBy.length === 0 ? 2 : 20)
      expect(typedFiles.map(([name]) => name)).toEqual(plainFiles.map(([name]) => name))
      for (const [i, [name, bytes]] of typedFiles.entries())
        expect(bytes.equals(plainFiles[i]![1]), name).toBe(true)
      const rows = sortBy(await scanRows(typed), 'id')
      expect(rows).toEqual(sortBy(await scanRows(plain), 'id'))
      expect(rows).toHaveLength(inputs.length)
      expect(rows[1]).toMatchObject({
        id: -8993n,
        kind: 'click',
        qty: 1,
        price: 110n,
        ok: false,
        tags: ['t1'],
      })
    })
  }

  it("refuses a typed column whose layout is not its field's, naming the field and writing nothing", async () => {
    const { table } = await setup()
    const ints = new TypedColumnBuilder('int32')
    ints.setNumber(0, 1)
    const batch = { rowCount: 1, columns: [ints.take(), [null], [null]] }
    const error = await table
      .appendColumns([batch], { schemaId: table.schema().schemaId })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).message).toMatch(
      /Field 'id': the typed column holds int32 values, not int64/,
    )
    expect((error as ValidationError).context).toMatchObject({ field: 'id' })
    expect((await listFiles(tableDir(table))).filter((f) => f.endsWith('.parquet'))).toEqual([])
  })
})
