// The ingest worker on the real Kafka and HDFS of the dev stack.
import { type HadoopCatalog, type Table, Types } from '@lake/catalog'
import { IngestError, type LakeHooks } from '@lake/errors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIngestWorker, type IngestWorker, type IngestWorkerOptions } from '../src/index.js'
import { heldBytesPerRow } from '../src/sink.js'
import {
  brokers,
  createTopic,
  event,
  eventSchema,
  hdfsCatalog,
  hdfsWarehouse,
  kafkaClient,
  produceEvents,
  readDeadLetters,
  requireStack,
  runId,
  scanKeys,
  summaryCount,
  tableProperties,
  waitForCount,
} from './stack.js'

const workers: IngestWorker[] = []

beforeAll(requireStack)
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop({ deadlineMs: 5_000 }).catch(() => {})))
})

async function setup(name: string, partitions: number) {
  const topic = `ingest-${name}-${runId}`
  await createTopic(topic, partitions)
  const catalog = hdfsCatalog(hdfsWarehouse(name))
  await catalog.createNamespace('db')
  const table = await catalog.createTable('db.events', { schema: eventSchema, properties: tableProperties })
  return { topic, catalog, table }
}

function start(catalog: HadoopCatalog, topic: string, extra: Partial<IngestWorkerOptions> = {}) {
  const worker = createIngestWorker({
    kafka: { brokers, clientId: 'lake-ingest-it', logLevel: 0 },
    groupId: `g-${topic}`,
    topics: [topic],
    catalog,
    table: 'db.events',
    metadataColumns: { partition: 'kafka_partition', offset: 'kafka_offset' },
    commit: { intervalMs: 1_000 },
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 500 },
    ...extra,
  })
  workers.push(worker)
  const running = worker.run()
  running.catch(() => {})
  return { worker, running }
}

/** How many members the workers' group of a topic has. */
async function groupMembers(topic: string): Promise<number> {
  const admin = kafkaClient().admin()
  await admin.connect()
  try {
    const { groups } = await admin.describeGroups([`g-${topic}`])
    return groups[0]!.members.length
  } finally {
    await admin.disconnect()
  }
}

/** The group's committed Kafka offsets of a topic, by partition. */
async function kafkaOffsets(topic: string): Promise<Record<string, string>> {
  const admin = kafkaClient().admin()
  await admin.connect()
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: `g-${topic}`, topics: [topic] })
    return Object.fromEntries(offsets!.partitions.map((p) => [String(p.partition), p.offset]))
  } finally {
    await admin.disconnect()
  }
}

/** The offsets of the group in the table's current snapshot, by partition. */
async function tableOffsets(catalog: HadoopCatalog, topic: string): Promise<Record<string, string>> {
  const table = await catalog.loadTable('db.events')
  return JSON.parse(table.currentSnapshot()!.summary[`lake.kafka.offsets.g-${topic}`]!)[topic]
}

async function expectExactlyOnce(table: Table, produced: number) {
  const { rows, keys } = await scanKeys(table)
  expect(rows).toBe(produced)
  expect(keys.size).toBe(produced)
}

