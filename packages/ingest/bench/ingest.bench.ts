/**
 * The ingest worker against raw kafkajs in the same run, on the dev stack's Kafka and HDFS
 * (`pnpm stack up kafka hdfs`): throughput of 1M JSON events on one partition (raw `eachBatch`
 * consumption with no processing vs Lake end to end: consume → decode → validate → Parquet →
 * commit), produce-to-visible latency at a 5 s commit interval, peak RSS while ingesting, and 1
 * vs 3 worker processes on 6 partitions. Prints a Markdown section for docs/benchmarks.md.
 *
 * Run: `pnpm bench ingest` (about 10 minutes on 2 cores), or `pnpm bench ingest --quick` for a
 * tenth of the records. `--throughput-only` runs just the throughput rounds; `--records N` and
 * `--runs N` (rounds of raw, Lake, raw; 1 by default) change how many. Before the rounds the
 * benchmark warms up what it measures, as a running system is: 150 appends of 5 rows to a table
 * on HDFS (the NameNode's and DataNode's JIT), one uncounted raw consumption, and in each Lake
 * worker process an ingest of a fifth as many events before the measured one; `--no-warm-up`
 * measures from cold instead. `--cpu-prof DIR` writes
 * a CPU profile of each Lake worker process to DIR; `--max-buffered-mib N` sets the workers'
 * `maxBufferedBytes` (default: the worker's own); `--fetch-path kafkajs` makes them fetch with
 * kafkajs's consumer rather than Lake's own fetch path (the default).
 */
