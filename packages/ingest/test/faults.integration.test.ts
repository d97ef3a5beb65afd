// The ingest worker while the dev stack's Kafka broker and HDFS NameNode restart mid-stream:
// no record is lost or duplicated. Restarts affect every user of the stack for a few seconds.
import type { HadoopCatalog } from '@lake/catalog'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIngestWorker, type IngestWorker } from '../src/index.js'
import {
  brokers,
  createTopic,
  eventSchema,
  hdfsCatalog,
  hdfsWarehouse,
  produceEvents,
  requireStack,
  runId,
  scanKeys,
  tableProperties,
  waitForCount,
} from './stack.js'

const stackSrc = new URL('../../stack/src/', import.meta.url)
const { startKafka, stopKafka } = (await import(new URL('kafka.mjs', stackSrc).href)) as {
  startKafka(env?: NodeJS.ProcessEnv, log?: (m: string) => void): Promise<void>
  stopKafka(env?: NodeJS.ProcessEnv, log?: (m: string) => void): Promise<boolean>
}
const { startHdfsDaemon, stopHdfsDaemon } = (await import(new URL('hdfs.mjs', stackSrc).href)) as {
  startHdfsDaemon(which: 'namenode', env?: NodeJS.ProcessEnv, log?: (m: string) => void): Promise<void>
  stopHdfsDaemon(which: 'namenode'): Promise<boolean>
}

const workers: IngestWorker[] = []
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

beforeAll(requireStack)
afterAll(async () => {
  await startKafka(process.env, () => {})
  await startHdfsDaemon('namenode', process.env, () => {})
  await Promise.all(workers.map((w) => w.stop({ deadlineMs: 5_000 }).catch(() => {})))
})

async function setup(name: string) {
  const topic = `ingest-${name}-${runId}`
  await createTopic(topic, 3)
  const catalog = hdfsCatalog(hdfsWarehouse(name))
  await catalog.createNamespace('db')
  const table = await catalog.createTable('db.events', { schema: eventSchema, properties: tableProperties })
  return { topic, catalog, table }
}

function start(catalog: HadoopCatalog, topic: string) {
  const worker = createIngestWorker({
    kafka: {
      brokers,
      clientId: 'lake-ingest-faults',
      logLevel: 0,
      retry: { retries: 20, maxRetryTime: 5_000 },
    },
    groupId: `g-${topic}`,
    topics: [topic],
    catalog,
    table: 'db.events',
    commit: { intervalMs: 1_000 },
    commitRetries: 10,
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 500 },
  })
  workers.push(worker)
  const running = worker.run()
  running.catch(() => {})
  return worker
}

describe('the ingest worker through stack faults', () => {
  it('loses and duplicates nothing when the Kafka broker restarts mid-stream', async () => {
    const { topic, catalog, table } = await setup('broker-restart')
    await produceEvents(topic, 0, 10_000)
    const worker = start(catalog, topic)
    await waitForCount(table, 1)
    await stopKafka(process.env, () => {})
    await sleep(3_000)
    await startKafka(process.env, () => {})
    await produceEvents(topic, 10_000, 20_000)
    await waitForCount(table, 20_000, 300_000)
    await worker.stop()
    const { rows, keys } = await scanKeys(table)
    expect(rows).toBe(20_000)
    expect(keys.size).toBe(20_000)
  })

  it('loses and duplicates nothing when the HDFS NameNode restarts mid-stream', async () => {
    const { topic, catalog, table } = await setup('namenode-restart')
    const producing = produceEvents(topic, 0, 20_000, 500)
    const worker = start(catalog, topic)
    await waitForCount(table, 1)
    await stopHdfsDaemon('namenode')
    await sleep(3_000)
    await startHdfsDaemon('namenode', process.env, () => {})
    await producing
    await waitForCount(table, 20_000, 300_000)
    await worker.stop()
    const { rows, keys } = await scanKeys(table)
    expect(rows).toBe(20_000)
    expect(keys.size).toBe(20_000)
  })
})