describe('the ingest worker on Kafka and HDFS', () => {
  it('sends every bad record of a poison mix to the dead letters with its reason, and every good one to the table', async () => {
    const { topic, catalog, table } = await setup('poison', 2)
    const deadTopic = `${topic}.dead`
    await createTopic(deadTopic, 1)
    const good = (i: number) => ({
      key: `key-${i}`,
      value: JSON.stringify({
        k: `key-${i}`,
        seq: i,
        at: '2026-11-26T10:00:00Z',
        kind: 'view',
        amount: '1.25',
      }),
    })
    const bad: { value: string | Buffer; stage: string; code: string; field?: string }[] = [
      { value: '{"k":"x", "seq": ', stage: 'decode', code: 'LAKE_VALIDATION' },
      { value: '[1,2,3]', stage: 'decode', code: 'LAKE_VALIDATION' },
      {
        value: JSON.stringify({ k: 'x', seq: 'seven', at: '2026-11-26T10:00:00Z', kind: 'v' }),
        stage: 'validate',
        code: 'LAKE_VALIDATION',
        field: 'seq',
      },
      {
        value: JSON.stringify({ k: 'x', seq: 1, at: '2026-11-26T10:00:00', kind: 'v' }),
        stage: 'validate',
        code: 'LAKE_VALIDATION',
        field: 'at',
      },
      {
        value: JSON.stringify({ k: null, seq: 1, at: '2026-11-26T10:00:00Z', kind: 'v' }),
        stage: 'validate',
        code: 'LAKE_VALIDATION',
        field: 'k',
      },
      {
        value: JSON.stringify({
          k: 'x',
          seq: 1,
          at: '2026-11-26T10:00:00Z',
          kind: 'v',
          amount: '123456789.5',
        }),
        stage: 'validate',
        code: 'LAKE_VALIDATION',
        field: 'amount',
      },
      {
        value: JSON.stringify({ k: 'x', seq: 1, at: '2026-11-26T10:00:00Z', kind: 'v', color: 'red' }),
        stage: 'validate',
        code: 'LAKE_VALIDATION',
        field: 'color',
      },
      {
        value: JSON.stringify({
          k: 'x',
          seq: 1,
          at: '2026-11-26T10:00:00Z',
          kind: 'v',
          pad: 'x'.repeat(300_000),
        }),
        stage: 'size',
        code: 'LAKE_VALIDATION',
      },
      { value: Buffer.from([0xff, 0xfe, 0x00]), stage: 'decode', code: 'LAKE_VALIDATION' },
    ]
    const messages: { key: string; value: string | Buffer }[] = []
    let goods = 0
    for (let i = 0; i < 400; i++) {
      messages.push(good(i))
      goods++
      if (i % 40 === 0) {
        const b = bad[(i / 40) % bad.length]!
        messages.push({ key: `bad-${i}`, value: b.value })
      }
    }
    const badCount = messages.length - goods
    const producer = kafkaClient().producer()
    await producer.connect()
    await producer.send({ topic, messages })
    await producer.disconnect()

    const counters = new Map<string, number>()
    const hooks: Partial<LakeHooks> = {
      counter: (name, value = 1) => counters.set(name, (counters.get(name) ?? 0) + value),
    }
    const { worker } = start(catalog, topic, {
      deadLetter: { topic: deadTopic },
      maxRecordBytes: 100_000,
      hooks,
    })
    await waitForCount(table, goods)
    // Every offset is committed although the bad records wrote nothing.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    await worker.stop()
    await expectExactlyOnce(table, goods)
    expect(counters.get('lake.ingest.records.dead_lettered')).toBe(badCount)

    const letters = await readDeadLetters(deadTopic, badCount)
    expect(letters).toHaveLength(badCount)
    for (const letter of letters) {
      const i = Number(letter.key.slice(4))
      const expected = bad[(i / 40) % bad.length]!
      expect(letter.headers['lake.error.stage'], letter.headers['lake.error.message']).toBe(expected.stage)
      expect(letter.headers['lake.error.code']).toBe(expected.code)
      if (expected.field) expect(letter.headers['lake.error.field']).toBe(expected.field)
      expect(letter.headers['lake.source.topic']).toBe(topic)
      expect(letter.headers['lake.error.message']).not.toBe('')
      if (expected.stage === 'validate') expect(letter.headers['lake.table']).toBe('db.events')
    }
  })

  it('reads dropped rows again when the table holds no offset for their partition yet', async () => {
    const { topic, catalog, table } = await setup('rewind', 1)
    await table.updateSchema().addColumn('note', Types.string).commit()
    let buffered = 0
    const { worker } = start(catalog, topic, {
      commit: { intervalMs: 600_000 },
      hooks: {
        gauge: (name, value) => {
          if (name === 'lake.ingest.buffered.rows') buffered = value
        },
      },
    })
    await produceEvents(topic, 0, 1_000)
    const deadline = Date.now() + 60_000
    while (buffered < 1_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
    expect(buffered).toBe(1_000)
    // A rename the buffered rows cannot be carried over to: the commit drops them, and the table
    // has no offset of the partition to go back to.
    await (await catalog.loadTable('db.events')).updateSchema().renameColumn('note', 'memo').commit()
    const until = Date.now() + 60_000
    while ((await summaryCount(table)) < 1_000 && Date.now() < until) {
      await worker.flush()
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    await worker.stop()
    await expectExactlyOnce(table, 1_000)
  })

  it('routes rows to several tables, each with its own offsets, exactly once', async () => {
    const { topic, catalog, table } = await setup('route', 3)
    const clicks = await catalog.createTable('db.clicks', {
      schema: eventSchema,
      properties: tableProperties,
    })
    await produceEvents(topic, 0, 9_000)
    const { worker } = start(catalog, topic, {
      table: undefined,
      route: { by: 'kind', tables: { view: 'db.events', buy: 'db.events', click: 'db.clicks' } },
    })
    await waitForCount(clicks, 3_000)
    await waitForCount(table, 6_000)
    await worker.stop()
    const events = await scanKeys(table)
    const clicked = await scanKeys(clicks)
    expect(events.rows).toBe(6_000)
    expect(clicked.rows).toBe(3_000)
    expect(new Set([...events.keys, ...clicked.keys]).size).toBe(9_000)
    // Each table holds the offsets of every record consumed, routed to it or not.
    for (const t of [table, clicks]) {
      await t.refresh()
      const offsets = JSON.parse(t.currentSnapshot()!.summary[`lake.kafka.offsets.g-${topic}`]!)[topic]
      expect(Object.values(offsets).reduce((a: number, b) => a + Number(b), 0)).toBe(9_000)
    }
  })

  it("in 'fail' mode stops at the first refused record: run() rejects naming it, nothing from it on is committed, and the worker leaves the group", async () => {
    const { topic, catalog, table } = await setup('fail-mode', 1)
    await produceEvents(topic, 0, 500)
    const producer = kafkaClient().producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ key: 'bad', value: '{"k": "bad", "seq": ' }] })
    await producer.disconnect()
    await produceEvents(topic, 500, 1_000)
    // No dead-letter topic: the mode is 'fail'.
    const { running } = start(catalog, topic)
    const error = await running.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(IngestError)
    expect((error as IngestError).context).toMatchObject({
      topic,
      partition: 0,
      offset: '500',
      stage: 'decode',
    })
    // Whatever was committed came before the bad record, once.
    const { rows, keys } = await scanKeys(table)
    expect(keys.size).toBe(rows)
    for (const key of keys) expect(Number(key.slice('key-'.length))).toBeLessThan(500)
    expect(await groupMembers(topic)).toBe(0)
  })

  it('stopped while it starts, joins no group and leaves no consumer behind', async () => {
    const { topic, catalog } = await setup('stop-early', 2)
    const { worker, running } = start(catalog, topic)
    await worker.stop()
    await running
    // A consumer started after the stop would have joined within a few hundred milliseconds.
    await new Promise((r) => setTimeout(r, 3_000))
    expect(await groupMembers(topic)).toBe(0)
  })

  it('commits by commit.rows in commits of at least that many rows, not what arrived during the last one', async () => {
    const { topic, catalog, table } = await setup('commit-rows', 1)
    const produced = 40_000
    const rows = 5_000
    let buffered = 0
    const { worker } = start(catalog, topic, {
      commit: { intervalMs: 60_000, rows },
      hooks: {
        counter: (name, value = 1) => {
          if (name === 'lake.ingest.records.buffered') buffered += value
        },
      },
    })
    // Records arrive at about 10,000 a second, so that a few thousand arrive while a commit of
    // 5,000 rows runs on HDFS, each batch of them finding the buffer (the rows in flight counted)
    // over the limit.
    for (let from = 0; from < produced; from += 1_000) {
      await produceEvents(topic, from, from + 1_000)
      await new Promise((r) => setTimeout(r, 100))
    }
    const deadline = Date.now() + 120_000
    while (buffered < produced && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    await worker.stop()
    await expectExactlyOnce(table, produced)
    await table.refresh()
    const added = [...table.metadata.snapshots]
      .sort((a, b) => Number(a.sequenceNumber - b.sequenceNumber))
      .map((snapshot) => Number(snapshot.summary['added-records']))
    // Every commit but the one at stop was asked for by commit.rows: none is smaller.
    expect(added.slice(0, -1).every((n) => n >= rows)).toBe(true)
    expect(added.length).toBeGreaterThan(2)
    expect(added.length).toBeLessThanOrEqual(produced / rows + 1)
  })
})