import { spawn } from 'node:child_process'
import { loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { Table } from '@lake/catalog'
import { argument } from '@lake/devtools/args'
import { median, percentile } from '@lake/devtools/stats'
import { createIngestWorker } from '../src/index.js'
import {
  brokers,
  createTopic,
  hdfsCatalog,
  hdfsWarehouse,
  kafkaClient,
  removeRunData,
  requireStack,
  runId,
} from '../test/stack.js'
import type { WorkerCommitted, WorkerReport, WorkerWarmedUp } from './bench-worker.js'
import { Events, event } from './events.js'
import { consume, produce } from './kafka.js'

const QUICK = process.argv.includes('--quick') || process.env.LAKE_BENCH_QUICK === '1'
const THROUGHPUT_ONLY = process.argv.includes('--throughput-only')
const RECORDS = Number(argument('records') ?? (QUICK ? 100_000 : 1_000_000))
const RUNS = Number(argument('runs') ?? 1)
const WARM_UP = !process.argv.includes('--no-warm-up')
/** The events each Lake worker process ingests before its measured ingest, and raw consumes once before the rounds. */
const WARMUP_RECORDS = Math.round(RECORDS / 5)
/** The stack's warm-up: sequential appends of 5 rows to a table on HDFS. */
const STACK_WARMUP_COMMITS = 150
const CPU_PROF = argument('cpu-prof')
const MAX_BUFFERED_MIB = argument('max-buffered-mib')
const FETCH_PATH = argument('fetch-path') as 'lake' | 'kafkajs' | undefined
if (FETCH_PATH !== undefined && FETCH_PATH !== 'lake' && FETCH_PATH !== 'kafkajs')
  throw new Error(`--fetch-path is lake or kafkajs, not ${String(FETCH_PATH)}`)
const SCALE_RECORDS = QUICK ? 60_000 : 300_000
/** The scaling runs' commit interval: the last records wait up to this long for their commit. */
const SCALE_COMMIT_MS = 1_000
const LATENCY_SECONDS = QUICK ? 20 : 60
const started = performance.now()
const progress = (message: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`)
const out: string[] = []
const print = (line = '') => out.push(line)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const MiB = 1024 * 1024

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

/** Spawns one worker process of bench-worker.ts on a topic, writing into a table of `warehouse`. */
function spawnWorker(
  topic: string,
  warehouse: string,
  group: string,
  withIpc: boolean,
  commit: { flushAt?: number; intervalMs?: number } = {},
  warmup?: { topic: string; records: number },
) {
  const script = fileURLToPath(new URL('./bench-worker.ts', import.meta.url))
  const root = fileURLToPath(new URL('../../..', import.meta.url))
  const profile = CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : []
  return spawn('node', [...profile, '--conditions=lake-source', '--import', 'tsx', script], {
    cwd: root,
    env: {
      ...process.env,
      BENCH_TOPIC: topic,
      BENCH_WAREHOUSE: warehouse,
      BENCH_GROUP: group,
      ...(commit.flushAt ? { BENCH_FLUSH_AT: String(commit.flushAt) } : {}),
      ...(commit.intervalMs ? { BENCH_COMMIT_INTERVAL_MS: String(commit.intervalMs) } : {}),
      ...(MAX_BUFFERED_MIB ? { BENCH_MAX_BUFFERED_MIB: MAX_BUFFERED_MIB } : {}),
      ...(FETCH_PATH ? { BENCH_FETCH_PATH: FETCH_PATH } : {}),
      ...(warmup ? { BENCH_WARMUP_TOPIC: warmup.topic, BENCH_WARMUP_RECORDS: String(warmup.records) } : {}),
    },
    stdio: withIpc ? ['inherit', 'inherit', 'inherit', 'ipc'] : 'inherit',
  })
}

/**
 * Lake end to end, in a worker process of its own (so that its CPU time and RSS are the worker's
 * alone): from its first batch until every record is visible in the table. With a warm-up topic
 * the process first ingests that with a worker of its own, uncounted. Once it has buffered
 * the last record the worker commits at once (`flush()`) instead of at its next 10 s tick: that
 * wait, 0–10 s by chance, is latency (measured below), not throughput. The worker says when the
 * commit that wrote the last record returned, and the table is read once then to check that a
 * scan sees every record: polling the table meanwhile would load the NameNode and DataNode on
 * the cores the worker runs on, which raw consumption does not have to share.
 */
async function lakeIngest(topic: string, count: number, warmup?: { topic: string; records: number }) {
  const { table, warehouse } = await newTable(`one-${Math.random().toString(36).slice(2, 8)}`)
  const child = spawnWorker(
    topic,
    warehouse,
    `lake-${topic}-${Math.random()}`,
    true,
    { flushAt: count },
    warmup,
  )
  let warmedUp: WorkerWarmedUp | undefined
  const committed = await new Promise<WorkerCommitted>((resolve, reject) => {
    child.on('message', (message) => {
      if ((message as WorkerWarmedUp).warmedUp) warmedUp = message as WorkerWarmedUp
      if ((message as WorkerCommitted).committed) resolve(message as WorkerCommitted)
    })
    child.once('exit', (code) =>
      reject(new Error(`the worker exited (${code}) before committing ${count} rows`)),
    )
  })
  const end = committed.at
  const visible = await records(table)
  if (visible !== count)
    throw new Error(`the worker committed ${committed.rows} rows but a scan sees ${visible}, not ${count}`)
  const report = await new Promise<WorkerReport>((resolve) => {
    child.once('message', (message) => resolve(message as WorkerReport))
    child.send('report')
  })
  await new Promise((resolve) => {
    child.once('exit', resolve)
    child.kill('SIGTERM')
  })
  return {
    seconds: (end - report.firstBatchAt) / 1000,
    cpuSeconds: report.cpuSeconds,
    commits: report.commits,
    peakRss: report.peakRss,
    atPeak: report.atPeak,
    visible,
    files: table.currentSnapshot()!.summary['total-data-files'],
    warmedUp,
  }
}

/**
 * Sequential appends of 5 rows to a new table on HDFS: a stack just started answers slowly while
 * the NameNode's and DataNode's JIT compiles (up to twice their later CPU in the first minutes),
 * which a running cluster has done long ago. Returns the seconds taken and the last 50 appends'
 * median in milliseconds.
 */
async function warmStack(commits: number): Promise<{ seconds: number; lastP50: number }> {
  const { table } = await newTable('warm-up')
  const t0 = performance.now()
  const times: number[] = []
  for (let i = 0; i < commits; i++) {
    const rows = Array.from({ length: 5 }, (_, k) => {
      const e = JSON.parse(event(i * 5 + k)) as Record<string, unknown>
      return { ...e, id: BigInt(e.id as number) }
    })
    const start = performance.now()
    await table.append(rows)
    times.push(performance.now() - start)
  }
  return { seconds: (performance.now() - t0) / 1000, lastP50: median(times.slice(-50)) }
}

/** The topics of the latency and the 1-vs-3-workers measures. */
const LATENCY_TOPIC = `bench-latency-${runId}`
const SCALE_TOPIC = `bench-six-${runId}`

/** Produce one record every 100 ms and see when each becomes visible in a Lake scan. */
async function latency(): Promise<number[]> {
  const topic = LATENCY_TOPIC
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
    ...(FETCH_PATH ? { fetchPath: FETCH_PATH } : {}),
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
  const t0 = performance.now()
  const children = Array.from({ length: workers }, () =>
    // No worker knows when it holds its last record: a 1 s interval bounds the wait for the last commit.
    spawnWorker(topic, warehouse, `scale-${workers}-${topic}`, false, { intervalMs: SCALE_COMMIT_MS }),
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

await requireStack()
const loadAtStart = loadavg()[0]!
const topic = `bench-one-${runId}`
const warmTopic = `bench-warm-${runId}`
let stackWarmUp: Awaited<ReturnType<typeof warmStack>> | undefined
let rawWarmUp: { seconds: number; cpuSeconds: number } | undefined
if (WARM_UP) {
  progress(`warming the stack up: ${STACK_WARMUP_COMMITS} appends of 5 rows to a table on HDFS`)
  stackWarmUp = await warmStack(STACK_WARMUP_COMMITS)
  progress(
    `${stackWarmUp.seconds.toFixed(1)} s, the last 50 appends' median ${stackWarmUp.lastP50.toFixed(0)} ms; producing ${WARMUP_RECORDS} events to ${warmTopic}`,
  )
  await createTopic(warmTopic, 1)
  await produce(warmTopic, WARMUP_RECORDS)
}
await createTopic(topic, 1)
progress(`producing ${RECORDS} events to ${topic}`)
const producedBytes = await produce(topic, RECORDS)
if (WARM_UP) {
  rawWarmUp = await consume(warmTopic, WARMUP_RECORDS)
  progress(`raw warm-up: ${WARMUP_RECORDS} events in ${rawWarmUp.seconds.toFixed(2)} s`)
}
const workerWarmUp = WARM_UP ? { topic: warmTopic, records: WARMUP_RECORDS } : undefined
type Round = {
  raw: { seconds: number; cpuSeconds: number }[]
  lake: Awaited<ReturnType<typeof lakeIngest>>
  load: number
}
const rounds: Round[] = []
for (let r = 1; r <= RUNS; r++) {
  const load = loadavg()[0]!
  progress(`round ${r}/${RUNS} (load ${load.toFixed(1)}): raw kafkajs eachBatch`)
  const before = await consume(topic, RECORDS)
  progress(`raw: ${before.seconds.toFixed(2)} s, CPU ${before.cpuSeconds.toFixed(2)} s; Lake end to end`)
  globalThis.gc?.()
  const lake = await lakeIngest(topic, RECORDS, workerWarmUp)
  progress(
    `${lake.warmedUp ? `lake warm-up: ${WARMUP_RECORDS} events in ${lake.warmedUp.seconds.toFixed(2)} s (CPU ${lake.warmedUp.cpuSeconds.toFixed(2)} s); ` : ''}lake: ${lake.seconds.toFixed(2)} s, CPU ${lake.cpuSeconds.toFixed(2)} s, ${lake.commits} commits, peak RSS ${(lake.peakRss / MiB).toFixed(0)} MiB (${memory(lake.atPeak)}); raw again`,
  )
  const after = await consume(topic, RECORDS)
  progress(`raw: ${after.seconds.toFixed(2)} s, CPU ${after.cpuSeconds.toFixed(2)} s`)
  rounds.push({ raw: [before, after], lake, load })
}
/** Where a process's memory was, in MiB. */
function memory(usage: NodeJS.MemoryUsage): string {
  const mib = (n: number) => (n / MiB).toFixed(0)
  return `heap ${mib(usage.heapUsed)} used of ${mib(usage.heapTotal)}, external ${mib(usage.external)} (array buffers ${mib(usage.arrayBuffers)})`
}
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length
/** Per round: raw's mean over its two runs divided by Lake's, for wall and CPU time. */
const wallRatios = rounds.map((r) => mean(r.raw.map((x) => x.seconds)) / r.lake.seconds)
const cpuRatios = rounds.map((r) => mean(r.raw.map((x) => x.cpuSeconds)) / r.lake.cpuSeconds)
const peakRss = Math.max(...rounds.map((r) => r.lake.peakRss))

