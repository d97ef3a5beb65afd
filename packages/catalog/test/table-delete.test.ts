import { describe, expect, it } from 'vitest'
import { alwaysTrue, and, eq, gtEq, isNull, lt, notEq, notIn, notNull, or } from '../src/expr/expressions.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import { listFiles, newCatalog, scanRows, sortBy, sortedColumn, tableDir } from './helpers.js'

const schema = defineSchema({
  id: col.long().required(),
  kind: col.string(),
  amount: col.decimal(9, 2),
})

async function kindPartitioned() {
  const { catalog } = await newCatalog()
  await catalog.createNamespace('db')
  const table = await catalog.createTable('db.t', {
    schema,
    partitionBy: [{ source: 'kind', transform: 'identity' }],
  })
  await table.append([
    { id: 1n, kind: 'a', amount: '1.00' },
    { id: 2n, kind: 'a', amount: '2.00' },
    { id: 3n, kind: 'b', amount: '3.00' },
    { id: 4n, kind: 'b', amount: '4.00' },
    { id: 5n, kind: 'c', amount: null },
  ])
  return { catalog, table }
}

async function parquetFiles(table: { location: string }): Promise<string[]> {
  return (await listFiles(tableDir(table as never))).filter((f) => f.endsWith('.parquet'))
}

describe('delete', () => {
  it('drops whole partitions without rewriting any data file', async () => {
    const { table } = await kindPartitioned()
    const before = await parquetFiles(table)
    const snapshot = await table.delete(eq('kind', 'a'))
    expect(snapshot?.summary.operation).toBe('delete')
    expect(snapshot?.summary['deleted-data-files']).toBe('1')
    expect(snapshot?.summary['deleted-records']).toBe('2')
    expect(snapshot?.summary['added-data-files']).toBeUndefined()
    // No data file written; the dropped one stays on disk for older snapshots.
    expect(await parquetFiles(table)).toEqual(before)
    expect(sortedColumn(await scanRows(table), 'id')).toEqual([3n, 4n, 5n])
    const live = (await table.scan().planFiles()).tasks.map((t) => t.dataFile.partition)
    expect(live.sort()).toEqual([['b'], ['c']])
  })

  it('drops files whose metrics prove every row matches, without reading or rewriting them', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.t', { schema })
    await table.append([
      { id: 1n, kind: 'x', amount: null },
      { id: 2n, kind: 'y', amount: null },
    ])
    await table.append([{ id: 10n, kind: 'z', amount: null }])
    const before = await parquetFiles(table)
    const snapshot = await table.delete(lt('id', 5n))
    expect(snapshot?.summary.operation).toBe('delete')
    expect(await parquetFiles(table)).toEqual(before)
    expect(await scanRows(table)).toEqual([{ id: 10n, kind: 'z', amount: null }])
  })

  it('rewrites a file when only some of its rows match, keeping the others', async () => {
    const { table } = await kindPartitioned()
    const before = await parquetFiles(table)
    const snapshot = await table.delete(eq('id', 3n))
    expect(snapshot?.summary.operation).toBe('overwrite')
    expect(snapshot?.summary['deleted-data-files']).toBe('1')
    expect(snapshot?.summary['added-data-files']).toBe('1')
    expect(snapshot?.summary['deleted-records']).toBe('2')
    expect(snapshot?.summary['added-records']).toBe('1')
    expect(snapshot?.summary['total-records']).toBe('4')
    const after = await parquetFiles(table)
    const added = after.filter((f) => !before.includes(f))
    expect(added).toHaveLength(1)
    expect(added[0]).toMatch(/^data\/kind=b\//)
    expect(sortBy(await scanRows(table), 'id')).toEqual([
      { id: 1n, kind: 'a', amount: 100n },
      { id: 2n, kind: 'a', amount: 200n },
      { id: 4n, kind: 'b', amount: 400n },
      { id: 5n, kind: 'c', amount: null },
    ])
  })

  it('deletes across partitions, whole ones dropped and partial ones rewritten, in one snapshot', async () => {
    const { table } = await kindPartitioned()
    const before = await parquetFiles(table)
    const snapshots = table.snapshots().length
    await table.delete(or(eq('kind', 'a'), and(eq('kind', 'b'), gtEq('amount', '4.00'))))
    expect(table.snapshots()).toHaveLength(snapshots + 1)
    expect((await parquetFiles(table)).filter((f) => !before.includes(f))).toHaveLength(1)
    expect(sortedColumn(await scanRows(table), 'id')).toEqual([3n, 5n])
  })

  it('deletes rows with null values by isNull', async () => {
    const { table } = await kindPartitioned()
    await table.delete(isNull('amount'))
    expect(sortedColumn(await scanRows(table), 'id')).toEqual([1n, 2n, 3n, 4n])
  })

  it('deletes null rows by a negation, as Java and PyIceberg do, and keeps them with notNull', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const rows = [
      { id: 1n, kind: 'a', amount: '1.00' },
      { id: 2n, kind: null, amount: '2.00' },
      { id: 3n, kind: 'b', amount: '3.00' },
      { id: 4n, kind: null, amount: '4.00' },
    ]
    for (const partitionBy of [[], [{ source: 'kind', transform: 'identity' }] as const]) {
      const create = (name: string) =>
        catalog.createTable(`db.${name}${partitionBy.length}`, { schema, partitionBy })
      const negation = await create('negation')
      await negation.append(rows)
      await negation.delete(notEq('kind', 'a'))
      expect(sortedColumn(await scanRows(negation), 'id')).toEqual([1n])
      const sql = await create('sql')
      await sql.append(rows)
      await sql.delete(and(notEq('kind', 'a'), notNull('kind')))
      expect(sortedColumn(await scanRows(sql), 'id')).toEqual([1n, 2n, 4n])
      const set = await create('set')
      await set.append(rows)
      await set.delete(notIn('kind', ['a', 'c']))
      expect(sortedColumn(await scanRows(set), 'id')).toEqual([1n])
    }
  })

  it('commits nothing when no row matches', async () => {
    const { table } = await kindPartitioned()
    const version = table.metadataLocation
    const files = await listFiles(tableDir(table))
    expect(await table.delete(eq('kind', 'zzz'))).toBeUndefined()
    expect(await table.delete(and(eq('kind', 'a'), eq('id', 99n)))).toBeUndefined()
    expect(table.metadataLocation).toBe(version)
    expect(await listFiles(tableDir(table))).toEqual(files)
  })

  it('deletes everything with alwaysTrue, leaving an empty table', async () => {
    const { table } = await kindPartitioned()
    await table.delete(alwaysTrue())
    expect(await scanRows(table)).toEqual([])
    expect(table.currentSnapshot()?.summary['total-records']).toBe('0')
    expect(table.currentSnapshot()?.summary['total-data-files']).toBe('0')
  })

  it('keeps the deleted rows readable in the snapshot before the delete', async () => {
    const { table } = await kindPartitioned()
    const before = table.currentSnapshot()!.snapshotId
    await table.delete(notEq('kind', 'a'))
    expect(sortedColumn(await scanRows(table), 'id')).toEqual([1n, 2n])
    expect(sortedColumn(await scanRows(table, { snapshotId: before }), 'id')).toEqual([1n, 2n, 3n, 4n, 5n])
  })
})

