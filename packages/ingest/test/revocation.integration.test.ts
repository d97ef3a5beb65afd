// Revocation on the real Kafka and HDFS of the dev stack: a worker that holds buffered rows when a
// second worker joins commits them before the group's new assignment, within its budget, or
// abandons the commit and rejoins in time; either way no record is lost or duplicated.
import {
  type FileIO,
  type FileStatus,
  HadoopCatalog,
  ResolvingFileIO,
  type Table,
  WebHdfsFileIO,
  type WriteOptions,
} from '@lake/catalog'
import type { LakeHooks } from '@lake/errors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIngestWorker, type IngestWorker, type IngestWorkerOptions } from '../src/index.js'
import {
  brokers,
  createTopic,
  eventSchema,
  hdfs,
  hdfsCatalog,
  hdfsWarehouse,
  kafkaClient,
  produceEvents,
  requireStack,
  runId,
  scanKeys,
  summaryCount,
  tableProperties,
} from './stack.js'

const workers: IngestWorker[] = []

beforeAll(requireStack)
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop({ deadlineMs: 5_000 }).catch(() => {})))
})

/** What both workers of a test reported, in the order they reported it. */
interface Reported {
  worker: string
  name: string
  value: number
  tags: Record<string, unknown>
}

function recorder(reported: Reported[], worker: string): Partial<LakeHooks> {
  return {
    counter: (name, value = 1, tags = {}) => reported.push({ worker, name, value, tags }),
    histogram: (name, value, tags = {}) => reported.push({ worker, name, value, tags }),
    log: (event) => reported.push({ worker, name: event.event, value: 0, tags: event.fields ?? {} }),
  }
}

