import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AlreadyExistsError, NotFoundError, ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { HadoopCatalog } from '../src/catalog/hadoop-catalog.js'
import { eq } from '../src/expr/expressions.js'
import { toPath } from '../src/io/local.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import {
  FaultyFileIO,
  listFiles,
  newCatalog,
  scanRows,
  sortBy,
  sortedColumn,
  tableDir,
  versionHint,
} from './helpers.js'

const schema = defineSchema({
  id: col.long().required(),
  kind: col.string(),
  ts: col.timestamptz(),
})

const day = (d: number) => new Date(Date.UTC(2026, 0, 1 + d, 12))

function rows(from: number, count: number, kind = 'view') {
  return Array.from({ length: count }, (_, i) => ({ id: BigInt(from + i), kind, ts: day(i % 3) }))
}

describe('HadoopCatalog namespaces', () => {
  it('creates, lists and finds namespaces, nested ones under their parent', async () => {
    const { catalog, warehouse } = await newCatalog()
    await catalog.createNamespace('analytics')
    await catalog.createNamespace(['analytics', 'web'])
    await catalog.createNamespace('analytics.app')
    await catalog.createNamespace('ops')

    expect(await catalog.listNamespaces()).toEqual([['analytics'], ['ops']])
    expect(await catalog.listNamespaces('analytics')).toEqual([
      ['analytics', 'app'],
      ['analytics', 'web'],
    ])
    expect(await catalog.namespaceExists('analytics.web')).toBe(true)
    expect(await catalog.namespaceExists('analytics.nope')).toBe(false)
    expect(await catalog.namespaceExists('nope')).toBe(false)
    expect(await catalog.loadNamespaceProperties('analytics.web')).toEqual({
      location: `file:${join(warehouse, 'analytics', 'web')}`,
    })
  })

  it('keeps names with percent signs and spaces as they are, on disk and in listings', async () => {
    const { catalog, warehouse } = await newCatalog()
    await catalog.createNamespace('x%41')
    const table = await catalog.createTable(['x%41', 'a b%2Fc'], { schema })
    await table.append(rows(0, 2))
    expect(await listFiles(warehouse)).toContain('x%41/a b%2Fc/metadata/version-hint.text')
    expect(await catalog.listNamespaces()).toEqual([['x%41']])
    expect(await catalog.listTables('x%41')).toEqual([{ namespace: ['x%41'], name: 'a b%2Fc' }])
    expect(table.location).toBe(`file:${join(warehouse, 'x%41', 'a b%2Fc')}`)
    expect(await scanRows(await catalog.loadTable(['x%41', 'a b%2Fc']))).toHaveLength(2)
  })

  it('lists no namespaces in an empty warehouse', async () => {
    const { catalog } = await newCatalog()
    expect(await catalog.listNamespaces()).toEqual([])
  })

  it('refuses to create a namespace twice', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    await expect(catalog.createNamespace('db')).rejects.toBeInstanceOf(AlreadyExistsError)
  })

  it('does not list tables as namespaces, nor namespaces as tables', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    await catalog.createNamespace('db.inner')
    await catalog.createTable('db.events', { schema })
    expect(await catalog.listNamespaces('db')).toEqual([['db', 'inner']])
    expect(await catalog.listTables('db')).toEqual([{ namespace: ['db'], name: 'events' }])
    expect(await catalog.namespaceExists('db.events')).toBe(false)
    expect(await catalog.tableExists('db.inner')).toBe(false)
  })

  it('drops an empty namespace', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    await catalog.dropNamespace('db')
    expect(await catalog.namespaceExists('db')).toBe(false)
    expect(await catalog.listNamespaces()).toEqual([])
  })

  it('refuses to drop a namespace that holds a table or a namespace, and keeps it', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    await catalog.createTable('db.events', { schema })
    await expect(catalog.dropNamespace('db')).rejects.toBeInstanceOf(ValidationError)
    expect(await catalog.tableExists('db.events')).toBe(true)

    await catalog.createNamespace('outer.inner')
    await expect(catalog.dropNamespace('outer')).rejects.toBeInstanceOf(ValidationError)
    expect(await catalog.namespaceExists('outer.inner')).toBe(true)
  })

  it('reports a missing namespace as NotFoundError on list, load and drop', async () => {
    const { catalog } = await newCatalog()
    await expect(catalog.listNamespaces('nope')).rejects.toBeInstanceOf(NotFoundError)
    await expect(catalog.listTables('nope')).rejects.toBeInstanceOf(NotFoundError)
    await expect(catalog.loadNamespaceProperties('nope')).rejects.toBeInstanceOf(NotFoundError)
    await expect(catalog.dropNamespace('nope')).rejects.toBeInstanceOf(NotFoundError)
  })
})

