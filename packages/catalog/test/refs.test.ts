import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AlreadyExistsError, CommitConflictError, NotFoundError, ValidationError } from '@lake/errors'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HadoopCatalog } from '../src/catalog/hadoop-catalog.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import { Types } from '../src/spec/types.js'
import type { Table } from '../src/table/table.js'

let dir: string
let table: Table
const schema = defineSchema({ id: col.long().required() })

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lake-refs-'))
  const catalog = new HadoopCatalog({ warehouse: dir })
  await catalog.createNamespace('db')
  table = await catalog.createTable('db.t', { schema })
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const ids = async (t: Table, options: Parameters<Table['scan']>[0] = {}) =>
  (await t.scan(options).toArrow()).getChild('id')!.toArray()

describe('branches and tags', () => {
  it('reads a tagged snapshot after the table moved on', async () => {
    await table.append([{ id: 1n }])
    await table.createTag('v1')
    await table.append([{ id: 2n }])
    expect([...(await ids(table, { ref: 'v1' }))]).toEqual([1n])
    expect([...(await ids(table))].sort()).toEqual([1n, 2n])
    expect(table.metadata.refs.get('v1')?.type).toBe('tag')
  })

  it('refuses a tag name that exists, a missing snapshot, and removing main', async () => {
    await table.append([{ id: 1n }])
    await table.createTag('v1')
    await expect(table.createTag('v1')).rejects.toBeInstanceOf(AlreadyExistsError)
    await expect(table.createTag('v2', 42n)).rejects.toBeInstanceOf(NotFoundError)
    await expect(table.removeRef('main')).rejects.toBeInstanceOf(ValidationError)
    await table.removeRef('v1')
    expect(table.metadata.refs.has('v1')).toBe(false)
    expect(() => table.scan({ ref: 'v1' })).toThrow(NotFoundError)
  })

  it('creates a branch at an older snapshot', async () => {
    const first = await table.append([{ id: 1n }])
    await table.append([{ id: 2n }])
    await table.createBranch('audit', first.snapshotId)
    expect([...(await ids(table, { ref: 'audit' }))]).toEqual([1n])
  })

  it('refuses to commit a schema change made against a schema another writer replaced', async () => {
    const other = await (await new HadoopCatalog({ warehouse: dir }).loadTable('db.t')).refresh()
    const stale = table.updateSchema().addColumn('a', Types.string)
    await other.updateSchema().addColumn('b', Types.string).commit()
    await expect(stale.commit()).rejects.toBeInstanceOf(CommitConflictError)
    await table.refresh()
    expect(table.schema().fields.map((f) => f.name)).toEqual(['id', 'b'])
  })
})
