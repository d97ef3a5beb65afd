// kafkajs on the real Kafka of `pnpm stack up kafka`. Run with
// `pnpm exec vitest run --config packages/stack/vitest.integration.config.ts`.
import { type Admin, type EachMessagePayload, Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kafkaBrokers, startKafka, stopKafka } from '../src/kafka.mjs'

const brokers = kafkaBrokers()
const run = `${Date.now().toString(36)}-${process.pid}`
const client = new Kafka({ clientId: `lake-it-${run}`, brokers, logLevel: logLevel.ERROR })
let admin: Admin
const created: string[] = []

beforeAll(async () => {
  admin = client.admin()
  try {
    await admin.connect()
    await admin.describeCluster()
  } catch (error) {
    await admin.disconnect()
    throw new Error(
      `Kafka is not up at ${brokers} (${(error as Error).message}). Run \`pnpm stack up kafka\` first.`,
    )
  }
})

afterAll(async () => {
  if (created.length > 0) await admin.deleteTopics({ topics: created }).catch(() => {})
  await admin.disconnect()
})

async function createTopic(name: string, numPartitions: number) {
  const topic = `lake-it-${name}-${run}`
  const ok = await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true })
  expect(ok).toBe(true)
  created.push(topic)
  return topic
}

describe('Kafka of the dev stack', () => {
  it('creates a topic with the partitions asked for, led by the one node', async () => {
    const topic = await createTopic('describe', 3)
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2])
    const cluster = await admin.describeCluster()
    for (const partition of topics[0]!.partitions) {
      expect(partition.leader).toBe(cluster.brokers[0]!.nodeId)
      expect(partition.isr).toEqual([partition.leader])
    }
    expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toEqual(brokers)
  })

  it('refuses to create a topic that exists', async () => {
    const topic = await createTopic('twice', 1)
    expect(await admin.createTopics({ topics: [{ topic }] })).toBe(false)
  })

  it('does not create a topic a producer names', async () => {
    const topic = `lake-it-unknown-${run}`
    const quiet = new Kafka({ clientId: `lake-it-${run}`, brokers, logLevel: logLevel.NOTHING })
    const producer = quiet.producer({ allowAutoTopicCreation: true, retry: { retries: 1 } })
    await producer.connect()
    try {
      await expect(producer.send({ topic, messages: [{ value: 'x' }] })).rejects.toMatchObject({
        cause: { type: 'UNKNOWN_TOPIC_OR_PARTITION' },
      })
    } finally {
      await producer.disconnect()
    }
    expect(await admin.listTopics()).not.toContain(topic)
  })

  it('delivers every produced record to a consumer group, in order per key', async () => {
    const topic = await createTopic('roundtrip', 3)
    const producer = client.producer()
    await producer.connect()
    const keys = ['a', 'b', 'c', 'd']
    const sent = Array.from({ length: 200 }, (_, i) => ({ key: keys[i % keys.length]!, value: String(i) }))
    try {
      for (let i = 0; i < sent.length; i += 50) {
        await producer.send({ topic, acks: -1, messages: sent.slice(i, i + 50) })
      }
    } finally {
      await producer.disconnect()
    }
    const offsets = await admin.fetchTopicOffsets(topic)
    expect(offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)).toBe(sent.length)

    const consumer = client.consumer({ groupId: `lake-it-group-${run}` })
    const received: Array<{ key: string; value: string; partition: number }> = []
    await consumer.connect()
    try {
      await consumer.subscribe({ topic, fromBeginning: true })
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message, partition }: EachMessagePayload) => {
            received.push({ key: message.key!.toString(), value: message.value!.toString(), partition })
            if (received.length === sent.length) resolve()
          },
        })
      })
      await Promise.race([
        done,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`${received.length} records`)), 60_000)),
      ])
    } finally {
      await consumer.disconnect()
    }
    expect(received.map((r) => Number(r.value)).sort((x, y) => x - y)).toEqual(sent.map((_, i) => i))
    for (const key of keys) {
      const ofKey = received.filter((r) => r.key === key)
      expect(new Set(ofKey.map((r) => r.partition)).size).toBe(1)
      const values = ofKey.map((r) => Number(r.value))
      expect(values).toEqual([...values].sort((x, y) => x - y))
    }
    // The group committed the end of every partition it read (an empty one has no commit: -1).
    const committed = await admin.fetchOffsets({ groupId: `lake-it-group-${run}`, topics: [topic] })
    const ends = new Map(offsets.map((p) => [p.partition, p.high === '0' ? '-1' : p.high]))
    expect(committed[0]!.partitions.map((p) => [p.partition, p.offset])).toEqual(
      [...ends].sort(([a], [b]) => a - b),
    )
  })

  // Last: the broker is away for a few seconds (other files run before or after, never meanwhile).
  it('keeps topics and records across stopKafka and startKafka', async () => {
    const topic = await createTopic('restart', 2)
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'before the restart' }] })
    await producer.disconnect()

    expect(await stopKafka(process.env, () => {})).toBe(true)
    const probe = new Kafka({
      clientId: `lake-it-${run}`,
      brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    })
    const away = probe.admin()
    await expect(away.connect()).rejects.toThrow(/ECONNREFUSED/)
    await startKafka(process.env, () => {})

    const again = client.producer()
    await again.connect()
    await again.send({ topic, acks: -1, messages: [{ key: 'k', value: 'after the restart' }] })
    await again.disconnect()
    const consumer = client.consumer({ groupId: `lake-it-restart-${run}` })
    const values: string[] = []
    await consumer.connect()
    try {
      await consumer.subscribe({ topic, fromBeginning: true })
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read ${values.length} records`)), 60_000)
        void consumer.run({
          eachMessage: async ({ message }) => {
            values.push(message.value!.toString())
            if (values.length === 2) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
      })
    } finally {
      await consumer.disconnect()
    }
    expect(values).toEqual(['before the restart', 'after the restart'])
  })
})
