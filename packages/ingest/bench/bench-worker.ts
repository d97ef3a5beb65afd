// One ingest worker in its own process: for the 1-vs-3-workers benchmark, and for throughput,
// where the parent asks over IPC for this process's own CPU time, peak RSS and first batch.
// With BENCH_WARMUP_TOPIC the process first ingests that topic's BENCH_WARMUP_RECORDS events
// with a worker of their own, into table `bench.warmup`, as a long-running worker has run
// before: the measured worker then runs on code the JIT has compiled, as raw kafkajs does in
// the benchmark's process.
import { createIngestWorker, type IngestWorker } from '../src/index.js'
import { brokers, hdfsCatalog } from '../test/stack.js'
import { Events } from './events.js'

const { BENCH_TOPIC, BENCH_WAREHOUSE, BENCH_GROUP, BENCH_WARMUP_TOPIC } = process.env
if (!BENCH_TOPIC || !BENCH_WAREHOUSE || !BENCH_GROUP)
  throw new Error('BENCH_TOPIC, BENCH_WAREHOUSE and BENCH_GROUP are required')

/** Sent to the parent once the commits have written `BENCH_FLUSH_AT` rows: when the last of them landed. */
export interface WorkerCommitted {
  committed: true
  /** Epoch milliseconds when the commit that brought the rows written to `BENCH_FLUSH_AT` returned. */
  at: number
  rows: number
}

/** Sent to the parent when the warm-up ingest has committed its last record and stopped. */
export interface WorkerWarmedUp {
  warmedUp: true
  /** From its first batch until the commit of its last record returned. */
  seconds: number
  cpuSeconds: number
}

/** What the throughput benchmark asks for once every record is visible. */
export interface WorkerReport {
  /** Epoch milliseconds of the first batch. */
  firstBatchAt: number
  /** This process's CPU time since its first batch, user + system (all threads, GC included), in seconds. */
  cpuSeconds: number
  peakRss: number
  /** `process.memoryUsage()` at the peak: V8's heap, and memory outside it (Buffers, WebAssembly). */
  atPeak: NodeJS.MemoryUsage
  commits: number
}

let peakRss = process.memoryUsage.rss()
/** `process.memoryUsage()` when the RSS peaked: where the memory was. */
let atPeak = process.memoryUsage()
const sampler = setInterval(() => {
  const rss = process.memoryUsage.rss()
  if (rss <= peakRss) return
  peakRss = rss
  atPeak = process.memoryUsage()
}, 50)
sampler.unref()
const log = process.env.BENCH_LOG

/** Epoch milliseconds, to the fraction. */
const now = () => performance.timeOrigin + performance.now()

/** What one worker has done: its first batch, and its commits. */
interface Progress {
  firstBatchAt: number
  cpuAtFirstBatch: NodeJS.CpuUsage | undefined
  commits: number
}

/**
 * A worker on `topic` into `table`. Once it has buffered `flushAt` rows it commits at once
 * rather than at its next interval (the throughput rounds), and calls `committed` when the
 * commit that brought its written rows to `flushAt` returned.
 */
function ingest(
  topic: string,
  table: string,
  group: string,
  flushAt: number,
  committed: (rows: number) => void,
  handleSignals = false,
): { worker: IngestWorker; progress: Progress } {
  const progress: Progress = { firstBatchAt: 0, cpuAtFirstBatch: undefined, commits: 0 }
  let buffered = 0
  let written = 0
  const worker: IngestWorker = createIngestWorker({
    kafka: { brokers, clientId: 'lake-bench-worker', logLevel: 0 },
    groupId: group,
    topics: [topic],
    catalog: hdfsCatalog(BENCH_WAREHOUSE!),
    table,
    consumer: { maxWaitTimeInMs: 100 },
    ...(process.env.BENCH_COMMIT_INTERVAL_MS
      ? { commit: { intervalMs: Number(process.env.BENCH_COMMIT_INTERVAL_MS) } }
      : {}),
    ...(process.env.BENCH_MAX_BUFFERED_MIB
      ? { maxBufferedBytes: Number(process.env.BENCH_MAX_BUFFERED_MIB) * 1024 * 1024 }
      : {}),
    ...(process.env.BENCH_FETCH_PATH
      ? { fetchPath: process.env.BENCH_FETCH_PATH as 'lake' | 'kafkajs' }
      : {}),
    handleSignals,
    hooks: {
      counter: (name, value) => {
        if (name === 'lake.ingest.commits') progress.commits++
        if (name === 'lake.ingest.records.written') {
          const before = written
          written += value ?? 0
          if (before < flushAt && written >= flushAt) committed(written)
        }
        if (name === 'lake.ingest.records.buffered') {
          const before = buffered
          buffered += value ?? 0
          if (before < flushAt && buffered >= flushAt) void worker.flush().catch(() => {})
        }
        if (name === 'lake.ingest.records.consumed' && progress.firstBatchAt === 0) {
          progress.firstBatchAt = now()
          progress.cpuAtFirstBatch = process.cpuUsage()
        }
      },
      ...(log ? { log: (e) => console.error(`${process.pid} ${e.level} ${e.event}: ${e.message}`) } : {}),
    },
  })
  return { worker, progress }
}

if (BENCH_WARMUP_TOPIC) {
  const records = Number(process.env.BENCH_WARMUP_RECORDS)
  const catalog = hdfsCatalog(BENCH_WAREHOUSE)
  await catalog.createTable('bench.warmup', { schema: Events })
  let done: (at: number) => void = () => {}
  const landed = new Promise<number>((resolve) => {
    done = resolve
  })
  const warm = ingest(BENCH_WARMUP_TOPIC, 'bench.warmup', `${BENCH_GROUP}-warmup`, records, () => done(now()))
  const running = warm.worker.run()
  const end = await landed
  const cpu = process.cpuUsage(warm.progress.cpuAtFirstBatch)
  await warm.worker.stop()
  await running
  const warmedUp: WorkerWarmedUp = {
    warmedUp: true,
    seconds: (end - warm.progress.firstBatchAt) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }
  process.send?.(warmedUp)
}

const { worker, progress } = ingest(
  BENCH_TOPIC,
  'bench.events',
  BENCH_GROUP,
  Number(process.env.BENCH_FLUSH_AT ?? Number.POSITIVE_INFINITY),
  (rows) => {
    const message: WorkerCommitted = { committed: true, at: now(), rows }
    process.send?.(message)
  },
  true,
)
process.on('message', (message) => {
  if (message !== 'report') return
  const cpu = process.cpuUsage(progress.cpuAtFirstBatch)
  const report: WorkerReport = {
    firstBatchAt: progress.firstBatchAt,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRss,
    atPeak,
    commits: progress.commits,
  }
  process.send?.(report)
})
await worker.run()
process.exit(0)
