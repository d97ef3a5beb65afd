// schemaEvolution: 'add-columns' on the real Kafka and HDFS of the dev stack: events gain new
// top-level and nested fields and outgrow an int column mid-stream, two workers evolve one
// table at once, and Trino reads the result through Lake's REST catalog (`pnpm stack up`).
import { col, defineSchema, HadoopCatalog, ResolvingFileIO, typeToString, WebHdfsFileIO } from '@lake/catalog'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIngestWorker, createProducer, DeadLetterHeaders, type IngestWorker } from '../src/index.js'
import {
  brokers,
  createTopic,
  hdfs,
  readDeadLetters,
  requireStack,
  runId,
  tableProperties,
  waitForCount,
} from './stack.js'

const stackSrc = new URL('../../stack/src/', import.meta.url)
const { restEndpoint } = (await import(new URL('rest.mjs', stackSrc).href)) as {
  restEndpoint(): { warehouse: string }
}
const { runQuery, trinoEndpoint } = (await import(new URL('trino.mjs', stackSrc).href)) as {
  trinoEndpoint(): { url: string }
  runQuery(endpoint: { url: string }, sql: string, timeoutMs?: number): Promise<unknown[][]>
}

const schema = defineSchema({
  k: col.string().required(),
  seq: col.long().required(),
  n: col.int(),
  device: col.struct({ os: col.string() }),
})

// The warehouse Trino's `lake` catalog serves, so that Trino can read the table back.
const io = new WebHdfsFileIO({ namenodes: [hdfs.namenodeHttp], user: 'lake' })
const catalog = new HadoopCatalog({
  warehouse: restEndpoint().warehouse,
  io: new ResolvingFileIO({ hdfs: () => io }),
})
const NS = `ingest_evolution_${runId.replaceAll('-', '_')}`
const workers: IngestWorker[] = []

beforeAll(async () => {
  await requireStack()
  await catalog.createNamespace(NS)
})
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop({ deadlineMs: 5_000 }).catch(() => {})))
  await catalog.dropTable(`${NS}.events`, { purge: true }).catch(() => {})
  await catalog.dropNamespace(NS).catch(() => {})
})

const RECORDS = 3_000
/** Records whose `country` is a number once the column is text: a genuine conflict. */
const conflicting = (i: number) => i >= 1_200 && i % 250 === 7

/** Event `i`: plain at first, then new top-level and nested fields, then an int that outgrows int. */
function event(i: number): Record<string, unknown> {
  const e: Record<string, unknown> = {
    k: `key-${i}`,
    seq: i,
    n: i,
    device: { os: i % 2 ? 'ios' : 'android' },
  }
  if (i >= 1_000) {
    e.country = conflicting(i) ? 31 : ['nl', 'de', 'fr'][i % 3]
    e.device = { os: 'ios', model: `m${i % 7}` }
    // Empty lists and nulls show no type: the column comes once values do.
    e.tags = i < 1_500 ? [] : [`t${i % 4}`]
    e.later = i < 1_800 ? null : i * 2
  }
  if (i >= 2_000) {
    e.n = 2 ** 31 + i
    e.geo = { lat: 52.5, lon: i, place: { city: 'x' } }
  }
  return e
}

describe("schemaEvolution: 'add-columns' on Kafka and HDFS", () => {
  it('adds top-level and nested columns and widens int to long mid-stream, exactly once, with conflicts in the dead letters', async () => {
    const topic = `ingest-evolution-${runId}`
    const deadTopic = `${topic}.dead`
    await createTopic(topic, 3)
    await createTopic(deadTopic, 1)
    const table = await catalog.createTable(`${NS}.events`, { schema, properties: tableProperties })
    const producer = createProducer({
      kafka: { brokers, clientId: 'lake-ingest-it', logLevel: 0 },
      topic,
      key: (e) => e.k as string,
    })
    const start = () => {
      const worker = createIngestWorker({
        kafka: { brokers, clientId: 'lake-ingest-it', logLevel: 0 },
        groupId: `g-${topic}`,
        topics: [topic],
        catalog,
        table: `${NS}.events`,
        schemaEvolution: 'add-columns',
        deadLetter: { topic: deadTopic },
        commit: { intervalMs: 1_000 },
        consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 500 },
      })
      workers.push(worker)
      worker.run().catch(() => {})
      return worker
    }
    // Two workers: rows committed under the old schema first, then the evolution, both workers
    // racing to change the same table's schema.
    const [a, b] = [start(), start()]
    for (let i = 0; i < RECORDS; i += 250) {
      await producer.send(Array.from({ length: 250 }, (_, j) => event(i + j)))
      if (i === 750) await waitForCount(table, 500)
    }
    await producer.close()
    const conflicts = Array.from({ length: RECORDS }, (_, i) => i).filter(conflicting)
    const goods = RECORDS - conflicts.length
    await waitForCount(table, goods, 240_000)
    await Promise.all([a.stop(), b.stop()])

    await table.refresh()
    expect(typeToString(table.schema().asStruct())).toBe(
      'struct<k: string, seq: long, n: long, device: struct<os: string, model: string>, country: string, ' +
        'tags: list<string>, later: long, geo: struct<lat: double, lon: long, place: struct<city: string>>>',
    )
    expect(
      table
        .schema()
        .fields.slice(4)
        .every((f) => !f.required),
    ).toBe(true)
    const rows = new Map<number, Record<string, unknown>>()
    for await (const batch of table.scan().batches()) {
      for (const row of batch.toArray()) rows.set(Number(row.seq), row.toJSON())
    }
    expect(rows.size).toBe(goods)
    expect(Number(table.currentSnapshot()!.summary['total-records'])).toBe(goods)
    for (const i of conflicts) expect(rows.has(i)).toBe(false)
    // Rows committed before the columns existed read null in them.
    const old = rows.get(10)!
    expect([old.country, old.tags, old.later, old.geo, old.n]).toEqual([null, null, null, null, 10n])
    expect(old.device).toMatchObject({ os: 'android', model: null })
    const mid = rows.get(1_600)!
    expect([mid.country, (mid.device as { model: string }).model, [...(mid.tags as string[])]]).toEqual([
      'de',
      'm4',
      ['t0'],
    ])
    // An empty list shows no type: read before the column exists (a worker may read its partition
    // before or after another's record adds the column), the field is dropped and reads null; after,
    // it is the empty list it is.
    const early = rows.get(1_100)!.tags as { length: number } | null
    expect(early === null || early.length === 0).toBe(true)
    expect(rows.get(1_900)!.later).toBe(3_800n)
    const last = rows.get(2_999)!
    expect(last.n).toBe(2n ** 31n + 2_999n)
    expect(last.geo).toMatchObject({ lat: 52.5, lon: 2_999n, place: { city: 'x' } })

    // Each conflict is a dead letter naming the field.
    const letters = await readDeadLetters(deadTopic, conflicts.length)
    expect(letters).toHaveLength(conflicts.length)
    for (const { headers } of letters) {
      expect(headers[DeadLetterHeaders.stage]).toBe('validate')
      expect(headers[DeadLetterHeaders.field]).toBe('country')
    }

    // Trino reads the evolved table through Lake's REST catalog.
    const trino = trinoEndpoint()
    const [counts] = await runQuery(
      trino,
      `SELECT count(*), count(country), count(device.model), CAST(max(n) AS varchar), count(geo.place.city) FROM lake.${NS}.events`,
      120_000,
    )
    const late = conflicts.filter((i) => i >= 2_000).length
    expect(counts).toEqual([goods, goods - 1_000, goods - 1_000, String(2 ** 31 + 2_999), 1_000 - late])
  })
})
