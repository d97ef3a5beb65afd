import { NotFoundError, ValidationError } from '@lake/errors'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { eq } from '../src/expr/expressions.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import { newCatalog, scanRows, sortedColumn } from './helpers.js'

const schema = defineSchema({ id: col.long().required(), kind: col.string() })
const T0 = Date.UTC(2030, 5, 1, 12)

async function threeSnapshots() {
  const { catalog } = await newCatalog()
  await catalog.createNamespace('db')
  const table = await catalog.createTable('db.t', { schema })
  const ids: bigint[] = []
  for (let i = 0; i < 3; i++) {
    vi.setSystemTime(T0 + i * 60_000)
    const snapshot = await table.append([{ id: BigInt(i), kind: `k${i}` }])
    ids.push(snapshot.snapshotId)
  }
  return { catalog, table, ids }
}

describe('snapshots and time travel', () => {
  beforeEach(() => {
    // Only the clock is faked: snapshot times become exact, while retries still wait for real.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0 - 60_000)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('lists snapshots oldest first, each with its parent, and the history of the current ones', async () => {
    const { catalog, ids } = await threeSnapshots()
    const table = await catalog.loadTable('db.t')
    expect(table.snapshots().map((s) => s.snapshotId)).toEqual(ids)
    expect(table.snapshots().map((s) => s.parentSnapshotId)).toEqual([undefined, ids[0], ids[1]])
    expect(table.snapshots().map((s) => s.timestampMs)).toEqual([T0, T0 + 60_000, T0 + 120_000])
    expect(table.history()).toEqual(
      ids.map((snapshotId, i) => ({ snapshotId, timestampMs: T0 + i * 60_000, isCurrentAncestor: true })),
    )
    expect(table.currentSnapshot()?.snapshotId).toBe(ids[2])
  })

  it('reads the table as of a snapshot id', async () => {
    const { table, ids } = await threeSnapshots()
    expect(sortedColumn(await scanRows(table, { snapshotId: ids[0]! }), 'id')).toEqual([0n])
    expect(sortedColumn(await scanRows(table, { snapshotId: ids[1]! }), 'id')).toEqual([0n, 1n])
    expect(sortedColumn(await scanRows(table), 'id')).toEqual([0n, 1n, 2n])
    expect(table.snapshot({ snapshotId: ids[1]! }).snapshotId).toBe(ids[1])
  })

  it('reads the table as of a time: the snapshot current then', async () => {
    const { table } = await threeSnapshots()
    expect(sortedColumn(await scanRows(table, { asOfTimestamp: T0 }), 'id')).toEqual([0n])
    expect(sortedColumn(await scanRows(table, { asOfTimestamp: T0 + 90_000 }), 'id')).toEqual([0n, 1n])
    expect(sortedColumn(await scanRows(table, { asOfTimestamp: new Date(T0 + 120_000) }), 'id')).toEqual([
      0n,
      1n,
      2n,
    ])
    expect(() => table.scan({ asOfTimestamp: T0 - 1 })).toThrow(NotFoundError)
  })

  it('reads a tag and a branch set through commitTable', async () => {
    const { catalog, table, ids } = await threeSnapshots()
    await catalog.commitTable(
      'db.t',
      [],
      [
        { action: 'set-snapshot-ref', 'ref-name': 'release-1', type: 'tag', 'snapshot-id': ids[0]! },
        { action: 'set-snapshot-ref', 'ref-name': 'audit', type: 'branch', 'snapshot-id': ids[1]! },
      ],
    )
    await table.refresh()
    expect(table.metadata.refs.get('release-1')).toMatchObject({ snapshotId: ids[0], type: 'tag' })
    expect(sortedColumn(await scanRows(table, { ref: 'release-1' }), 'id')).toEqual([0n])
    expect(sortedColumn(await scanRows(table, { ref: 'audit' }), 'id')).toEqual([0n, 1n])
    expect(sortedColumn(await scanRows(table, { ref: 'main' }), 'id')).toEqual([0n, 1n, 2n])
    // A tag keeps naming its snapshot while main moves on.
    await table.append([{ id: 3n, kind: 'k3' }])
    const reloaded = await catalog.loadTable('db.t')
    expect(sortedColumn(await scanRows(reloaded, { ref: 'release-1' }), 'id')).toEqual([0n])
    expect(sortedColumn(await scanRows(reloaded), 'id')).toEqual([0n, 1n, 2n, 3n])
  })

  it('marks snapshots rolled back from as no longer ancestors of the current one', async () => {
    const { catalog, table, ids } = await threeSnapshots()
    vi.setSystemTime(T0 + 600_000)
    await catalog.commitTable(
      'db.t',
      [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': ids[2]! }],
      [{ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': ids[0]! }],
    )
    await table.refresh()
    expect(table.currentSnapshot()?.snapshotId).toBe(ids[0])
    expect(sortedColumn(await scanRows(table), 'id')).toEqual([0n])
    const history = table.history()
    expect(history.map((h) => [h.snapshotId, h.isCurrentAncestor])).toEqual([
      [ids[0], true],
      [ids[1], false],
      [ids[2], false],
      [ids[0], true],
    ])
  })

  it('refuses unknown snapshots and refs with NotFoundError, and two selectors at once', async () => {
    const { table, ids } = await threeSnapshots()
    expect(() => table.scan({ snapshotId: 12345n })).toThrow(NotFoundError)
    expect(() => table.scan({ ref: 'nope' })).toThrow(NotFoundError)
    expect(() => table.snapshot({ ref: 'nope' })).toThrow(NotFoundError)
    expect(() => table.scan({ snapshotId: ids[0]!, ref: 'main' })).toThrow(ValidationError)
  })

  it('filters a time-travel read as it filters the current one', async () => {
    const { table, ids } = await threeSnapshots()
    expect(await scanRows(table, { snapshotId: ids[1]!, filter: eq('kind', 'k1') })).toEqual([
      { id: 1n, kind: 'k1' },
    ])
  })
})

describe('table properties', () => {
  it('sets and removes properties in one commit, visible after reload', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.t', { schema, properties: { a: '1', b: '2' } })
    const before = table.metadataLocation
    await table.updateProperties({ a: '10', c: '3' }, ['b'])
    expect(table.metadataLocation).not.toBe(before)
    const reloaded = await catalog.loadTable('db.t')
    expect(reloaded.properties).toMatchObject({ a: '10', c: '3' })
    expect(reloaded.properties.b).toBeUndefined()
  })

  it('refuses a key both set and removed, and a value that is not a string', async () => {
    const { catalog } = await newCatalog()
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.t', { schema })
    const before = table.metadataLocation
    await expect(table.updateProperties({ a: '1' }, ['a'])).rejects.toBeInstanceOf(ValidationError)
    await expect(table.updateProperties({ a: 1 as unknown as string })).rejects.toBeInstanceOf(
      ValidationError,
    )
    expect((await catalog.loadTable('db.t')).metadataLocation).toBe(before)
  })
})
