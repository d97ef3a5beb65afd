// One ingest worker in its own process, for the 1-vs-3-workers benchmark.
import { createIngestWorker } from '../src/index.js'
import { brokers, hdfsCatalog } from '../test/stack.js'

const { BENCH_TOPIC, BENCH_WAREHOUSE, BENCH_GROUP } = process.env
if (!BENCH_TOPIC || !BENCH_WAREHOUSE || !BENCH_GROUP)
  throw new Error('BENCH_TOPIC, BENCH_WAREHOUSE and BENCH_GROUP are required')
const worker = createIngestWorker({
  kafka: { brokers, clientId: 'lake-bench-worker', logLevel: 0 },
  groupId: BENCH_GROUP,
  topics: [BENCH_TOPIC],
  catalog: hdfsCatalog(BENCH_WAREHOUSE),
  table: 'bench.events',
  handleSignals: true,
  ...(process.env.BENCH_LOG
    ? { hooks: { log: (e) => console.error(`${process.pid} ${e.level} ${e.event}: ${e.message}`) } }
    : {}),
})
await worker.run()
process.exit(0)
