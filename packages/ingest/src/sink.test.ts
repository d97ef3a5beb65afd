import {
  ColumnBuilder,
  col,
  defineSchema,
  type HadoopCatalog,
  isTypedColumn,
  Types,
  typedValues,
} from '@lake/catalog'
import { describe, expect, it } from 'vitest'
import { fastRetries, localCatalog, tableRows } from '../test/helpers.js'
import { JsonRowReader } from './json-row.js'
import { readStoredOffsets } from './offsets.js'
import { heldBytesPerRow, sliceRows, TableSink } from './sink.js'

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

/** Feeds records [from, to) of partition `p` into the sink as one batch, one row each. */
function feed(sink: TableSink, p: number, from: number, to: number) {
  const stage = sink.stage()
  for (let o = from; o < to; o++) {
    stage.add({ id: BigInt(p * 1_000_000 + o), p })
    stage.end(o, 10)
  }
  return sink.accept('t', p, stage)
}

/** Feeds one record of partition `p` with the given rows; returns the rows buffered. */
function record(sink: TableSink, p: number, offset: number, rows: Record<string, unknown>[]) {
  const stage = sink.stage()
  for (const row of rows) stage.add(row)
  stage.end(offset, 10)
  return sink.accept('t', p, stage)
}

async function stored(catalog: HadoopCatalog) {
  return readStoredOffsets((await catalog.loadTable('db.t')).metadata, 'g').offsets.get('t')
}

