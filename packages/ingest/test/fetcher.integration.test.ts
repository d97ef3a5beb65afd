// Lake's fetch path against the dev stack's Kafka, checked against kafkajs's own consumer.
import { CompressionTypes, type IHeaders } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fetcher, type FetcherOptions } from '../src/kafka/fetcher.js'
import type { KafkaRecord } from '../src/kafka/record-batch.js'
import { brokers, kafkaClient, requireStack, runId } from './stack.js'

const topic = `fetcher-${runId}`
const kafka = kafkaClient('lake-fetcher-it')
const options = (overrides: Partial<FetcherOptions> = {}): FetcherOptions => ({
  brokers,
  clientId: 'lake-fetcher-it',
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  readCommitted: true,
  maxWaitMs: 200,
  minBytes: 1,
  maxBytes: 10 * 2 ** 20,
  maxBytesPerPartition: 64 * 1024,
  resetTo: 'earliest',
  retries: 5,
  ...overrides,
})

/** What both consumers are compared on. */
interface Seen {
  partition: number
  offset: number
  timestamp: number
  key: string | null
  value: string | null
  headers: Record<string, string | string[]>
}

function seen(partition: number, record: KafkaRecord): Seen {
  return {
    partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key?.toString() ?? null,
    value: record.value?.toString() ?? null,
    headers: textHeaders(record.headers as IHeaders),
  }
}

function textHeaders(headers: IHeaders | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.map(String) : String(value)
  }
  return out
}

/** Fetches until every partition reaches `ends`, from `starts`. */
async function fetchAll(
  fetcher: Fetcher,
  ends: Map<number, number>,
): Promise<{ seen: Seen[]; fetched: Map<number, number> }> {
  const out: Seen[] = []
  const reached = new Map<number, number>()
  const fetched = new Map<number, number>()
  const deadline = Date.now() + 30_000
  while ([...ends].some(([p, end]) => (reached.get(p) ?? -1) < end)) {
    if (Date.now() > deadline) throw new Error(`Fetching stalled at ${JSON.stringify([...reached])}`)
    for (const batch of await fetcher.next()) {
      fetched.set(batch.partition, (fetched.get(batch.partition) ?? 0) + 1)
      for (const record of batch.records) out.push(seen(batch.partition, record))
      reached.set(batch.partition, batch.nextOffset)
    }
  }
  return { seen: out, fetched }
}