describe('overwrite', () => {
  it('replaces the rows matching the filter with new rows in one snapshot', async () => {
    const { table } = await kindPartitioned()
    const snapshot = await table.overwrite(eq('kind', 'b'), [
      { id: 30n, kind: 'b', amount: '30.00' },
      { id: 31n, kind: 'd', amount: '31.00' },
    ])
    expect(snapshot.summary.operation).toBe('overwrite')
    expect(table.snapshots()).toHaveLength(2)
    expect(sortedColumn(await scanRows(table), 'id')).toEqual([1n, 2n, 5n, 30n, 31n])
  })

  it('rewrites partly matching files, keeping their other rows', async () => {
    const { table } = await kindPartitioned()
    await table.overwrite(eq('id', 1n), [{ id: 100n, kind: 'a', amount: '0.50' }])
    expect(sortBy(await scanRows(table, { filter: eq('kind', 'a') }), 'id')).toEqual([
      { id: 2n, kind: 'a', amount: 200n },
      { id: 100n, kind: 'a', amount: 50n },
    ])
  })

  it('adds the new rows when nothing matches', async () => {
    const { table } = await kindPartitioned()
    await table.overwrite(eq('kind', 'nope'), [{ id: 9n, kind: 'z', amount: null }])
    expect(sortedColumn(await scanRows(table), 'id')).toEqual([1n, 2n, 3n, 4n, 5n, 9n])
  })
})
