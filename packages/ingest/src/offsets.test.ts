import { col, defineSchema } from '@lake/catalog'
import { CorruptFileError } from '@lake/errors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { localCatalog } from '../test/helpers.js'
import {
  checkAndMerge,
  decodeOffsets,
  encodeOffsets,
  type KafkaOffsets,
  OffsetConflictError,
  offsetsSummaryKey,
  readStoredOffsets,
} from './offsets.js'

const offsets = (entries: Record<string, Record<number, bigint>>): KafkaOffsets =>
  new Map(
    Object.entries(entries).map(([topic, parts]) => [
      topic,
      new Map(Object.entries(parts).map(([p, o]) => [Number(p), o])),
    ]),
  )

describe('offsets in the snapshot summary', () => {
  it('are keyed by group id under lake.kafka.offsets.', () => {
    expect(offsetsSummaryKey('events-to-lake')).toBe('lake.kafka.offsets.events-to-lake')
  })

  it('encode as sorted JSON with offsets as decimal strings', () => {
    const text = encodeOffsets(offsets({ 'b.topic': { 10: 5n, 2: 9_007_199_254_740_993n }, a: { 0: 0n } }))
    expect(text).toBe('{"a":{"0":"0"},"b.topic":{"2":"9007199254740993","10":"5"}}')
  })

  it('round-trip any offsets exactly, including beyond 2^53', () => {
    const topic = fc.string({ minLength: 1, maxLength: 20 }).filter((t) => t !== '__proto__')
    const parts = fc.dictionary(
      fc.integer({ min: 0, max: 10_000 }).map(String),
      fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
    )
    fc.assert(
      fc.property(fc.dictionary(topic, parts), (raw) => {
        const value = new Map(
          Object.entries(raw).map(([t, p]) => [
            t,
            new Map(Object.entries(p).map(([k, o]) => [Number(k), o])),
          ]),
        )
        expect(decodeOffsets(encodeOffsets(value))).toEqual(value)
      }),
    )
  })

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['a number offset', '{"t":{"0":5}}'],
    ['a negative offset', '{"t":{"0":"-1"}}'],
    ['a partition that is not a number', '{"t":{"x":"1"}}'],
  ])('refuses %s as corrupt metadata', (_, text) => {
    expect(() => decodeOffsets(text)).toThrow(CorruptFileError)
  })
})

describe('reading stored offsets', () => {
  const schema = defineSchema({ id: col.long().required() })

  it('walks back past snapshots that do not carry the group, and ignores other groups', async () => {
    const catalog = await localCatalog()
    const table = await catalog.createTable('db.t', { schema })
    expect(readStoredOffsets(table.metadata, 'g').offsets.size).toBe(0)
    await table.append([{ id: 1n }], { summary: () => ({ [offsetsSummaryKey('g')]: '{"t":{"0":"2"}}' }) })
    const holder = table.currentSnapshot()!
    await table.append([{ id: 2n }]) // a plain append, as a user or compaction makes
    await table.append([{ id: 3n }], {
      summary: () => ({ [offsetsSummaryKey('other')]: '{"t":{"0":"99"}}' }),
    })
    const stored = readStoredOffsets(table.metadata, 'g')
    expect(stored.snapshot?.snapshotId).toBe(holder.snapshotId)
    expect(stored.offsets).toEqual(offsets({ t: { 0: 2n } }))
  })

  it('does not read offsets from snapshots that are not ancestors of main', async () => {
    const catalog = await localCatalog()
    const table = await catalog.createTable('db.t', { schema })
    await table.append([{ id: 1n }], { summary: () => ({ [offsetsSummaryKey('g')]: '{"t":{"0":"1"}}' }) })
    await table.createBranch('side')
    const first = table.currentSnapshot()!.snapshotId
    await table.append([{ id: 2n }], { summary: () => ({ [offsetsSummaryKey('g')]: '{"t":{"0":"2"}}' }) })
    // Roll main back to the first snapshot: the second is no longer an ancestor.
    await catalog.commitTable(
      table.identifier,
      [],
      [{ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': first }],
    )
    await table.refresh()
    expect(readStoredOffsets(table.metadata, 'g').offsets).toEqual(offsets({ t: { 0: 1n } }))
  })
})

describe('the compare-and-set of a commit', () => {
  const schema = defineSchema({ id: col.long().required() })

  it('carries forward partitions it does not cover and moves the ones it does', async () => {
    const catalog = await localCatalog()
    const table = await catalog.createTable('db.t', { schema })
    await table.append([{ id: 1n }], {
      summary: () => ({ [offsetsSummaryKey('g')]: '{"t":{"0":"5","1":"7"},"u":{"0":"1"}}' }),
    })
    const merged = checkAndMerge(
      table.metadata,
      'g',
      [{ topic: 't', partition: 1, from: 7n, to: 9n }],
      'db.t',
    )
    expect(merged).toEqual(offsets({ t: { 0: 5n, 1: 9n }, u: { 0: 1n } }))
    const added = checkAndMerge(
      table.metadata,
      'g',
      [{ topic: 'v', partition: 3, from: undefined, to: 4n }],
      'db.t',
    )
    expect(added.get('v')).toEqual(new Map([[3, 4n]]))
  })

  it('names every partition whose stored offset moved since the data began', async () => {
    const catalog = await localCatalog()
    const table = await catalog.createTable('db.t', { schema })
    await table.append([{ id: 1n }], {
      summary: () => ({ [offsetsSummaryKey('g')]: '{"t":{"0":"5","1":"7"}}' }),
    })
    const attempt = () =>
      checkAndMerge(
        table.metadata,
        'g',
        [
          { topic: 't', partition: 0, from: 5n, to: 6n },
          { topic: 't', partition: 1, from: 6n, to: 8n },
          { topic: 't', partition: 2, from: 3n, to: 4n },
        ],
        'db.t',
      )
    expect(attempt).toThrow(OffsetConflictError)
    try {
      attempt()
    } catch (error) {
      expect((error as OffsetConflictError).lost.map((r) => r.partition)).toEqual([1, 2])
      expect((error as OffsetConflictError).retryable).toBe(false)
    }
  })
})
