// One ingest worker in its own process: for the 1-vs-3-workers benchmark, and for throughput,
// where the parent asks over IPC for this process's own CPU time, peak RSS and first batch.
import { createIngestWorker } from '../src/index.js'
import { brokers, hdfsCatalog } from '../test/stack.js'

const { BENCH_TOPIC, BENCH_WAREHOUSE, BENCH_GROUP } = process.env
if (!BENCH_TOPIC || !BENCH_WAREHOUSE || !BENCH_GROUP)
  throw new Error('BENCH_TOPIC, BENCH_WAREHOUSE and BENCH_GROUP are required')

/** Sent to the parent once the commits have written `BENCH_FLUSH_AT` rows: when the last of them landed. */
export interface WorkerCommitted {
  committed: true
  /** Epoch milliseconds when the commit that brought the rows written to `BENCH_FLUSH_AT` returned. */
  at: number
  rows: number
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

let firstBatchAt = 0
let cpuAtFirstBatch: NodeJS.CpuUsage | undefined
let commits = 0
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
/** Rows after which the worker commits at once rather than at its next interval (the throughput rounds). */
const flushAt = Number(process.env.BENCH_FLUSH_AT ?? Number.POSITIVE_INFINITY)
let buffered = 0
let written = 0
const worker = createIngestWorker({
  kafka: { brokers, clientId: 'lake-bench-worker', logLevel: 0 },
  groupId: BENCH_GROUP,
  topics: [BENCH_TOPIC],
  catalog: hdfsCatalog(BENCH_WAREHOUSE),
  table: 'bench.events',
  consumer: { maxWaitTimeInMs: 100 },
  ...(process.env.BENCH_COMMIT_INTERVAL_MS
    ? { commit: { intervalMs: Number(process.env.BENCH_COMMIT_INTERVAL_MS) } }
    : {}),
  ...(process.env.BENCH_MAX_BUFFERED_MIB
    ? { maxBufferedBytes: Number(process.env.BENCH_MAX_BUFFERED_MIB) * 1024 * 1024 }
    : {}),
  ...(process.env.BENCH_FETCH_PATH ? { fetchPath: process.env.BENCH_FETCH_PATH as 'lake' | 'kafkajs' } : {}),
  handleSignals: true,
  hooks: {
    counter: (name, value) => {
      if (name === 'lake.ingest.commits') commits++
      if (name === 'lake.ingest.records.written') {
        const before = written
        written += value ?? 0
        if (before < flushAt && written >= flushAt) {
          const committed: WorkerCommitted = {
            committed: true,
            at: performance.timeOrigin + performance.now(),
            rows: written,
          }
          process.send?.(committed)
        }
      }
      if (name === 'lake.ingest.records.buffered') {
        const before = buffered
        buffered += value ?? 0
        if (before < flushAt && buffered >= flushAt) void worker.flush().catch(() => {})
      }
      if (name === 'lake.ingest.records.consumed' && firstBatchAt === 0) {
        firstBatchAt = performance.timeOrigin + performance.now()
        cpuAtFirstBatch = process.cpuUsage()
      }
    },
    ...(log ? { log: (e) => console.error(`${process.pid} ${e.level} ${e.event}: ${e.message}`) } : {}),
  },
})
process.on('message', (message) => {
  if (message !== 'report') return
  const cpu = process.cpuUsage(cpuAtFirstBatch)
  const report: WorkerReport = {
    firstBatchAt,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRss,
    atPeak,
    commits,
  }
  process.send?.(report)
})
await worker.run()
process.exit(0)
