// createProducer on the real Kafka of the dev stack, read by an ingest worker into a table on HDFS.
import { col, defineSchema } from '@lake/catalog'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIngestWorker, createProducer, type IngestWorker, type LakeProducer } from '../src/index.js'
import {
  brokers,
  createTopic,
  hdfsCatalog,
  hdfsWarehouse,
  requireStack,
  runId,
  tableProperties,
  waitForCount,
} from './stack.js'

const schema = defineSchema({
  k: col.string().required(),
  seq: col.long().required(),
  at: col.timestamptz().required(),
  amount: col.decimal(10, 2),
  key: col.string(),
  headers: col.map(col.string().required(), col.string()),
})

const avro = {
  type: 'record',
  name: 'Event',
  namespace: 'lake.it',
  fields: [
    { name: 'k', type: 'string' },
    { name: 'seq', type: 'long' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'amount', type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 }] },
  ],
}

interface Event {
  k: string
  seq: bigint
  at: Date
  amount: string | null
}

const workers: IngestWorker[] = []
const producers: LakeProducer<Event>[] = []

beforeAll(requireStack)
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close().catch(() => {})))
  await Promise.all(workers.map((w) => w.stop({ deadlineMs: 5_000 }).catch(() => {})))
})

const event = (i: number): Event => ({
  k: `key-${i}`,
  seq: BigInt(i),
  at: new Date(1_764_000_000_000 + i * 1000),
  amount: i % 5 === 0 ? null : `${i % 1000}.25`,
})

describe('createProducer on Kafka', () => {
  for (const serializer of ['json', 'avro'] as const) {
    it(`produces ${serializer} records with keys and headers that an ingest worker reads exactly once`, async () => {
      const topic = `ingest-producer-${serializer}-${runId}`
      await createTopic(topic, 3)
      const catalog = hdfsCatalog(hdfsWarehouse(`producer-${serializer}`))
      await catalog.createNamespace('db')
      const table = await catalog.createTable('db.events', { schema, properties: tableProperties })
      const producer = createProducer<Event>({
        kafka: { brokers, clientId: 'lake-producer-it', logLevel: 0 },
        topic,
        serializer: serializer === 'json' ? 'json' : { avro, confluent: { schemaId: 7 } },
        key: (e) => e.k,
        headers: (e) => ({ source: 'it', parity: String(Number(e.seq) % 2) }),
        compression: 'gzip',
      })
      producers.push(producer)
      // Many sends in one turn batch together; each resolves once acknowledged.
      const sends = []
      for (let i = 0; i < 3_000; i += 100)
        sends.push(producer.send(Array.from({ length: 100 }, (_, j) => event(i + j))))
      await Promise.all(sends)
      await producer.send(event(3_000))
      await producer.flush()

      const worker = createIngestWorker({
        kafka: { brokers, clientId: 'lake-ingest-it', logLevel: 0 },
        groupId: `g-${topic}`,
        topics: [topic],
        catalog,
        table: 'db.events',
        decode: serializer === 'json' ? 'json' : { avro, confluent: true },
        metadataColumns: { key: 'key', headers: 'headers' },
        commit: { intervalMs: 1_000 },
        consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 500 },
      })
      workers.push(worker)
      const running = worker.run()
      running.catch(() => {})
      await waitForCount(table, 3_001)
      await worker.stop()
      await running

      await table.refresh()
      const rows = (await table.scan().toArrow()).toArray().map((r) => r.toJSON())
      expect(rows).toHaveLength(3_001)
      const bySeq = new Map(rows.map((r) => [Number(r.seq), r]))
      expect(bySeq.size).toBe(3_001)
      for (const i of [0, 1, 7, 2_999, 3_000]) {
        const row = bySeq.get(i)!
        expect(row.k).toBe(`key-${i}`)
        expect(row.key).toBe(`key-${i}`)
        expect(Number(row.at)).toBe(event(i).at.getTime())
        // Arrow gives a decimal's unscaled value.
        const amount = event(i).amount
        expect(row.amount === null ? null : String(row.amount)).toBe(
          amount && String(BigInt(amount.replace('.', ''))),
        )
        expect(row.headers.toJSON()).toEqual({ source: 'it', parity: String(i % 2) })
      }
    })
  }
})
