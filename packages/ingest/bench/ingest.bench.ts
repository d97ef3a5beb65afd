/**
 * The ingest worker against raw kafkajs in the same run, on the dev stack's Kafka and HDFS
 * (`pnpm stack up kafka hdfs`): throughput of 1M JSON events on one partition (raw `eachBatch`
 * consumption with no processing vs Lake end to end: consume → decode → validate → Parquet →
 * commit), produce-to-visible latency at a 5 s commit interval, peak RSS while ingesting, and 1
 * vs 3 worker processes on 6 partitions. Prints a Markdown section for docs/benchmarks.md.
 *
 * Run: `pnpm bench ingest` (about 10 minutes on 2 cores), or `pnpm bench ingest --quick` for a
 * tenth of the records.
 */
import { spawn } from 'node:child_process'
import { loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { col, defineSchema, type Table } from '@lake/catalog'
import { createIngestWorker } from '../src/index.js'
import {
  brokers,
  createTopic,
  hdfsCatalog,
  hdfsWarehouse,
  kafkaClient,
  requireStack,
  runId,
} from '../test/stack.js'

const QUICK = process.argv.includes('--quick') || process.env.LAKE_BENCH_QUICK === '1'
const RECORDS = QUICK ? 100_000 : 1_000_000
const SCALE_RECORDS = QUICK ? 60_000 : 300_000
const LATENCY_SECONDS = QUICK ? 20 : 60
const started = performance.now()
const progress = (message: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`)
const out: string[] = []
const print = (line = '') => out.push(line)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const MiB = 1024 * 1024

const Events = defineSchema({
  id: col.long().required(),
  ts: col.timestamptz().required(),
  user: col.string().required(),
  kind: col.string().required(),
  country: col.string(),
  amount: col.decimal(10, 2),
  qty: col.int(),
  price: col.double(),
  flag: col.boolean(),
  note: col.string(),
})
const KINDS = ['view', 'click', 'purchase', 'signup']
const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR', 'IN']

/** Event `i` as JSON, about 200 bytes, 10 fields. */
function event(i: number, at = 1_764_000_000_000 + i): string {
  return JSON.stringify({
    id: i,
    ts: new Date(at).toISOString(),
    user: `user-${(i * 7919) % 250_000}`,
    kind: KINDS[i % 4],
    country: COUNTRIES[i % 6],
    amount: ((i % 100_000) / 100).toFixed(2),
    qty: i % 17,
    price: (i % 1000) / 7,
    flag: i % 3 === 0,
    note: `note ${i.toString(36)} ${'x'.repeat(20 + (i % 20))}`,
  })
}

async function produce(topic: string, count: number): Promise<number> {
  const producer = kafkaClient('lake-bench-producer').producer()
  await producer.connect()
  // A produce request stays under the broker's 1 MiB message.max.bytes.
  const batch = 3_000
  let bytes = 0
  for (let start = 0; start < count; start += batch) {
    const messages = []
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const value = event(i)
      bytes += value.length
      messages.push({ key: String(i), value })
    }
    await producer.send({ topic, messages })
  }
  await producer.disconnect()
  return bytes
}

/** Raw kafkajs: a new group consumes the topic with eachBatch, resolving offsets, no processing. */
async function rawConsume(topic: string, count: number): Promise<number> {
  const consumer = kafkaClient('lake-bench-raw').consumer({
    groupId: `raw-${topic}-${Math.random()}`,
    maxWaitTimeInMs: 100,
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let seen = 0
  let t0 = 0
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (t0 === 0) t0 = performance.now()
        seen += batch.messages.length
        resolveOffset(batch.lastOffset())
        if (seen >= count) resolve(performance.now())
      },
    })
  })
  const end = await done
  await consumer.disconnect()
  return (end - t0) / 1000
}

async function newTable(name: string): Promise<{ table: Table; warehouse: string }> {
  const warehouse = hdfsWarehouse(`bench-${name}`)
  const catalog = hdfsCatalog(warehouse)
  await catalog.createNamespace('bench')
  const table = await catalog.createTable('bench.events', { schema: Events })
  return { table, warehouse }
}

async function records(table: Table): Promise<number> {
  await table.refresh()
  return Number(table.currentSnapshot()?.summary['total-records'] ?? 0)
}

/** Lake end to end, in this process: from run() until every record is visible in the table. */
async function lakeIngest(topic: string, count: number) {
  const { table, warehouse } = await newTable(`one-${Math.random().toString(36).slice(2, 8)}`)
  let commits = 0
  let firstBatch = 0
  const worker = createIngestWorker({
    kafka: { brokers, clientId: 'lake-bench', logLevel: 0 },
    groupId: `lake-${topic}-${Math.random()}`,
    topics: [topic],
    catalog: hdfsCatalog(warehouse),
    table: 'bench.events',
    consumer: { maxWaitTimeInMs: 100 },
    hooks: {
      counter: (name) => {
        if (name === 'lake.ingest.commits') commits++
        if (name === 'lake.ingest.records.consumed' && firstBatch === 0) firstBatch = performance.now()
      },
    },
  })
  let peakRss = process.memoryUsage().rss
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }, 50)
  const running = worker.run()
  let visible = await records(table)
  while (visible < count) {
    await sleep(200)
    visible = await records(table)
  }
  const end = performance.now()
  clearInterval(sampler)
  await worker.stop()
  await running
  return {
    seconds: (end - firstBatch) / 1000,
    commits,
    peakRss,
    visible,
    files: table.currentSnapshot()!.summary['total-data-files'],
  }
}

/** Produce one record every 100 ms and see when each becomes visible in a Lake scan. */
async function latency(): Promise<number[]> {
  const topic = `bench-latency-${runId}`
  await createTopic(topic, 1)
  const { table, warehouse } = await newTable('latency')
  const worker = createIngestWorker({
    kafka: { brokers, clientId: 'lake-bench', logLevel: 0 },
    groupId: `lake-${topic}`,
    topics: [topic],
    catalog: hdfsCatalog(warehouse),
    table: 'bench.events',
    commit: { intervalMs: 5_000 },
    consumer: { maxWaitTimeInMs: 100 },
  })
  const running = worker.run()
  await sleep(5_000) // joined the group
  const producer = kafkaClient('lake-bench-latency').producer()
  await producer.connect()
  const sentAt: number[] = []
  const visibleAt: number[] = []
  let stop = false
  const poller = (async () => {
    while (!stop || visibleAt.length < sentAt.length) {
      // Visible means a scan returns it: read the ids the table holds.
      await table.refresh()
      const now = performance.now()
      for await (const batch of table.scan({ columns: ['id'] }).batches()) {
        const ids = batch.getChild('id')!
        for (let r = 0; r < batch.numRows; r++) {
          const id = Number(ids.get(r))
          if (visibleAt[id] === undefined) visibleAt[id] = now
        }
      }
      await sleep(100)
    }
  })()
  const total = LATENCY_SECONDS * 10
  for (let i = 0; i < total; i++) {
    sentAt[i] = performance.now()
    await producer.send({ topic, messages: [{ key: String(i), value: event(i, Date.now()) }] })
    await sleep(100)
  }
  stop = true
  await poller
  await producer.disconnect()
  await worker.stop()
  await running
  return sentAt.map((t, i) => visibleAt[i]! - t)
}

/** N worker processes on a 6-partition topic: seconds from start until every record is visible. */
async function scale(topic: string, count: number, workers: number): Promise<number> {
  const { table, warehouse } = await newTable(`scale-${workers}`)
  const script = fileURLToPath(new URL('./bench-worker.ts', import.meta.url))
  const root = fileURLToPath(new URL('../../..', import.meta.url))
  const t0 = performance.now()
  const children = Array.from({ length: workers }, () =>
    spawn('node', ['--conditions=lake-source', '--import', 'tsx', script], {
      cwd: root,
      env: {
        ...process.env,
        BENCH_TOPIC: topic,
        BENCH_WAREHOUSE: warehouse,
        BENCH_GROUP: `scale-${workers}-${topic}`,
      },
      stdio: 'inherit',
    }),
  )
  while ((await records(table)) < count) await sleep(250)
  const seconds = (performance.now() - t0) / 1000
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          c.once('exit', resolve)
          c.kill('SIGTERM')
        }),
    ),
  )
  return seconds
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

await requireStack()
const loadAtStart = loadavg()[0]!
const topic = `bench-one-${runId}`
await createTopic(topic, 1)
progress(`producing ${RECORDS} events to ${topic}`)
const producedBytes = await produce(topic, RECORDS)
progress('raw kafkajs eachBatch')
const raw1 = await rawConsume(topic, RECORDS)
progress(`raw: ${raw1.toFixed(2)} s; Lake end to end`)
globalThis.gc?.()
const lake = await lakeIngest(topic, RECORDS)
progress(
  `lake: ${lake.seconds.toFixed(2)} s, ${lake.commits} commits, peak RSS ${(lake.peakRss / MiB).toFixed(0)} MiB; raw again`,
)
const raw2 = await rawConsume(topic, RECORDS)
const raw = (raw1 + raw2) / 2
progress(`raw: ${raw2.toFixed(2)} s; latency`)
const latencies = await latency()
progress(
  `latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms; 1 vs 3 workers`,
)
const scaleTopic = `bench-six-${runId}`
await createTopic(scaleTopic, 6)
await produce(scaleTopic, SCALE_RECORDS)
const one = await scale(scaleTopic, SCALE_RECORDS, 1)
progress(`1 worker: ${one.toFixed(2)} s`)
const three = await scale(scaleTopic, SCALE_RECORDS, 3)
progress('done')

const rate = (n: number, s: number) => `${(n / s / 1000).toFixed(1)} k/s`
print('## ingest')
print()
print(
  `\`pnpm bench ingest${QUICK ? ' --quick' : ''}\`, ${new Date().toISOString().slice(0, 10)}; ${Math.round(totalmem() / 1024 ** 3)} GiB, Node.js ${process.version}, the dev stack's Kafka ${'4.4.0'} (KRaft, one broker) and HDFS 3.4.3 on the same 2 cores; load average ${loadAtStart.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end; whole suite ${((performance.now() - started) / 60000).toFixed(1)} min.`,
)
print()
print(`### Throughput: ${RECORDS.toLocaleString('en')} JSON events on one partition`)
print()
print(
  `Events of 10 fields, ${Math.round(producedBytes / RECORDS)} bytes on average. Raw: a kafkajs 2.2.4 consumer with \`eachBatch\` that only resolves offsets, from its first batch to the last record (two runs, before and after Lake's). Lake: \`createIngestWorker\` with default options into an unpartitioned table on HDFS, from its first batch until a scan would return every record (JSON decode, validation against the schema, Parquet with zstd, commit when 16 MiB of records are buffered or every 10 s).`,
)
print()
print('| consumer | s | records/s | vs raw |')
print('|---|---:|---:|---:|')
print(
  `| raw kafkajs \`eachBatch\` (mean of ${raw1.toFixed(2)} s and ${raw2.toFixed(2)} s) | ${raw.toFixed(2)} | ${rate(RECORDS, raw)} | 1.00× |`,
)
print(
  `| **Lake ingest worker, end to end** | ${lake.seconds.toFixed(2)} | ${rate(RECORDS, lake.seconds)} | **${(raw / lake.seconds).toFixed(2)}×** |`,
)
print()
print(
  `Lake made ${lake.commits} commits (${lake.files} data files). Goal: Lake ≥ 0.7× raw — **${raw / lake.seconds >= 0.7 ? 'met' : 'missed'}** (${(raw / lake.seconds).toFixed(2)}×).`,
)
print()
print(`### Peak RSS while ingesting at full speed`)
print()
print(
  `${(lake.peakRss / MiB).toFixed(0)} MiB for the whole benchmark process during the run above, with the default buffers (\`maxBufferedBytes\` 32 MiB of records). Goal: under 512 MiB — **${lake.peakRss < 512 * MiB ? 'met' : 'missed'}**.`,
)
print()
print(`### Produce-to-visible latency, 5 s commit interval`)
print()
print(
  `One record every 100 ms for ${LATENCY_SECONDS} s; visible = the first full scan (polled every ~100 ms plus the scan's own time) that returns it.`,
)
print()
print('| p50 | p99 | max |')
print('|---:|---:|---:|')
print(
  `| ${(percentile(latencies, 50) / 1000).toFixed(2)} s | ${(percentile(latencies, 99) / 1000).toFixed(2)} s | ${(Math.max(...latencies) / 1000).toFixed(2)} s |`,
)
print()
print(`### 1 vs 3 workers, ${SCALE_RECORDS.toLocaleString('en')} events on 6 partitions`)
print()
print(
  'Each worker is its own Node.js process; time from starting them (group join included) until every record is visible.',
)
print()
print('| workers | s | records/s |')
print('|---:|---:|---:|')
print(`| 1 | ${one.toFixed(2)} | ${rate(SCALE_RECORDS, one)} |`)
print(`| 3 | ${three.toFixed(2)} | ${rate(SCALE_RECORDS, three)} |`)
print()
print(
  'The workers share two cores with each other, Kafka and HDFS, so more of them cannot add CPU; they also join one after another, and each join is a rebalance whose partitions a new owner may replay while the old one commits them (the loser of the compare-and-set discards its copy).',
)
console.log(out.join('\n'))
process.exit(0)