describe('HadoopCatalog tables', () => {
  it('creates a table that loads back with the same schema, spec and properties', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const created = await catalog.createTable('db.events', {
      schema,
      partitionBy: [{ source: 'ts', transform: 'day' }],
      properties: { owner: 'lake' },
    })
    const loaded = await catalog.loadTable('db.events')
    expect(loaded.metadata.tableUuid).toBe(created.metadata.tableUuid)
    expect(loaded.schema().fields.map((f) => f.name)).toEqual(['id', 'kind', 'ts'])
    expect(loaded.spec().fields.map((f) => f.name)).toEqual(['ts_day'])
    expect(loaded.properties.owner).toBe('lake')
    expect(loaded.currentSnapshot()).toBeUndefined()
    expect(await scanRows(loaded)).toEqual([])
  })

  it('reloads an unchanged table without reading its metadata file again, and reads a version file written anew', async () => {
    const io = new FaultyFileIO()
    const reads: string[] = []
    io.faults.read = (location) => {
      if (location.includes('/metadata/')) reads.push(location.slice(location.lastIndexOf('/') + 1))
      return io.inner.read(location)
    }
    const { catalog, warehouse } = await newCatalog({ io })
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', { schema })
    await table.append(rows(0, 3))
    // The catalog that committed v2 reads back neither it nor the hint: it starts from the
    // version it wrote, and the next commit reuses the manifest list it wrote too.
    reads.length = 0
    const loaded = await catalog.loadTable('db.events')
    await loaded.refresh()
    await table.refresh()
    await table.append(rows(3, 1))
    expect(reads).toEqual([])
    // Another catalog reads the hint and v3 once, then v3 no more.
    const other = new HadoopCatalog({ warehouse, io })
    const seen = await other.loadTable('db.events')
    await seen.refresh()
    expect(reads).toEqual(['version-hint.text', 'v3.metadata.json'])
    expect(seen.currentSnapshot()?.snapshotId).toBe(table.currentSnapshot()?.snapshotId)
    expect(await scanRows(seen)).toHaveLength(4)

    // Dropped and created again by the other catalog, the table's v1 to v3 are other files at
    // the same locations.
    await other.dropTable('db.events')
    const again = await other.createTable('db.events', { schema })
    await again.append(rows(10, 2))
    await again.append(rows(12, 1))
    reads.length = 0
    await table.refresh()
    expect(reads.filter((f) => f.endsWith('.metadata.json'))).toEqual(['v3.metadata.json'])
    expect(table.metadata.tableUuid).toBe(again.metadata.tableUuid)
    expect(sortedColumn(await scanRows(table), 'id')).toEqual([10n, 11n, 12n])
    // Dropped again, with fewer versions: the version remembered is gone, and the hint decides.
    await other.dropTable('db.events')
    const third = await other.createTable('db.events', { schema })
    reads.length = 0
    await table.refresh()
    expect(reads).toEqual(['version-hint.text', 'v1.metadata.json'])
    expect(table.metadata.tableUuid).toBe(third.metadata.tableUuid)
    expect(table.currentSnapshot()).toBeUndefined()
  })

  it('refuses to create a table that exists or whose namespace does not', async () => {
    const { catalog } = await newCatalog()
    await expect(catalog.createTable('db.events', { schema })).rejects.toBeInstanceOf(NotFoundError)
    await catalog.createNamespace('db')
    await catalog.createTable('db.events', { schema })
    await expect(catalog.createTable('db.events', { schema })).rejects.toBeInstanceOf(AlreadyExistsError)
  })

  it('answers tableExists, listTables and loadTable for present and absent tables', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    await catalog.createTable('db.a', { schema })
    await catalog.createTable(['db', 'b'], { schema })
    expect(await catalog.tableExists('db.a')).toBe(true)
    expect(await catalog.tableExists({ namespace: ['db'], name: 'b' })).toBe(true)
    expect(await catalog.tableExists('db.c')).toBe(false)
    expect(await catalog.listTables('db')).toEqual([
      { namespace: ['db'], name: 'a' },
      { namespace: ['db'], name: 'b' },
    ])
    await expect(catalog.loadTable('db.c')).rejects.toBeInstanceOf(NotFoundError)
  })

  it('drops a table without purge: gone from the catalog, its directory removed', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', { schema })
    await table.append(rows(0, 10))
    await catalog.dropTable('db.events')
    expect(await catalog.tableExists('db.events')).toBe(false)
    expect(await catalog.listTables('db')).toEqual([])
    await expect(catalog.loadTable('db.events')).rejects.toBeInstanceOf(NotFoundError)
    expect(await listFiles(tableDir(table))).toEqual([])
    await expect(catalog.dropTable('db.events')).rejects.toBeInstanceOf(NotFoundError)
  })

  it('drops a table with purge: every file its metadata referenced is deleted', async () => {
    const { catalog, warehouse } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', { schema })
    await table.append(rows(0, 10))
    await table.append(rows(10, 10))
    await table.delete(eq('id', 3)) // rewrites one file
    const referenced = await table.referencedFiles()
    expect(referenced.filter((f) => f.endsWith('.parquet')).length).toBeGreaterThanOrEqual(3)
    expect(referenced.some((f) => f.includes('/snap-'))).toBe(true)
    await catalog.dropTable('db.events', { purge: true })
    for (const file of referenced) expect(await listFiles(toPath(file))).toEqual([])
    expect(await listFiles(warehouse)).toEqual([])
  })

  it('renames a table: the old name is gone and the new one reads the same rows and snapshots', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    await catalog.createNamespace('archive')
    const table = await catalog.createTable('db.events', {
      schema,
      partitionBy: [{ source: 'ts', transform: 'day' }],
    })
    await table.append(rows(0, 10))
    await table.append(rows(10, 5))
    const before = sortBy(await scanRows(table), 'id')
    const snapshots = table.snapshots().map((s) => s.snapshotId)

    await catalog.renameTable('db.events', 'archive.events_2026')

    expect(await catalog.tableExists('db.events')).toBe(false)
    await expect(catalog.loadTable('db.events')).rejects.toBeInstanceOf(NotFoundError)
    expect(await catalog.listTables('db')).toEqual([])
    expect(await catalog.listNamespaces('db')).toEqual([])
    const renamed = await catalog.loadTable('archive.events_2026')
    expect(renamed.metadata.tableUuid).toBe(table.metadata.tableUuid)
    expect(renamed.snapshots().map((s) => s.snapshotId)).toEqual(snapshots)
    expect(sortBy(await scanRows(renamed), 'id')).toEqual(before)
    expect(sortBy(await scanRows(renamed, { snapshotId: snapshots[0]! }), 'id')).toEqual(before.slice(0, 10))
  })

  it('writes appends after a rename under the new location', async () => {
    const { catalog, warehouse } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', { schema })
    await table.append(rows(0, 3))
    await catalog.renameTable('db.events', 'db.renamed')
    const renamed = await catalog.loadTable('db.renamed')
    expect(renamed.location).toBe(`file:${join(warehouse, 'db', 'renamed')}`)
    const before = new Set(await listFiles(join(warehouse, 'db', 'renamed')))
    await renamed.append(rows(100, 2))
    const added = (await listFiles(join(warehouse, 'db', 'renamed'))).filter((f) => !before.has(f))
    expect(added.filter((f) => f.startsWith('data/') && f.endsWith('.parquet'))).toHaveLength(1)
    expect(added.filter((f) => /^metadata\/snap-.*\.avro$/.test(f))).toHaveLength(1)
    const live = (await renamed.scan().planFiles()).tasks.map((t) => t.dataFile.filePath)
    expect(live.filter((f) => f.startsWith(renamed.location))).toHaveLength(1)
    expect(sortedColumn(await scanRows(renamed), 'id')).toEqual([0n, 1n, 2n, 100n, 101n])
  })

  it('refuses to rename onto an existing table or into a missing namespace, changing nothing', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    await catalog.createTable('db.a', { schema })
    await catalog.createTable('db.b', { schema })
    await expect(catalog.renameTable('db.a', 'db.b')).rejects.toBeInstanceOf(AlreadyExistsError)
    await expect(catalog.renameTable('db.a', 'nope.a')).rejects.toBeInstanceOf(NotFoundError)
    await expect(catalog.renameTable('db.missing', 'db.c')).rejects.toBeInstanceOf(NotFoundError)
    expect(await catalog.listTables('db')).toEqual([
      { namespace: ['db'], name: 'a' },
      { namespace: ['db'], name: 'b' },
    ])
  })

  it('refuses a new table where a renamed table still keeps its files, so no drop can delete them', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', { schema })
    await table.append(rows(0, 4))
    await catalog.renameTable('db.events', 'db.moved')
    await expect(catalog.createTable('db.events', { schema })).rejects.toBeInstanceOf(AlreadyExistsError)
    await expect(catalog.renameTable('db.moved', 'db.events')).rejects.toBeInstanceOf(AlreadyExistsError)
    await expect(catalog.dropNamespace('db')).rejects.toBeInstanceOf(ValidationError)
    const moved = await catalog.loadTable('db.moved')
    expect(sortedColumn(await scanRows(moved), 'id')).toEqual([0n, 1n, 2n, 3n])
  })

  it('purges a renamed table’s files at its old location too', async () => {
    const { catalog, warehouse } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', { schema })
    await table.append(rows(0, 4))
    await catalog.renameTable('db.events', 'db.moved')
    const moved = await catalog.loadTable('db.moved')
    await moved.append(rows(4, 4))
    await catalog.dropTable('db.moved', { purge: true })
    expect(await listFiles(warehouse)).toEqual([])
    expect(await catalog.listNamespaces('db')).toEqual([])
    expect(await catalog.listTables('db')).toEqual([])
    await catalog.dropNamespace('db')
  })
})