/** Everything kafkajs's consumer (read_committed, as its default) returns, in the same form. */
async function kafkajsSees(ends: Map<number, number>): Promise<Seen[]> {
  const consumer = kafka.consumer({ groupId: `fetcher-check-${runId}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const out: Seen[] = []
  const reached = new Map<number, number>()
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          out.push({
            partition: batch.partition,
            offset: Number(m.offset),
            timestamp: Number(m.timestamp),
            key: m.key?.toString() ?? null,
            value: m.value?.toString() ?? null,
            headers: textHeaders(m.headers),
          })
        }
        reached.set(batch.partition, Number(batch.lastOffset()) + 1)
        if ([...ends].every(([p, end]) => (reached.get(p) ?? 0) >= end)) resolve()
      },
    })
  })
  await consumer.disconnect()
  return out
}

const order = (rows: Seen[]) => [...rows].sort((a, b) => a.partition - b.partition || a.offset - b.offset)

describe('Fetcher on Kafka', () => {
  let ends: Map<number, number>

  beforeAll(async () => {
    await requireStack()
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })
    await admin.disconnect()
    const producer = kafka.producer()
    await producer.connect()
    const many = Array.from({ length: 3_000 }, (_, i) => ({
      key: `k${i}`,
      value: JSON.stringify({ i, pad: 'x'.repeat(i % 97) }),
      partition: i % 2,
      headers: i % 10 === 0 ? { source: 'it', dup: ['a', 'b'] } : {},
    }))
    await producer.send({ topic, messages: many.slice(0, 1_000) })
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: many.slice(1_000, 2_000) })
    await producer.send({ topic, messages: [{ key: null, value: null, partition: 0 }] })
    await producer.disconnect()
    // An aborted transaction and a committed one, interleaved with plain records.
    const transactional = kafka.producer({
      transactionalId: `fetcher-tx-${runId}`,
      maxInFlightRequests: 1,
      idempotent: true,
    })
    await transactional.connect()
    const aborted = await transactional.transaction()
    await aborted.send({
      topic,
      messages: [0, 1].map((partition) => ({ partition, value: `aborted-${partition}` })),
    })
    await aborted.abort()
    const committed = await transactional.transaction()
    await committed.send({
      topic,
      messages: [0, 1].map((partition) => ({ partition, value: `committed-${partition}` })),
    })
    await committed.commit()
    await transactional.disconnect()
    const plain = kafka.producer()
    await plain.connect()
    await plain.send({ topic, messages: many.slice(2_000) })
    await plain.disconnect()
    const admin2 = kafka.admin()
    await admin2.connect()
    const offsets = await admin2.fetchTopicOffsets(topic)
    await admin2.disconnect()
    ends = new Map(offsets.map((o) => [o.partition, Number(o.high)]))
  }, 60_000)

  afterAll(async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.deleteTopics({ topics: [topic] }).catch(() => {})
    await admin.disconnect()
  })

  it('returns what kafkajs returns: offsets, timestamps, keys, values, headers; no aborted records or markers', async () => {
    const fetcher = new Fetcher(options({ maxBytesPerPartition: 16 * 1024 }))
    fetcher.assign([0, 1].map((partition) => ({ topic, partition, offset: 'earliest' as const })))
    try {
      const ours = await fetchAll(fetcher, ends)
      const theirs = await kafkajsSees(ends)
      expect(ours.seen.length).toBe(3_003)
      expect(order(ours.seen)).toEqual(order(theirs))
      expect(ours.seen.some((s) => s.value?.startsWith('aborted'))).toBe(false)
      expect(ours.seen.filter((s) => s.value?.startsWith('committed')).length).toBe(2)
      // 16 KiB per partition per fetch: each partition took several.
      expect(Math.min(...ours.fetched.values())).toBeGreaterThan(1)
    } finally {
      fetcher.close()
    }
  }, 60_000)

  it('starts where it is sought, also inside a compressed batch, and drops what was fetched before', async () => {
    const fetcher = new Fetcher(options())
    fetcher.assign([{ topic, partition: 0, offset: 0n }])
    try {
      expect((await fetcher.next()).length).toBeGreaterThan(0)
      // Offset 700 of partition 0 is inside the gzip batch (records 1,000–1,999 of the topic).
      fetcher.seek(topic, 0, 700n)
      const { seen: after } = await fetchAll(fetcher, new Map([[0, ends.get(0)!]]))
      expect(after[0]!.offset).toBe(700)
      expect(after.map((s) => s.offset)).toEqual([...after.map((s) => s.offset)].sort((a, b) => a - b))
      expect(new Set(after.map((s) => s.offset)).size).toBe(after.length)
    } finally {
      fetcher.close()
    }
  }, 60_000)

  it('starts again from the earliest offset when its position is past the log', async () => {
    const warnings: string[] = []
    const fetcher = new Fetcher(options({ log: (_level, message) => warnings.push(message) }))
    fetcher.assign([{ topic, partition: 1, offset: 10_000_000n }])
    try {
      let first: number | undefined
      while (first === undefined) {
        const batches = await fetcher.next()
        first = batches.find((b) => b.records.length)?.records.offset(0)
      }
      expect(first).toBe(0)
      expect(warnings.join('\n')).toMatch(
        /Offset 10000000 of .*\/1 is out of range; starting from the earliest offset/,
      )
    } finally {
      fetcher.close()
    }
  }, 60_000)

  it('fails, naming the broker, when no broker can be reached', async () => {
    const fetcher = new Fetcher(options({ brokers: ['127.0.0.1:1'], retries: 1 }))
    fetcher.assign([{ topic, partition: 0, offset: 0n }])
    try {
      await fetcher.next()
      await expect(fetcher.next()).rejects.toThrow(/Kafka broker 127\.0\.0\.1:1 failed/)
    } finally {
      fetcher.close()
    }
  }, 30_000)
})
