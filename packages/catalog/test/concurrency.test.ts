import { join } from 'node:path'
import { AlreadyExistsError, CommitConflictError, CommitStateUnknownError, StorageError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { HadoopCatalog } from '../src/catalog/hadoop-catalog.js'
import { eq } from '../src/expr/expressions.js'
import { toPath } from '../src/io/local.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import { Types } from '../src/spec/types.js'
import type { Table } from '../src/table/table.js'
import { FaultyFileIO, listFiles, scanRows, sortedColumn, tableDir, tempDir, versionHint } from './helpers.js'

const schema = defineSchema({ id: col.long().required(), kind: col.string() })

/** Fast retries, so that tests of the commit loop do not wait for Java's defaults. */
const fastRetries = { 'commit.retry.min-wait-ms': '1', 'commit.retry.max-wait-ms': '20' }

async function setup(properties: Record<string, string> = {}) {
  const warehouse = await tempDir()
  const counters = new Map<string, number>()
  const hooks = {
    counter: (name: string, value = 1) => counters.set(name, (counters.get(name) ?? 0) + value),
  }
  const io = new FaultyFileIO()
  const catalog = new HadoopCatalog({ warehouse, io, hooks })
  await catalog.createNamespace('db')
  const table = await catalog.createTable('db.t', { schema, properties })
  return { warehouse, catalog, table, io, counters }
}

/** What a failed commit must leave: the same files, version and hint, and the same rows. */
async function snapshotState(catalog: HadoopCatalog, table: Table) {
  const loaded = await catalog.loadTable(table.identifier)
  return {
    files: await listFiles(tableDir(table)),
    metadataLocation: loaded.metadataLocation,
    hint: await versionHint(table),
    rows: sortedColumn(await scanRows(loaded), 'id'),
  }
}

describe('concurrent commits', () => {
  it('lands every one of N appends racing from separately loaded tables with the default retries', async () => {
    const { catalog } = await setup()
    const writers = await Promise.all(Array.from({ length: 5 }, () => catalog.loadTable('db.t')))
    await Promise.all(
      writers.map((table, w) =>
        table.append(Array.from({ length: 10 }, (_, i) => ({ id: BigInt(w * 100 + i), kind: `w${w}` }))),
      ),
    )
    const table = await catalog.loadTable('db.t')
    expect(table.snapshots()).toHaveLength(5)
    expect(await scanRows(table)).toHaveLength(50)
    expect(table.currentSnapshot()!.summary['total-records']).toBe('50')
    expect(table.snapshots().map((s) => s.sequenceNumber)).toEqual([1n, 2n, 3n, 4n, 5n])
    // One linear history: each snapshot's parent is the one before it.
    expect(
      table
        .snapshots()
        .slice(1)
        .map((s) => s.parentSnapshotId),
    ).toEqual(
      table
        .snapshots()
        .slice(0, -1)
        .map((s) => s.snapshotId),
    )
    // No leftovers of the attempts that lost: only what the table references, and the hint.
    const referenced = new Set((await table.referencedFiles()).map((f) => toPath(f)))
    const onDisk = (await listFiles(tableDir(table))).map((f) => join(tableDir(table), f))
    expect(onDisk.filter((f) => !referenced.has(f) && !f.endsWith('version-hint.text'))).toEqual([])
  })

  it('lands many racing appends, deletes and property changes when retries allow', async () => {
    const { catalog } = await setup({ ...fastRetries, 'commit.retry.num-retries': '30' })
    await (await catalog.loadTable('db.t')).append([{ id: 1000n, kind: 'doomed' }])
    const writers = await Promise.all(Array.from({ length: 12 }, () => catalog.loadTable('db.t')))
    await Promise.all([
      ...writers.map((table, w) => table.append([{ id: BigInt(w), kind: `w${w}` }])),
      (await catalog.loadTable('db.t')).delete(eq('kind', 'doomed')),
      (await catalog.loadTable('db.t')).updateProperties({ owner: 'lake' }),
    ])
    const table = await catalog.loadTable('db.t')
    expect(sortedColumn(await scanRows(table), 'id')).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i)))
    expect(table.snapshots()).toHaveLength(14)
    expect(table.properties.owner).toBe('lake')
    expect(table.metadataLocation).toMatch(/\/v16\.metadata\.json$/)
  })

  it('retries an append that lost the race on top of the winner, counting the conflict', async () => {
    const { catalog, counters } = await setup(fastRetries)
    const a = await catalog.loadTable('db.t')
    const b = await catalog.loadTable('db.t')
    const winner = await a.append([{ id: 1n, kind: 'a' }])
    const loser = await b.append([{ id: 2n, kind: 'b' }])
    expect(loser.parentSnapshotId).toBe(winner.snapshotId)
    expect(counters.get('lake.catalog.commit_conflicts')).toBe(1)
    expect(sortedColumn(await scanRows(b), 'id')).toEqual([1n, 2n])
  })

  it('re-plans a delete that lost the race, so rows the winner added are judged too', async () => {
    const { catalog } = await setup(fastRetries)
    const first = await catalog.loadTable('db.t')
    await first.append([
      { id: 1n, kind: 'a' },
      { id: 2n, kind: 'b' },
    ])
    const deleter = await catalog.loadTable('db.t')
    const appender = await catalog.loadTable('db.t')
    await appender.append([
      { id: 3n, kind: 'a' },
      { id: 4n, kind: 'c' },
    ])
    await deleter.delete(eq('kind', 'a'))
    expect(sortedColumn(await scanRows(await catalog.loadTable('db.t')), 'id')).toEqual([2n, 4n])
  })

  it('refuses a schema change made against a schema another writer changed first', async () => {
    const { catalog } = await setup({ ...fastRetries, 'commit.retry.num-retries': '2' })
    const a = await catalog.loadTable('db.t')
    const b = await catalog.loadTable('db.t')
    await a.updateSchema().addColumn('x', Types.string).commit()
    await expect(b.updateSchema().addColumn('y', Types.string).commit()).rejects.toBeInstanceOf(
      CommitConflictError,
    )
    const table = await catalog.loadTable('db.t')
    expect(table.schema().fields.map((f) => f.name)).toEqual(['id', 'kind', 'x'])
  })

  it('applies a schema change over a concurrent append, which does not conflict with it', async () => {
    const { catalog } = await setup(fastRetries)
    const a = await catalog.loadTable('db.t')
    const b = await catalog.loadTable('db.t')
    await a.append([{ id: 1n, kind: 'a' }])
    await b.updateSchema().addColumn('x', Types.string).commit()
    const table = await catalog.loadTable('db.t')
    expect(table.schema().fields.map((f) => f.name)).toEqual(['id', 'kind', 'x'])
    expect(await scanRows(table)).toEqual([{ id: 1n, kind: 'a', x: null }])
  })
})

