// Helpers for the integration tests on the dev stack (`pnpm stack up kafka hdfs`).
import { col, defineSchema, HadoopCatalog, ResolvingFileIO, type Table, WebHdfsFileIO } from '@lake/catalog'
import { Kafka, logLevel } from 'kafkajs'
import { createProducer } from '../src/index.js'

// The stack's own helpers, by path: @lake/stack is a private package, not a dependency of this one.
const stackSrc = new URL('../../stack/src/', import.meta.url)
const { hdfsEndpoints } = (await import(new URL('hdfs.mjs', stackSrc).href)) as {
  hdfsEndpoints(): { fsUri: string; namenodeHttp: string }
}
const { kafkaBrokers } = (await import(new URL('kafka.mjs', stackSrc).href)) as { kafkaBrokers(): string[] }

export const brokers: string[] = kafkaBrokers()
export const hdfs = hdfsEndpoints()
export const runId = `${Date.now().toString(36)}-${process.pid}`

/** A kafkajs client that logs only errors. */
export function kafkaClient(clientId = 'lake-ingest-it'): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } })
}

/** Fails fast, with the command to run, when Kafka or HDFS is not up. */
export async function requireStack(): Promise<void> {
  const admin = kafkaClient().admin()
  try {
    await admin.connect()
    await admin.listTopics()
  } catch (error) {
    throw new Error(
      `Kafka is not up at ${brokers} (${(error as Error).message}). Run \`pnpm stack up kafka\` first.`,
    )
  } finally {
    await admin.disconnect().catch(() => {})
  }
  try {
    const response = await fetch(`${hdfs.namenodeHttp}/webhdfs/v1/?op=GETFILESTATUS&user.name=lake`, {
      signal: AbortSignal.timeout(5_000),
    })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
  } catch (error) {
    throw new Error(
      `HDFS is not up at ${hdfs.namenodeHttp} (${(error as Error).message}). Run \`pnpm stack up hdfs\` first.`,
    )
  }
}

/** A dead letter as read back: its key as text and its headers as text. */
export interface ReadLetter {
  key: string
  headers: Record<string, string>
}

/** Reads the first `count` records of a dead-letter topic from its beginning, with a group of its own. */
export async function readDeadLetters(topic: string, count: number): Promise<ReadLetter[]> {
  const letters: ReadLetter[] = []
  const consumer = kafkaClient().consumer({ groupId: `read-${topic}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        )
        letters.push({ key: String(message.key), headers })
        if (letters.length >= count) resolve()
      },
    })
  })
  await consumer.disconnect()
  return letters
}

/** Creates a topic with `partitions` partitions and waits until it has leaders. */
export async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafkaClient().admin()
  await admin.connect()
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    })
  } finally {
    await admin.disconnect()
  }
}

/**
 * Deletes what a benchmark of this process left on the stack: its topics, and its warehouses
 * (under this run's directory). A benchmark produces a million events or more a run, and the dev
 * stack keeps whatever it is given: left behind, runs fill the disk until HDFS refuses writes.
 */
export async function removeRunData(topics: readonly string[]): Promise<void> {
  const admin = kafkaClient().admin()
  await admin.connect()
  try {
    await admin.deleteTopics({ topics: [...topics] })
  } finally {
    await admin.disconnect()
  }
  await hdfsIo().delete(runDirectory(), { recursive: true })
}

/** The HDFS directory of this process's warehouses. */
function runDirectory(): string {
  return `${hdfs.fsUri}/lake-it/ingest-${runId}`
}

/** The dev stack's HDFS through WebHDFS, as user `lake`. */
function hdfsIo(): WebHdfsFileIO {
  return new WebHdfsFileIO({ namenodes: [hdfs.namenodeHttp], user: 'lake' })
}

/** The HDFS warehouse of one test, through WebHDFS. */
export function hdfsWarehouse(name: string): string {
  return `${runDirectory()}/${name}`
}

/** A Hadoop catalog on HDFS. */
export function hdfsCatalog(warehouse: string): HadoopCatalog {
  const io = hdfsIo()
  return new HadoopCatalog({ warehouse, io: new ResolvingFileIO({ hdfs: () => io }) })
}

/** The events of the tests: a key (`k`), a sequence number and a few typed fields. */
export const eventSchema = defineSchema({
  k: col.string().required(),
  seq: col.long().required(),
  at: col.timestamptz().required(),
  kind: col.string().required(),
  amount: col.decimal(10, 2),
  kafka_partition: col.int(),
  kafka_offset: col.long(),
})

/** Fast commit retries: tests race several workers on one table. */
export const tableProperties = {
  'commit.retry.min-wait-ms': '5',
  'commit.retry.max-wait-ms': '200',
  'commit.retry.num-retries': '30',
}

/** The JSON value of event `i`. */
export function event(i: number): string {
  return JSON.stringify({
    k: `key-${i}`,
    seq: i,
    at: new Date(1_764_000_000_000 + i * 1000).toISOString(),
    kind: ['view', 'click', 'buy'][i % 3],
    amount: (i % 10_000) / 100,
  })
}

/** Produces events [from, to) keyed by `key-i`, in batches; keys spread them over the partitions. */
export async function produceEvents(topic: string, from: number, to: number, batch = 2_000): Promise<void> {
  const producer = createProducer<number>({
    kafka: kafkaClient('lake-ingest-it-producer'),
    topic,
    serializer: event,
    key: (i) => `key-${i}`,
    batch: { maxRecords: batch },
  })
  try {
    for (let start = from; start < to; start += batch) {
      await producer.send(Array.from({ length: Math.min(to, start + batch) - start }, (_, j) => start + j))
    }
  } finally {
    await producer.close()
  }
}

/** Records in the table per its current snapshot's summary (cheap; no scan). */
export async function summaryCount(table: Table): Promise<number> {
  await table.refresh()
  return Number(table.currentSnapshot()?.summary['total-records'] ?? 0)
}

/** Waits until the table holds at least `count` records, failing after `timeoutMs`. */
export async function waitForCount(table: Table, count: number, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const n = await summaryCount(table)
    if (n >= count) return n
    if (Date.now() > deadline)
      throw new Error(`The table holds ${n} records after ${timeoutMs} ms, not ${count}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

/** Every key in the table, by a full scan, and the number of rows. */
export async function scanKeys(table: Table): Promise<{ rows: number; keys: Set<string> }> {
  await table.refresh()
  const keys = new Set<string>()
  let rows = 0
  for await (const batch of table.scan({ columns: ['k'] }).batches()) {
    const column = batch.getChild('k')!
    for (let i = 0; i < batch.numRows; i++) keys.add(column.get(i) as string)
    rows += batch.numRows
  }
  return { rows, keys }
}