describe('HadoopCatalog on-disk layout', () => {
  it('lays a table out as Iceberg Java does: vN.metadata.json, version-hint.text, avro manifests, partition directories', async () => {
    const { catalog, warehouse } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', {
      schema,
      partitionBy: [
        { source: 'kind', transform: 'identity' },
        { source: 'ts', transform: 'day' },
      ],
    })
    expect(await listFiles(join(warehouse, 'db', 'events'))).toEqual([
      'metadata/v1.metadata.json',
      'metadata/version-hint.text',
    ])
    expect(await versionHint(table)).toBe('1')

    await table.append([
      { id: 1n, kind: 'view', ts: day(0) },
      { id: 2n, kind: 'click', ts: day(1) },
    ])
    const files = await listFiles(join(warehouse, 'db', 'events'))
    const snapshot = table.currentSnapshot()!
    expect(files.filter((f) => f.startsWith('metadata/') && f.endsWith('.json'))).toEqual([
      'metadata/v1.metadata.json',
      'metadata/v2.metadata.json',
    ])
    expect(await versionHint(table)).toBe('2')
    const manifestLists = files.filter((f) => f.startsWith('metadata/snap-'))
    expect(manifestLists).toHaveLength(1)
    expect(manifestLists[0]).toMatch(
      new RegExp(`^metadata/snap-${snapshot.snapshotId}-1-[0-9a-f-]{36}\\.avro$`),
    )
    expect(files.filter((f) => /^metadata\/[0-9a-f-]{36}-m\d+\.avro$/.test(f))).toHaveLength(1)
    const data = files.filter((f) => f.startsWith('data/'))
    expect(data).toHaveLength(2)
    expect(data[0]).toMatch(/^data\/kind=click\/ts_day=2026-01-02\/00000-0-[0-9a-f-]{36}-\d{5}\.parquet$/)
    expect(data[1]).toMatch(/^data\/kind=view\/ts_day=2026-01-01\/00000-0-[0-9a-f-]{36}-\d{5}\.parquet$/)
    expect(files.filter((f) => !f.startsWith('data/') && !f.startsWith('metadata/'))).toEqual([])
    expect(files.filter((f) => f.endsWith('.tmp') || f.split('/').pop()!.startsWith('.'))).toEqual([])

    const metadata = JSON.parse(await readFile(join(tableDir(table), 'metadata', 'v2.metadata.json'), 'utf8'))
    expect(metadata['format-version']).toBe(2)
    expect(metadata.location).toBe(`file:${join(warehouse, 'db', 'events')}`)
    expect(metadata['current-snapshot-id']).toBe(Number(snapshot.snapshotId))
    expect(metadata['metadata-log'].map((e: { 'metadata-file': string }) => e['metadata-file'])).toEqual([
      `file:${join(warehouse, 'db', 'events', 'metadata', 'v1.metadata.json')}`,
    ])
  })

  it('finds the newest version when the version hint is stale', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', { schema })
    await table.append(rows(0, 2))
    await table.append(rows(2, 2))
    await writeFile(join(tableDir(table), 'metadata', 'version-hint.text'), '1')
    const loaded = await catalog.loadTable('db.events')
    expect(loaded.metadataLocation.endsWith('/v3.metadata.json')).toBe(true)
    expect(loaded.currentSnapshot()?.snapshotId).toBe(table.currentSnapshot()?.snapshotId)
    expect(await scanRows(loaded)).toHaveLength(4)
  })

  it('finds the newest version when the version hint is missing or unreadable', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', { schema })
    await table.append(rows(0, 2))
    await table.append(rows(2, 2))
    const hint = join(tableDir(table), 'metadata', 'version-hint.text')
    await rm(hint)
    expect((await catalog.loadTable('db.events')).metadataLocation.endsWith('/v3.metadata.json')).toBe(true)
    expect(await catalog.tableExists('db.events')).toBe(true)
    await writeFile(hint, 'garbage')
    expect((await catalog.loadTable('db.events')).metadataLocation.endsWith('/v3.metadata.json')).toBe(true)
  })

  it('finds the newest version when the version hint names a version that is missing', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', { schema })
    await table.append(rows(0, 2))
    await writeFile(join(tableDir(table), 'metadata', 'version-hint.text'), '9')
    const loaded = await catalog.loadTable('db.events')
    expect(loaded.metadataLocation.endsWith('/v2.metadata.json')).toBe(true)
    expect(await scanRows(loaded)).toHaveLength(2)
  })

  it('commits the next version after the newest one when the hint lags behind', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', { schema })
    await table.append(rows(0, 2))
    await writeFile(join(tableDir(table), 'metadata', 'version-hint.text'), '1')
    const stale = await catalog.loadTable('db.events')
    await stale.append(rows(2, 2))
    expect(stale.metadataLocation.endsWith('/v3.metadata.json')).toBe(true)
    expect(await versionHint(stale)).toBe('3')
    expect(await scanRows(await catalog.loadTable('db.events'))).toHaveLength(4)
  })
})