let latencies: number[] = []
let one = 0
let three = 0
if (!THROUGHPUT_ONLY) {
  progress('latency')
  latencies = await latency()
  progress(
    `latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms; 1 vs 3 workers`,
  )
  await createTopic(SCALE_TOPIC, 6)
  await produce(SCALE_TOPIC, SCALE_RECORDS)
  one = await scale(SCALE_TOPIC, SCALE_RECORDS, 1)
  progress(`1 worker: ${one.toFixed(2)} s`)
  three = await scale(SCALE_TOPIC, SCALE_RECORDS, 3)
}
progress('removing the topics and warehouses of this run')
await removeRunData([
  topic,
  ...(WARM_UP ? [warmTopic] : []),
  ...(THROUGHPUT_ONLY ? [] : [LATENCY_TOPIC, SCALE_TOPIC]),
])
progress('done')

const rate = (n: number, s: number) => `${(n / s / 1000).toFixed(1)} k/s`
const args = process.argv.slice(2).join(' ')
print('## ingest')
print()
print(
  `\`pnpm bench ingest${args ? ` ${args}` : ''}\`, ${new Date().toISOString().slice(0, 10)}; ${Math.round(totalmem() / 1024 ** 3)} GiB, Node.js ${process.version}, the dev stack's Kafka ${'4.4.0'} (KRaft, one broker) and HDFS 3.4.3 on the same 2 cores; load average ${loadAtStart.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end; whole suite ${((performance.now() - started) / 60000).toFixed(1)} min.`,
)
print()
print(`### Throughput: ${RECORDS.toLocaleString('en')} JSON events on one partition`)
print()
print(
  `Events of 10 fields, ${Math.round(producedBytes / RECORDS)} bytes on average. Raw: a kafkajs 2.2.4 consumer with \`eachBatch\` that only resolves offsets, fetching up to 4 MiB per partition as the worker does (kafkajs's default is 1 MiB), in the benchmark's process, from its first batch to the last record, run before and after Lake's in each round. Lake: \`createIngestWorker\` with default options${FETCH_PATH === 'kafkajs' ? " but `fetchPath: 'kafkajs'` (kafkajs fetches, not Lake)" : ' (Lake fetches with its own fetch path)'}, in a process of its own, into an unpartitioned table on HDFS, from its first batch until the commit that wrote the last record returned (JSON decode, validation into columns, Parquet with zstd, commits; a scan then returns every record, checked once, not polled); once it has buffered the last record it commits at once (\`flush()\`) rather than at its next 10 s tick, a wait of 0–10 s by chance that is latency, not throughput. CPU time is \`process.cpuUsage()\` of the consuming process (all threads, GC included) over the same span; ratios are raw's mean of the round over Lake's.`,
)
print()
print(
  stackWarmUp && rawWarmUp
    ? `Warmed up first, as a running system is: the stack by ${STACK_WARMUP_COMMITS} appends of 5 rows to a table on HDFS (${stackWarmUp.seconds.toFixed(1)} s, the last 50 appends' median ${stackWarmUp.lastP50.toFixed(0)} ms); raw by one uncounted consumption of ${WARMUP_RECORDS.toLocaleString('en')} other events (${rawWarmUp.seconds.toFixed(2)} s), besides the producer's run in the same process; each Lake worker process by ingesting those ${WARMUP_RECORDS.toLocaleString('en')} events into a table of its own with a worker of its own before the measured one (${rounds.map((r) => `${r.lake.warmedUp!.seconds.toFixed(2)} s`).join(', ')}, from a fresh process).`
    : "Measured from cold (`--no-warm-up`): the stack as it is, raw in the benchmark's process, and each Lake worker in a fresh process.",
)
print()
print(
  '| round | load | raw s (CPU s) | Lake s (CPU s) | Lake records/s | commits | wall vs raw | CPU vs raw |',
)
print('|---:|---:|---|---|---:|---:|---:|---:|')
rounds.forEach((r, i) => {
  const raw = r.raw.map((x) => `${x.seconds.toFixed(2)} (${x.cpuSeconds.toFixed(2)})`).join(', ')
  print(
    `| ${i + 1} | ${r.load.toFixed(1)} | ${raw} | ${r.lake.seconds.toFixed(2)} (${r.lake.cpuSeconds.toFixed(2)}) | ${rate(RECORDS, r.lake.seconds)} | ${r.lake.commits} | ${wallRatios[i]!.toFixed(2)}× | ${cpuRatios[i]!.toFixed(2)}× |`,
  )
})
print()
print(
  `Median of ${rounds.length} round(s): wall **${median(wallRatios).toFixed(2)}×** raw, CPU **${median(cpuRatios).toFixed(2)}×** raw. Goal: Lake ≥ 0.7× raw — **${median(wallRatios) >= 0.7 ? 'met' : 'missed'}** by wall time.`,
)
print()
print(`### Peak RSS while ingesting at full speed`)
print()
print(
  `${(peakRss / MiB).toFixed(0)} MiB, the highest of the Lake worker process's peaks (sampled every 50 ms) over the rounds (${rounds.map((r) => (r.lake.peakRss / MiB).toFixed(0)).join(', ')} MiB${WARM_UP ? ", each process's warm-up ingest included" : ''}), with ${MAX_BUFFERED_MIB ? `\`maxBufferedBytes\` ${MAX_BUFFERED_MIB} MiB` : 'the default buffers'}. Goal: under 512 MiB — **${peakRss < 512 * MiB ? 'met' : 'missed'}**.`,
)
if (THROUGHPUT_ONLY) {
  console.log(out.join('\n'))
  process.exit(0)
}
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
  `Each worker is its own Node.js process, committing every ${SCALE_COMMIT_MS / 1000} s (\`commit.intervalMs\`) besides its size triggers, so the last records wait at most that long; time from starting them (group join included) until every record is visible.`,
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