describe('racing catalog operations', () => {
  it('creates a table once when two writers race to create it; the other gets AlreadyExistsError', async () => {
    const warehouse = await tempDir()
    const catalogs = Array.from({ length: 4 }, () => new HadoopCatalog({ warehouse }))
    await catalogs[0]!.createNamespace('db')
    const results = await Promise.allSettled(catalogs.map((c) => c.createTable('db.t', { schema })))
    const created = results.filter((r) => r.status === 'fulfilled')
    expect(created).toHaveLength(1)
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AlreadyExistsError)
    const table = await catalogs[1]!.loadTable('db.t')
    expect(table.metadata.tableUuid).toBe(
      (created[0] as PromiseFulfilledResult<Table>).value.metadata.tableUuid,
    )
    expect(await listFiles(tableDir(table))).toEqual([
      'metadata/v1.metadata.json',
      'metadata/version-hint.text',
    ])
  })
})

describe('failed commits', () => {
  it('leaves the table at its previous version and removes its files when the rename fails', async () => {
    const { catalog, table, io } = await setup(fastRetries)
    await table.append([{ id: 1n, kind: 'a' }])
    const before = await snapshotState(catalog, table)
    io.faults.renameIfAbsent = async () => {
      throw new StorageError('disk on fire')
    }
    await expect(table.append([{ id: 2n, kind: 'b' }])).rejects.toThrow('disk on fire')
    await expect(table.delete(eq('kind', 'a'))).rejects.toThrow('disk on fire')
    await expect(table.overwrite(eq('id', 1n), [{ id: 3n, kind: 'c' }])).rejects.toThrow('disk on fire')
    delete io.faults.renameIfAbsent
    expect(await snapshotState(catalog, table)).toEqual(before)
    expect(table.metadataLocation).toBe(before.metadataLocation)
  })

  it('keeps only the winning attempt’s files when a transient rename failure is retried', async () => {
    const { catalog, table, io } = await setup(fastRetries)
    let failures = 2
    io.faults.renameIfAbsent = async (from, to) => {
      if (failures-- > 0) throw new StorageError('busy', { retryable: true })
      return io.inner.renameIfAbsent(from, to)
    }
    await table.append([{ id: 1n, kind: 'a' }])
    delete io.faults.renameIfAbsent
    const loaded = await catalog.loadTable('db.t')
    expect(loaded.snapshots()).toHaveLength(1)
    const referenced = new Set((await loaded.referencedFiles()).map((f) => toPath(f)))
    const onDisk = (await listFiles(tableDir(table))).map((f) => join(tableDir(table), f))
    expect(onDisk.filter((f) => !referenced.has(f) && !f.endsWith('version-hint.text'))).toEqual([])
    expect(await scanRows(loaded)).toEqual([{ id: 1n, kind: 'a' }])
  })

  it('gives up as a CommitConflictError when a rival wins every attempt, removing only its own files', async () => {
    const { catalog, warehouse, table, io } = await setup({ ...fastRetries, 'commit.retry.num-retries': '2' })
    await table.append([{ id: 1n, kind: 'a' }])
    const rival = await new HadoopCatalog({ warehouse }).loadTable('db.t')
    let rivalCommits = 0
    io.faults.renameIfAbsent = async (from, to) => {
      if (/\/v\d+\.metadata\.json$/.test(to)) {
        rivalCommits += 1
        await rival.append([{ id: BigInt(100 + rivalCommits), kind: 'rival' }])
      }
      return io.inner.renameIfAbsent(from, to)
    }
    const before = new Set(await listFiles(tableDir(table)))
    await expect(table.append([{ id: 2n, kind: 'mine' }])).rejects.toBeInstanceOf(CommitConflictError)
    delete io.faults.renameIfAbsent
    expect(rivalCommits).toBe(3)

    const loaded = await catalog.loadTable('db.t')
    expect(sortedColumn(await scanRows(loaded), 'id')).toEqual([1n, 101n, 102n, 103n])
    const referenced = new Set((await loaded.referencedFiles()).map((f) => toPath(f)))
    const added = (await listFiles(tableDir(table))).filter((f) => !before.has(f))
    expect(added.filter((f) => !referenced.has(join(tableDir(table), f)))).toEqual([])
  })

  it('fails at once with commit.retry.num-retries=0, leaving the table at the winner’s version', async () => {
    const { catalog, table } = await setup({ 'commit.retry.num-retries': '0' })
    const other = await catalog.loadTable('db.t')
    await other.append([{ id: 1n, kind: 'other' }])
    const before = await snapshotState(catalog, table)
    await expect(table.append([{ id: 2n, kind: 'mine' }])).rejects.toBeInstanceOf(CommitConflictError)
    expect(await snapshotState(catalog, table)).toEqual(before)
  })

  it('treats a rename that landed but reported an error as the commit it is', async () => {
    const { catalog, table, io } = await setup(fastRetries)
    await table.append([{ id: 1n, kind: 'a' }])
    io.faults.renameIfAbsent = async (from, to) => {
      await io.inner.renameIfAbsent(from, to)
      throw new StorageError('connection reset after the rename')
    }
    const snapshot = await table.append([{ id: 2n, kind: 'b' }])
    delete io.faults.renameIfAbsent
    const loaded = await catalog.loadTable('db.t')
    expect(loaded.currentSnapshot()?.snapshotId).toBe(snapshot.snapshotId)
    expect(sortedColumn(await scanRows(loaded), 'id')).toEqual([1n, 2n])
    expect(await versionHint(loaded)).toBe('3')
  })

  it('reports an unknown commit state when a failed rename cannot be checked, deleting nothing', async () => {
    const { catalog, table, io } = await setup(fastRetries)
    await table.append([{ id: 1n, kind: 'a' }])
    io.faults.renameIfAbsent = async (from, to) => {
      await io.inner.renameIfAbsent(from, to)
      io.faults.read = async () => {
        throw new StorageError('storage unreachable')
      }
      throw new StorageError('connection reset after the rename')
    }
    await expect(table.append([{ id: 2n, kind: 'b' }])).rejects.toBeInstanceOf(CommitStateUnknownError)
    delete io.faults.renameIfAbsent
    delete io.faults.read
    // The commit did land; since the writer could not tell, it must have left every file in place.
    const loaded = await catalog.loadTable('db.t')
    expect(sortedColumn(await scanRows(loaded), 'id')).toEqual([1n, 2n])
  })
})