describe('TableSink commits', () => {
  it('gives stages open at once builders of their own and a builder taken from to a later stage, keeping the rows taken', async () => {
    const catalog = await setup()
    const sink = await sinkOf(catalog, [0, 1])
    // Two stages at once (two partitions' batches read in turn), rows of one never in the other:
    // at the start, and again once stages have handed builders back.
    let next = 0
    const both = (from: number) => {
      const a = sink.stage()
      const b = sink.stage()
      for (let o = from; o < from + 3; o++) {
        a.add({ id: BigInt(next), p: 0 })
        a.end(next++, 10)
        b.add({ id: BigInt(1_000_000 + o), p: 1 })
        b.end(o, 10)
      }
      expect(sink.accept('t', 0, a)).toBe(3)
      expect(sink.accept('t', 1, b)).toBe(3)
    }
    both(0)
    // Later batches read into the builders taken from, more rows than before.
    for (let batch = 1; batch <= 4; batch++) {
      feed(sink, 0, next, next + 3 + batch)
      next += 3 + batch
      feed(sink, 1, 3 * batch, 3 * batch + 3)
    }
    both(15)
    await sink.commit()
    const ids = (await tableRows(await catalog.loadTable('db.t'))).map((r) => Number(r.id))
    const expected = [
      ...Array.from({ length: next }, (_, o) => o),
      ...Array.from({ length: 18 }, (_, o) => 1_000_000 + o),
    ]
    expect(ids.sort((x, y) => x - y)).toEqual(expected.sort((x, y) => x - y))
  })

  it("fills a chunk's builder again only once its rows are committed, also while a commit is in flight", async () => {
    const catalog = await setup()
    const sink = await sinkOf(catalog, [0])
    let next = 0
    const batch = (rows: number) => {
      expect(feed(sink, 0, next, next + rows)).toBe(rows)
      next += rows
    }
    batch(5)
    batch(6)
    const first = sink.commit()
    // Read while the commit writes the rows before: into builders of their own.
    batch(7)
    batch(8)
    expect((await first).rows).toBe(11)
    // Into the builders the first commit gave back, past the rows they held.
    batch(9)
    batch(10)
    batch(3)
    expect((await sink.commit()).rows).toBe(37)
    // A batch of records the table holds already passes its builder on at once.
    expect(record(sink, 0, 2, [{ id: 2n, p: 0 }])).toBe(0)
    batch(4)
    expect((await sink.commit()).rows).toBe(4)
    const ids = (await tableRows(await catalog.loadTable('db.t'))).map((r) => Number(r.id))
    expect(ids.sort((x, y) => x - y)).toEqual(Array.from({ length: next }, (_, o) => o))
  })

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
    expect(record(again, 0, 4, [{ id: 4n, p: 0 }])).toBe(0)
    expect(record(again, 0, 5, [{ id: 5n, p: 0 }])).toBe(1)
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
    record(sink, 0, 0, [])
    record(sink, 0, 1, [])
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

describe('TableSink buffers', () => {
  it('takes only the records of a batch the table does not hold yet', async () => {
    const catalog = await setup()
    const sink = await sinkOf(catalog, [0])
    feed(sink, 0, 0, 4)
    await sink.commit()
    // A batch fetched again from offset 2: records 2 and 3 are in the table already.
    expect(feed(sink, 0, 2, 7)).toBe(3)
    await sink.commit()
    const ids = (await tableRows(await catalog.loadTable('db.t'))).map((r) => r.id).sort()
    expect(ids).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n])
  })

  it('leaves no row of a refused record, and moves past it', async () => {
    const catalog = await setup()
    const sink = await sinkOf(catalog, [0])
    const stage = sink.stage()
    stage.add({ id: 1n, p: 0 })
    stage.end(0, 10)
    stage.add({ id: 2n, p: 0 })
    expect(() => stage.add({ id: 3n, p: 'x' })).toThrow(/p/)
    stage.drop()
    stage.end(1, 10)
    expect(sink.accept('t', 0, stage)).toBe(1)
    await sink.commit()
    expect(await tableRows(await catalog.loadTable('db.t'))).toEqual([{ id: 1n, p: 0 }])
    expect(await stored(catalog)).toEqual(new Map([[0, 2n]]))
  })

  it('commits rows the JSON reader read in offset order with validated ones', async () => {
    const catalog = await setup()
    const sink = await sinkOf(catalog, [0])
    const stage = sink.stage()
    const reader = new JsonRowReader(sink.schema, false)
    stage.add({ id: 1n, p: 0 })
    stage.end(0, 10)
    const accepted = Buffer.from('{"id":2,"p":0}')
    expect(stage.read(reader, accepted, 0, accepted.length)).toBe(true)
    stage.end(1, 10)
    // Declined: nothing added, and the general path validates it instead.
    const declined = Buffer.from('{"id":3,"p":"0"}')
    expect(stage.read(reader, declined, 0, declined.length)).toBe(false)
    stage.add({ id: 3, p: 0 })
    stage.end(2, 10)
    expect(sink.accept('t', 0, stage)).toBe(3)
    await sink.commit()
    const ids = (await tableRows(await catalog.loadTable('db.t'))).map((r) => r.id)
    expect(ids).toEqual([1n, 2n, 3n])
    expect(await stored(catalog)).toEqual(new Map([[0, 3n]]))
  })

  it('counts the memory rows hold, and frees it when they are committed', async () => {
    const catalog = await setup()
    const sink = await sinkOf(catalog, [0])
    feed(sink, 0, 0, 10)
    expect(sink.bufferedBytes).toBe(10 * (5 + heldBytesPerRow(sink.schema)))
    await sink.commit()
    expect(sink.bufferedBytes).toBe(0)
  })

  it('carries buffered rows over to a schema that only added optional columns and widened types', async () => {
    const catalog = await setup()
    const sink = await sinkOf(catalog, [0, 1])
    feed(sink, 0, 0, 3)
    feed(sink, 1, 0, 2)
    const table = await catalog.loadTable('db.t')
    await table
      .updateSchema()
      .addColumn('note', Types.string)
      .updateColumn('p', { type: Types.long })
      .commit()
    const result = await sink.commit()
    expect(result).toMatchObject({ rows: 5, lost: [], schemaChanged: false })
    expect(sink.fieldNames.has('note')).toBe(true)
    const rows = await tableRows(await catalog.loadTable('db.t'))
    expect(rows).toHaveLength(5)
    expect(rows[0]).toEqual({ id: 0n, p: 0n, note: null })
  })

  it('drops every buffered partition when the table schema changed otherwise, to be read again against the new one', async () => {
    const catalog = await setup()
    const sink = await sinkOf(catalog, [0, 1])
    feed(sink, 0, 0, 3)
    feed(sink, 1, 0, 2)
    const staged = sink.stage()
    staged.add({ id: 9n, p: 0 })
    staged.end(3, 10)
    const table = await catalog.loadTable('db.t')
    const update = table.updateSchema()
    update.renameColumn('p', 'q')
    await update.commit()
    const result = await sink.commit()
    expect(result.schemaChanged).toBe(true)
    expect(result.lost.map((r) => r.partition).sort()).toEqual([0, 1])
    expect(sink.knows('t', 0)).toBe(false)
    expect(sink.schema.fields.map((f) => f.name)).toEqual(['id', 'q'])
    expect(sink.fieldNames.has('q')).toBe(true)
    await sink.reset([{ topic: 't', partition: 0 }])
    // Rows staged against the old schema are refused whole.
    expect(sink.accept('t', 0, staged)).toBeUndefined()
    expect(record(sink, 0, 0, [{ id: 1n, q: 0 }])).toBe(1)
    await sink.commit()
    expect(await tableRows(await catalog.loadTable('db.t'))).toEqual([{ id: 1n, q: 0 }])
  })
})

describe('sliceRows', () => {
  it('copies the rows from a start of typed and untyped columns alike', () => {
    const schema = defineSchema({
      id: col.long().required(),
      name: col.string(),
      tags: col.list(col.string()),
    }).schema
    const builder = new ColumnBuilder(schema, { typed: true })
    builder.add({ id: 1, name: null, tags: ['a'] })
    builder.add({ id: 2, name: 'b' })
    builder.add({ id: 3, name: 'cc', tags: [] })
    const sliced = sliceRows(builder.take(), 1)
    expect(sliced.rowCount).toBe(2)
    const [id, name, tags] = sliced.columns
    expect(isTypedColumn(id!) && typedValues(id, Types.long)).toEqual([2n, 3n])
    expect(isTypedColumn(name!) && typedValues(name, Types.string)).toEqual(['b', 'cc'])
    expect(isTypedColumn(name!) && name.valid).toBeUndefined()
    expect(tags).toEqual([null, []])
  })
})
