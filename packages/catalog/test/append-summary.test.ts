import { CommitConflictError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { HadoopCatalog } from '../src/catalog/hadoop-catalog.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import type { TableMetadata } from '../src/spec/table-metadata.js'
import { listFiles, scanRows, tableDir, tempDir } from './helpers.js'

const schema = defineSchema({ id: col.long().required() })
const fastRetries = { 'commit.retry.min-wait-ms': '1', 'commit.retry.max-wait-ms': '20' }

async function setup() {
  const catalog = new HadoopCatalog({ warehouse: await tempDir() })
  await catalog.createNamespace('db')
  const table = await catalog.createTable('db.t', { schema, properties: fastRetries })
  return { catalog, table }
}

describe('append with summary properties', () => {
  it('writes the properties into the snapshot summary beside the computed ones', async () => {
    const { table } = await setup()
    const snapshot = await table.append([{ id: 1n }], { summary: () => ({ 'app.offset': '7' }) })
    expect(snapshot.summary['app.offset']).toBe('7')
    expect(snapshot.summary['added-records']).toBe('1')
  })

  it('computes them again on the fresh metadata after a conflict, so they can carry forward', async () => {
    const { catalog, table } = await setup()
    const stale = await catalog.loadTable('db.t')
    await table.append([{ id: 1n }], { summary: () => ({ 'app.offset': '1' }) })
    const bases: (string | undefined)[] = []
    const snapshot = await stale.append([{ id: 2n }], {
      summary: (base: TableMetadata) => {
        const previous = base.currentSnapshot()?.summary['app.offset']
        bases.push(previous)
        return { 'app.offset': String(Number(previous ?? '0') + 1) }
      },
    })
    // First on the stale metadata (no snapshot), then on the one the other writer committed.
    expect(bases).toEqual([undefined, '1'])
    expect(snapshot.summary['app.offset']).toBe('2')
    expect(await scanRows(await catalog.loadTable('db.t'))).toHaveLength(2)
  })

  it('abandons the commit when the hook refuses the fresh base, leaving no files behind', async () => {
    const { catalog, table } = await setup()
    const stale = await catalog.loadTable('db.t')
    await table.append([{ id: 1n }], { summary: () => ({ 'app.owner': 'a' }) })
    const before = await listFiles(tableDir(table))
    const refusal = new CommitConflictError('another owner committed first', { retryable: false })
    await expect(
      stale.append([{ id: 2n }], {
        summary: (base) => {
          if (base.currentSnapshot()?.summary['app.owner'] === 'a') throw refusal
          return { 'app.owner': 'b' }
        },
      }),
    ).rejects.toBe(refusal)
    const reloaded = await catalog.loadTable('db.t')
    expect(reloaded.snapshots()).toHaveLength(1)
    expect(await scanRows(reloaded)).toEqual([{ id: 1n }])
    expect(await listFiles(tableDir(table))).toEqual(before)
  })

  it('commits a snapshot without data files when there are no rows, carrying only the properties', async () => {
    const { table } = await setup()
    await table.append([{ id: 1n }])
    const snapshot = await table.append([], { summary: () => ({ 'app.offset': '9' }) })
    expect(snapshot.summary['app.offset']).toBe('9')
    expect(snapshot.summary['total-records']).toBe('1')
  })
})