describe('uploads of a commit', () => {
  it('uploads the data file, the manifest and the manifest list at once', async () => {
    const { catalog, table, io } = await setup(fastRetries)
    let listStarted: () => void = () => {}
    const listStarts = new Promise<void>((resolve) => {
      listStarted = resolve
    })
    io.faults.write = async (location, data, options) => {
      if (location.endsWith('.parquet')) {
        // Held until the manifest list's upload begins: written one after another, they could not.
        const timeout = new Promise<never>((_, reject) =>
          setTimeout(() => reject(new StorageError('the manifest list waited for the data file')), 2_000),
        )
        await Promise.race([listStarts, timeout])
      }
      if (/\/snap-[^/]+\.avro$/.test(location)) listStarted()
      return io.inner.write(location, data, options)
    }
    await table.append([{ id: 1n, kind: 'a' }])
    delete io.faults.write
    expect(sortedColumn(await scanRows(await catalog.loadTable('db.t')), 'id')).toEqual([1n])
  })

  it('fails without a retry when a data file cannot be uploaded, leaving the table and its files as they were', async () => {
    const { catalog, table, io } = await setup({ ...fastRetries, 'write.target-file-size-bytes': '1' })
    await table.append([{ id: 1n, kind: 'a' }])
    const before = await snapshotState(catalog, table)
    const uploads: string[] = []
    io.faults.write = async (location, data, options) => {
      if (location.endsWith('.parquet')) {
        uploads.push(location)
        // The second file fails, retryably, while the first is still being written.
        if (uploads.length === 2) throw new StorageError('datanode lost', { retryable: true })
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return io.inner.write(location, data, options)
    }
    const rows = Array.from({ length: 3_000 }, (_, i) => ({ id: BigInt(10 + i), kind: `k${i}` }))
    await expect(table.append(rows)).rejects.toThrow('datanode lost')
    delete io.faults.write
    // Each file was uploaded once: the commit loop did not retry what it cannot mend.
    expect(new Set(uploads).size).toBe(uploads.length)
    expect(await snapshotState(catalog, table)).toEqual(before)
  })

  it('writes a manifest again when its upload failed on an attempt that is retried', async () => {
    const { catalog, table, io } = await setup(fastRetries)
    await table.append([{ id: 1n, kind: 'a' }])
    let failures = 1
    const manifests: string[] = []
    io.faults.write = async (location, data, options) => {
      if (/-m\d+\.avro$/.test(location)) {
        manifests.push(location)
        if (failures-- > 0) throw new StorageError('namenode busy', { retryable: true })
      }
      return io.inner.write(location, data, options)
    }
    await table.append([{ id: 2n, kind: 'b' }])
    delete io.faults.write
    expect(manifests).toHaveLength(2)
    expect(manifests[0]).not.toBe(manifests[1])
    const loaded = await catalog.loadTable('db.t')
    expect(sortedColumn(await scanRows(loaded), 'id')).toEqual([1n, 2n])
    const referenced = new Set((await loaded.referencedFiles()).map((f) => toPath(f)))
    const onDisk = (await listFiles(tableDir(table))).map((f) => join(tableDir(table), f))
    expect(onDisk.filter((f) => !referenced.has(f) && !f.endsWith('version-hint.text'))).toEqual([])
  })
})
