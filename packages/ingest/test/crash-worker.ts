// A worker for the crash test, run in a child process that the test SIGKILLs at random moments.
// Prints one line per structured log event the parent waits for.
import { createIngestWorker } from '../src/index.js'
import { brokers, hdfsCatalog } from './stack.js'

const { CRASH_TOPIC, CRASH_WAREHOUSE, CRASH_GROUP } = process.env
if (!CRASH_TOPIC || !CRASH_WAREHOUSE || !CRASH_GROUP)
  throw new Error('CRASH_TOPIC, CRASH_WAREHOUSE and CRASH_GROUP are required')

const worker = createIngestWorker({
  kafka: { brokers, clientId: 'lake-crash-worker', logLevel: 0 },
  groupId: CRASH_GROUP,
  topics: [CRASH_TOPIC],
  catalog: hdfsCatalog(CRASH_WAREHOUSE),
  table: 'db.events',
  metadataColumns: { partition: 'kafka_partition', offset: 'kafka_offset' },
  commit: { intervalMs: Number(process.env.CRASH_COMMIT_MS ?? 1_000) },
  consumer: { sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 },
  hooks: {
    log: (event) => {
      if (
        event.event.startsWith('ingest.commit') ||
        event.event === 'ingest.assigned' ||
        event.level === 'error'
      ) {
        process.stdout.write(`${JSON.stringify({ event: event.event, message: event.message })}\n`)
      }
    },
  },
  handleSignals: true,
})
await worker.run()
process.stdout.write(`${JSON.stringify({ event: 'stopped' })}\n`)
process.exit(0)
