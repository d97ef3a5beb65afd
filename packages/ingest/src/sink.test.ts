import { col, defineSchema, type HadoopCatalog } from '@lake/catalog'
import { describe, expect, it } from 'vitest'
import { fastRetries, localCatalog, tableRows } from '../test/helpers.js'
import { readStoredOffsets } from './offsets.js'
import { TableSink } from './sink.js'

const schema = defineSchema({ id: col.long().required(), p: col.int().required() })

async function setup() {
  const catalog = await localCatalog()
  await catalog.createTable('db.t', { schema, properties: fastRetries })
  return catalog
}

async function sinkOf(catalog: HadoopCatalog, partitions: number[], group = 'g') {
  const sink = new TableSink(await catalog.loadTable('db.t'), group)
  await sink.reset(partitions.map((partition) => ({ topic: 't', partition })))
  return sink
}

/** Feeds records [from, to) of partition `p` into the sink, one row each. */
function feed(sink: TableSink, p: number, from: number, to: number) {
  for (let o = from; o < to; o++) sink.accept('t', p, BigInt(o), [{ id: BigInt(p * 1_000_000 + o), p }], 10)
}

async function stored(catalog: HadoopCatalog) {
  return readStoredOffsets((await catalog.loadTable('db.t')).metadata, 'g').offsets.get('t')
}

describe('TableSink commits', () => {
  it('commits rows with the next offsets and restarts from them', async () => {
    const catalog = await setup()
    const sink = await sinkOf(catalog, [0, 1])
    feed(sink, 0, 0, 5)
    feed(sink, 1, 0, 3)
    expect(sink.bufferedRows).toBe(8)
    const result = await sink.commit()
    expect(result.rows).toBe(8)
    expect(sink.bufferedRows).toBe(0)
    expect(sink.bufferedBytes).toBe(0)
    expect(await stored(catalog)).toEqual(
      new Map([
        [0, 5n],
        [1, 3n],
      ]),
    )
    const again = await sinkOf(catalog, [0, 1])
    expect(again.next('t', 0)).toBe(5n)
    // Records the table holds are not taken twice.
    expect(again.accept('t', 0, 4n, [{ id: 4n, p: 0 }], 10)).toBe(false)
    expect(again.accept('t', 0, 5n, [{ id: 5n, p: 0 }], 10)).toBe(true)
  })

  it('carries forward the offsets of partitions another worker committed', async () => {
    const catalog = await setup()
    const a = await sinkOf(catalog, [0])
    const b = await sinkOf(catalog, [1])
    feed(a, 0, 0, 4)
    feed(b, 1, 0, 6)
    await a.commit()
    await b.commit() // builds on a stale base first, then on a's snapshot
    feed(a, 0, 4, 5)
    await a.commit()
    expect(await stored(catalog)).toEqual(
      new Map([
        [0, 5n],
        [1, 6n],
      ]),
    )
    expect(await tableRows(await catalog.loadTable('db.t'))).toHaveLength(11)
  })

  it('advances offsets of records that produced no rows', async () => {
    const catalog = await setup()
    const sink = await sinkOf(catalog, [0])
    sink.accept('t', 0, 0n, [], 10)
    sink.accept('t', 0, 1n, [], 10)
    expect(sink.hasPending).toBe(true)
    const result = await sink.commit()
    expect(result.rows).toBe(0)
    expect(await stored(catalog)).toEqual(new Map([[0, 2n]]))
  })

  it('keeps rows that arrive while a commit is in flight for the next commit', async () => {
    const catalog = await setup()
    const sink = await sinkOf(catalog, [0])
    feed(sink, 0, 0, 3)
    const committing = sink.commit()
    feed(sink, 0, 3, 7)
    await committing
    expect(await stored(catalog)).toEqual(new Map([[0, 3n]]))
    expect(sink.bufferedRows).toBe(4)
    await sink.commit()
    expect(await stored(catalog)).toEqual(new Map([[0, 7n]]))
    const ids = (await tableRows(await catalog.loadTable('db.t'))).map((r) => r.id).sort()
    expect(ids).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n])
  })

  it('drops the data of a partition another owner committed first, and commits the rest', async () => {
    const catalog = await setup()
    const zombie = await sinkOf(catalog, [0, 1])
    const owner = await sinkOf(catalog, [0])
    feed(zombie, 0, 0, 10)
    feed(zombie, 1, 0, 4)
    feed(owner, 0, 0, 12)
    await owner.commit()
    const result = await zombie.commit()
    expect(result.lost.map((r) => r.partition)).toEqual([0])
    expect(result.rows).toBe(4)
    expect(zombie.knows('t', 0)).toBe(false)
    expect(await stored(catalog)).toEqual(
      new Map([
        [0, 12n],
        [1, 4n],
      ]),
    )
    const rows = await tableRows(await catalog.loadTable('db.t'))
    expect(rows.filter((r) => r.p === 0)).toHaveLength(12)
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length)
  })

  it('lets exactly one of several workers racing on the same partition commit, with real concurrent commits', async () => {
    const catalog = await setup()
    const workers = await Promise.all(Array.from({ length: 4 }, () => sinkOf(catalog, [0, 1, 2, 3])))
    // Every worker read partition 0 from the same start; each also owns one other partition alone.
    workers.forEach((w, i) => {
      feed(w, 0, 0, 20)
      if (i > 0) feed(w, i, 0, 5 * i)
    })
    const results = await Promise.all(workers.map((w) => w.commit()))
    const winners = results.filter((r) => !r.lost.some((l) => l.partition === 0))
    expect(winners).toHaveLength(1)
    const rows = await tableRows(await catalog.loadTable('db.t'))
    expect(rows.filter((r) => r.p === 0)).toHaveLength(20)
    expect(rows).toHaveLength(20 + 5 + 10 + 15)
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length)
    expect(await stored(catalog)).toEqual(
      new Map([
        [0, 20n],
        [1, 5n],
        [2, 10n],
        [3, 15n],
      ]),
    )
  })

  it('checks the stored offsets again on every retry, so a commit that lost the race to a duplicate never lands', async () => {
    // Many rounds of two workers that both believe they own partition 0, continuing from what
    // they last committed: whatever the interleaving, each offset lands once.
    const catalog = await setup()
    const a = await sinkOf(catalog, [0])
    const b = await sinkOf(catalog, [0])
    let next = 0
    for (let round = 0; round < 8; round++) {
      for (const w of [a, b]) {
        if (!w.knows('t', 0)) await w.reset([{ topic: 't', partition: 0 }])
        const from = Number(w.next('t', 0) ?? 0n)
        feed(w, 0, from, from + 3 + round)
      }
      await Promise.all([a.commit(), b.commit()])
      next = Number((await stored(catalog))?.get(0) ?? 0n)
    }
    const rows = await tableRows(await catalog.loadTable('db.t'))
    expect(rows).toHaveLength(next)
    expect(new Set(rows.map((r) => r.id)).size).toBe(next)
  })
})