function total(reported: Reported[], worker: string, name: string): number {
  return reported.filter((r) => r.worker === worker && r.name === name).reduce((n, r) => n + r.value, 0)
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A FileIO whose next metadata commit (the rename onto `vN.metadata.json`), once armed, waits `delayMs`. */
class SlowCommitIO implements FileIO {
  readonly #io: FileIO
  #delayMs = 0
  delayed = 0

  constructor(io: FileIO) {
    this.#io = io
  }

  /** Delays the next rename by `delayMs`. */
  arm(delayMs: number): void {
    this.#delayMs = delayMs
  }

  async renameIfAbsent(from: string, to: string): Promise<boolean> {
    const delay = this.#delayMs
    this.#delayMs = 0
    if (delay > 0) {
      this.delayed++
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
    return this.#io.renameIfAbsent(from, to)
  }
  exists(location: string): Promise<boolean> {
    return this.#io.exists(location)
  }
  stat(location: string): Promise<FileStatus> {
    return this.#io.stat(location)
  }
  read(location: string): Promise<Uint8Array> {
    return this.#io.read(location)
  }
  readRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    return this.#io.readRange(location, offset, length)
  }
  open(location: string) {
    return this.#io.open(location)
  }
  readStream(location: string, range?: { offset?: number; length?: number }): AsyncIterable<Uint8Array> {
    return this.#io.readStream(location, range)
  }
  write(
    location: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    options?: WriteOptions,
  ): Promise<void> {
    return this.#io.write(location, data, options)
  }
  delete(location: string, options?: { recursive?: boolean }): Promise<void> {
    return this.#io.delete(location, options)
  }
  list(location: string): AsyncIterable<FileStatus> {
    return this.#io.list(location)
  }
  mkdirs(location: string): Promise<void> {
    return this.#io.mkdirs(location)
  }
}

async function setup(name: string) {
  const topic = `ingest-${name}-${runId}`
  await createTopic(topic, 3)
  const warehouse = hdfsWarehouse(name)
  const catalog = hdfsCatalog(warehouse)
  await catalog.createNamespace('db')
  const table = await catalog.createTable('db.events', { schema: eventSchema, properties: tableProperties })
  return { topic, warehouse, catalog, table }
}

// A commit interval far longer than the test: the only commits are the revocation's and the stop's.
const holding: Partial<IngestWorkerOptions> = { commit: { intervalMs: 600_000 } }

function start(catalog: HadoopCatalog, topic: string, options: Partial<IngestWorkerOptions>) {
  const worker = createIngestWorker({
    kafka: { brokers, clientId: 'lake-ingest-revocation', logLevel: 0 },
    groupId: `g-${topic}`,
    topics: [topic],
    catalog,
    table: 'db.events',
    metadataColumns: { partition: 'kafka_partition', offset: 'kafka_offset' },
    ...options,
  })
  workers.push(worker)
  const running = worker.run()
  running.catch(() => {})
  return { worker, running }
}

async function partitionEnds(topic: string): Promise<Record<string, string>> {
  const admin = kafkaClient().admin()
  await admin.connect()
  try {
    const ends = await admin.fetchTopicOffsets(topic)
    return Object.fromEntries(ends.map((e) => [String(e.partition), e.high]))
  } finally {
    await admin.disconnect()
  }
}

function storedOffsets(table: Table, topic: string, snapshotIndex: number): unknown {
  const snapshot = table.metadata.snapshots[snapshotIndex]!
  return JSON.parse(snapshot.summary[`lake.kafka.offsets.g-${topic}`]!)[topic]
}

/** The partitions of the first assignment that `worker` logged after `from`. */
function assignedAfter(reported: Reported[], worker: string, from: number): number {
  const event = reported.slice(from).find((r) => r.worker === worker && r.name === 'ingest.assigned')
  if (!event) return -1
  const assignment = event.tags.assignment as Record<string, number[]>
  return Object.values(assignment).reduce((n, p) => n + p.length, 0)
}

describe('revocation on Kafka and HDFS', () => {
  it('commits what it holds before the group reassigns the partitions, so the next owner reads none of it again', async () => {
    const { topic, catalog, table } = await setup('revoke-commit')
    const consumer = {
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 20_000,
      maxWaitTimeInMs: 500,
    }
    await produceEvents(topic, 0, 3_000)
    const reported: Reported[] = []
    const a = start(catalog, topic, { ...holding, consumer, hooks: recorder(reported, 'A') })
    await until(
      'A buffered every record',
      () => total(reported, 'A', 'lake.ingest.records.buffered') === 3_000,
    )
    await table.refresh()
    expect(table.metadata.snapshots).toHaveLength(0)
    const firstEnds = await partitionEnds(topic)

    const joined = reported.length
    const b = start(catalog, topic, { ...holding, consumer, hooks: recorder(reported, 'B') })
    await until('B was assigned partitions', () => assignedAfter(reported, 'B', joined) > 0)
    await until('A was assigned again', () => assignedAfter(reported, 'A', joined) > 0)

    // A committed its rows once, in the revocation, before B's assignment was given out.
    const revocations = reported.filter((r) => r.name === 'lake.ingest.revocation.flush_ms')
    expect(revocations.map((r) => `${r.worker}:${r.tags.outcome}`)).toEqual(['A:committed'])
    console.log(`revocation: committed 3 000 rows in ${Math.round(revocations[0]!.value)} ms`)
    const commit = reported.findIndex((r) => r.worker === 'A' && r.name === 'ingest.commit')
    const assignedB = reported.findIndex(
      (r, i) => i >= joined && r.worker === 'B' && r.name === 'ingest.assigned',
    )
    expect(commit).toBeGreaterThan(joined)
    expect(commit).toBeLessThan(assignedB)
    expect(total(reported, 'A', 'lake.ingest.commits')).toBe(1)
    await table.refresh()
    expect(table.metadata.snapshots).toHaveLength(1)
    expect(table.currentSnapshot()!.summary['added-records']).toBe('3000')
    expect(storedOffsets(table, topic, 0)).toEqual(firstEnds)

    // Both go on from the table's offsets: nobody buffers a record of the first 3 000 again.
    await produceEvents(topic, 3_000, 4_500)
    await until(
      'the new records were buffered',
      () =>
        total(reported, 'A', 'lake.ingest.records.buffered') +
          total(reported, 'B', 'lake.ingest.records.buffered') >=
        4_500,
    )
    await Promise.all([a.worker.stop(), b.worker.stop()])
    expect(
      total(reported, 'A', 'lake.ingest.records.buffered') +
        total(reported, 'B', 'lake.ingest.records.buffered'),
    ).toBe(4_500)
    expect(total(reported, 'B', 'lake.ingest.records.buffered')).toBeGreaterThan(0)
    const { rows, keys } = await scanKeys(table)
    expect(rows).toBe(4_500)
    expect(keys.size).toBe(4_500)
    await table.refresh()
    expect(storedOffsets(table, topic, table.metadata.snapshots.length - 1)).toEqual(
      await partitionEnds(topic),
    )
  })

  it('abandons a commit that outlasts the budget, rejoins within the rebalance timeout, and the commit landing late duplicates nothing', async () => {
    const { topic, warehouse, table } = await setup('revoke-abandon')
    const slow = new SlowCommitIO(new WebHdfsFileIO({ namenodes: [hdfs.namenodeHttp], user: 'lake' }))
    const slowCatalog = new HadoopCatalog({ warehouse, io: new ResolvingFileIO({ hdfs: () => slow }) })
    // The budget outlasts the session: the worker must heartbeat while it holds its rejoin.
    const consumer = {
      sessionTimeout: 6_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 20_000,
      maxWaitTimeInMs: 500,
    }
    await produceEvents(topic, 0, 3_000)
    const reported: Reported[] = []
    const a = start(slowCatalog, topic, {
      ...holding,
      consumer,
      revocation: { budgetMs: 8_000 },
      hooks: recorder(reported, 'A'),
    })
    await until(
      'A buffered every record',
      () => total(reported, 'A', 'lake.ingest.records.buffered') === 3_000,
    )

    // A's next commit stays in flight well past its budget, then lands (or loses the race).
    slow.arm(16_000)
    const joined = reported.length
    const startedB = performance.now()
    const b = start(hdfsCatalog(warehouse), topic, {
      commit: { intervalMs: 1_000 },
      consumer,
      hooks: recorder(reported, 'B'),
    })
    await until('B was assigned partitions', () => assignedAfter(reported, 'B', joined) > 0)
    const rebalanceMs = performance.now() - startedB
    await until('A was assigned again', () => assignedAfter(reported, 'A', joined) > 0)

    const revocations = reported.filter((r) => r.name === 'lake.ingest.revocation.flush_ms')
    expect(revocations.map((r) => `${r.worker}:${r.tags.outcome}`)).toEqual(['A:abandoned'])
    expect(slow.delayed).toBe(1)
    // A rejoined in time: B's first assignment shares the partitions with it, rather than taking
    // all three from a member the broker removed (which would also have made A rejoin again).
    expect(assignedAfter(reported, 'B', joined)).toBeLessThan(3)
    expect(assignedAfter(reported, 'A', joined)).toBe(3 - assignedAfter(reported, 'B', joined))
    console.log(
      `revocation: abandoned after ${Math.round(revocations[0]!.value)} ms; B assigned ${Math.round(rebalanceMs)} ms after it started`,
    )

    // The late commit settles: it lands, or loses partitions B committed first and drops them.
    await until(
      "A's late commit settled",
      () =>
        reported
          .slice(joined)
          .some(
            (r) => r.worker === 'A' && (r.name === 'ingest.commit' || r.name === 'ingest.partition.lost'),
          ),
      60_000,
    )
    const late = reported.slice(joined).filter((r) => r.worker === 'A' && r.name.startsWith('ingest.'))
    console.log(`A after the revocation: ${late.map((r) => r.name).join(', ')}`)

    await produceEvents(topic, 3_000, 4_500)
    for (const deadline = Date.now() + 120_000; (await summaryCount(table)) < 4_500; ) {
      if (Date.now() > deadline) throw new Error('The table never reached 4 500 records')
      await a.worker.flush().catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, 1_000))
    }
    await Promise.all([a.worker.stop(), b.worker.stop()])
    const { rows, keys } = await scanKeys(table)
    expect(keys.size).toBe(4_500)
    expect(rows).toBe(4_500)
    await table.refresh()
    expect(storedOffsets(table, topic, table.metadata.snapshots.length - 1)).toEqual(
      await partitionEnds(topic),
    )
  })
})