// What depends on who fetches (seeking, pausing, the group's heartbeats), on both fetch paths.
describe.each(['lake', 'kafkajs'] as const)('the ingest worker fetching with %s', (fetchPath) => {
  it('ingests every record exactly once across a restart', async () => {
    const { topic, catalog, table } = await setup(`restart-${fetchPath}`, 3)
    await produceEvents(topic, 0, 6_000)
    const first = start(catalog, topic, { fetchPath })
    await waitForCount(table, 1)
    await produceEvents(topic, 6_000, 9_000)
    await first.worker.stop()
    await first.running
    // The stop's last commit told Kafka its offsets before the worker left the group.
    expect(await kafkaOffsets(topic)).toEqual(await tableOffsets(catalog, topic))
    await produceEvents(topic, 9_000, 12_000)
    const second = start(catalog, topic, { fetchPath })
    await waitForCount(table, 12_000)
    await second.worker.stop()
    await expectExactlyOnce(table, 12_000)
    // The offsets in the table are the ends of the partitions.
    const admin = kafkaClient().admin()
    await admin.connect()
    const ends = await admin.fetchTopicOffsets(topic)
    await admin.disconnect()
    const byPartition = Object.fromEntries(ends.map((e) => [String(e.partition), e.high]))
    expect(await tableOffsets(catalog, topic)).toEqual(byPartition)
    // Kafka's own offsets follow the table's, for lag monitoring.
    expect(await kafkaOffsets(topic)).toEqual(byPartition)
  })

  it('keeps exactly-once with three workers on six partitions while one stops and restarts', async () => {
    const { topic, catalog, table } = await setup(`three-${fetchPath}`, 6)
    // The workers' logs, shown if the table never gets every record.
    const logs: string[] = []
    const logTo = (name: string): Partial<IngestWorkerOptions> => ({
      fetchPath,
      hooks: {
        log: (event) => {
          if (event.level !== 'debug' || event.event === 'ingest.seek')
            logs.push(`${new Date().toISOString()} ${name} ${event.level} ${event.event}: ${event.message}`)
        },
      },
    })
    const producing = produceEvents(topic, 0, 30_000, 500)
    const a = start(catalog, topic, logTo('A'))
    const b = start(catalog, topic, logTo('B'))
    const c = start(catalog, topic, logTo('C'))
    await waitForCount(table, 5_000)
    await b.worker.stop()
    await b.running
    await waitForCount(table, 12_000)
    const b2 = start(catalog, topic, logTo('B2'))
    await producing
    try {
      await waitForCount(table, 30_000, 240_000)
    } catch (error) {
      // Whether records were skipped (the table's offsets at the ends) or a partition stalled.
      const admin = kafkaClient().admin()
      await admin.connect()
      const ends = await admin.fetchTopicOffsets(topic)
      await admin.disconnect()
      const summary = table.currentSnapshot()?.summary[`lake.kafka.offsets.g-${topic}`]
      const { rows, keys } = await scanKeys(table)
      throw new Error(
        `${(error as Error).message}; ${rows} rows, ${keys.size} keys; table offsets ${summary}; ` +
          `partition ends ${JSON.stringify(Object.fromEntries(ends.map((e) => [e.partition, e.high])))}\n` +
          logs.join('\n'),
      )
    }
    await Promise.all([a.worker.stop(), b2.worker.stop(), c.worker.stop()])
    await expectExactlyOnce(table, 30_000)
  })

  it('pauses fetching at maxBufferedBytes and resumes after commits free the buffer', async () => {
    const { topic, catalog, table } = await setup(`backpressure-${fetchPath}`, 2)
    await produceEvents(topic, 0, 10_000)
    let peak = 0
    let pauses = 0
    let consumed = 0
    const maxBufferedBytes = 256 * 1024
    const { worker } = start(catalog, topic, {
      fetchPath,
      maxBufferedBytes,
      commit: { intervalMs: 60_000, bytes: 10 * 1024 * 1024 },
      consumer: { maxBytesPerPartition: 64 * 1024, sessionTimeout: 10_000, heartbeatInterval: 1_000 },
      hooks: {
        gauge: (name, value) => {
          if (name === 'lake.ingest.buffered.bytes') peak = Math.max(peak, value)
        },
        counter: (name, value = 1) => {
          if (name === 'lake.ingest.backpressure.pauses') pauses += value
          if (name === 'lake.ingest.records.consumed') consumed += value
        },
      },
    })
    // The last rows, under the bound, would wait for the interval: the stop commits them once
    // every record is read.
    while (consumed < 10_000) await new Promise((resolve) => setTimeout(resolve, 100))
    await worker.stop()
    await expectExactlyOnce(table, 10_000)
    // Commits came from the memory bound alone (the interval and byte triggers are far off),
    // and the buffer never outgrew the bound by more than one fetch (64 KiB of records per
    // partition), counted as the memory its rows hold (see heldBytesPerRow).
    expect(pauses).toBeGreaterThan(0)
    const fetchRecords = Math.ceil((64 * 1024) / event(0).length)
    const perFetch = (64 * 1024) / 2 + fetchRecords * heldBytesPerRow(table.schema())
    expect(peak).toBeLessThan(maxBufferedBytes + 2 * perFetch)
  })
})
