/**
 * Consuming alone, no processing: Lake's own fetch path (`src/kafka/`) against kafkajs's
 * `eachBatch`, on the dev stack's Kafka (`pnpm stack up kafka`). The benchmark's JSON events on
 * one partition, each consumer reading them all from the beginning with the same fetch size,
 * alternately in the same process (kafkajs first in odd rounds, Lake first in even ones), timed
 * from the first records to the last as wall and CPU time (all threads). Both must see every
 * offset once, and the same values (compared by a checksum of their bytes).
 *
 * Run: `pnpm bench ingest-fetch` (`--records N`, default 1,000,000; `--rounds N`, default 5).
 */
import { loadavg } from 'node:os'
import { argument } from '@lake/devtools/args'
import { median } from '@lake/devtools/stats'
import { DEFAULT_FETCH_BYTES_PER_PARTITION } from '../src/index.js'
import { Fetcher } from '../src/kafka/fetcher.js'
import { brokers, kafkaClient, removeRunData, requireStack, runId } from '../test/stack.js'
import { consume, produce, type Timed } from './kafka.js'

const RECORDS = Number(argument('records') ?? 1_000_000)
const ROUNDS = Number(argument('rounds') ?? 5)

const progress = (message: string) => console.error(`[ingest-fetch] ${message}`)
const print = (line = '') => console.log(line)

/** A sum over the values' lengths and first and last bytes: what both consumers must agree on. */
function checksum(value: Uint8Array | null): number {
  return value ? checksumOf(value, 0, value.length) : 0
}

/** {@link checksum} of `bytes` from `start` to `end`. */
function checksumOf(bytes: Uint8Array, start: number, end: number): number {
  if (end === start) return 0
  return end - start + bytes[start]! * 31 + bytes[end - 1]! * 131
}

/** Lake's fetch path reads the partition from offset 0 to `count`; timed as {@link consume} times kafkajs. */
async function lakeFetch(topic: string, count: number): Promise<Timed & { sum: number }> {
  const fetcher = new Fetcher({
    brokers,
    clientId: 'lake-bench-fetch',
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 30_000,
    readCommitted: true,
    maxWaitMs: 100,
    minBytes: 1,
    maxBytes: 10 * 2 ** 20,
    maxBytesPerPartition: DEFAULT_FETCH_BYTES_PER_PARTITION,
    resetTo: 'earliest',
    retries: 5,
  })
  fetcher.assign([{ topic, partition: 0, offset: 0n }])
  let seen = 0
  let sum = 0
  let expected = 0
  let t0 = 0
  let cpu0: NodeJS.CpuUsage | undefined
  try {
    while (seen < count) {
      const batches = await fetcher.next()
      if (t0 === 0 && batches.length) {
        t0 = performance.now()
        cpu0 = process.cpuUsage()
      }
      for (const { records } of batches) {
        // By index, as the worker reads them: no object per record.
        for (let i = 0; i < records.length; i++) {
          if (records.offset(i) !== expected)
            throw new Error(`Lake's fetch path gave offset ${records.offset(i)}, not ${expected}`)
          expected++
          const start = records.valueStart(i)
          if (start >= 0) sum += checksumOf(records.bytes(i), start, records.valueEnd(i))
        }
        seen += records.length
      }
    }
  } finally {
    fetcher.close()
  }
  const end = performance.now()
  const cpu = process.cpuUsage(cpu0)
  return { seconds: (end - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, sum }
}

async function kafkajsFetch(topic: string, count: number): Promise<Timed & { sum: number }> {
  let sum = 0
  const timed = await consume(topic, count, (messages) => {
    for (const m of messages) sum += checksum(m.value)
  })
  return { ...timed, sum }
}

await requireStack()
const topic = `bench-fetch-${runId}`
const admin = kafkaClient().admin()
await admin.connect()
await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })
await admin.disconnect()
progress(`producing ${RECORDS} events`)
const bytes = await produce(topic, RECORDS)

const rounds: { kafkajs: Timed; lake: Timed; load: number }[] = []
for (let r = 1; r <= ROUNDS; r++) {
  const load = loadavg()[0]!
  const first = r % 2 === 1 ? 'kafkajs' : 'lake'
  const results: Partial<Record<'kafkajs' | 'lake', Timed & { sum: number }>> = {}
  for (const which of first === 'kafkajs' ? (['kafkajs', 'lake'] as const) : (['lake', 'kafkajs'] as const)) {
    globalThis.gc?.()
    results[which] = which === 'lake' ? await lakeFetch(topic, RECORDS) : await kafkajsFetch(topic, RECORDS)
  }
  const { kafkajs, lake } = results as Record<'kafkajs' | 'lake', Timed & { sum: number }>
  if (kafkajs.sum !== lake.sum)
    throw new Error(`The values differ: checksum ${lake.sum} against kafkajs's ${kafkajs.sum}`)
  progress(
    `round ${r}/${ROUNDS} (load ${load.toFixed(1)}): kafkajs ${kafkajs.seconds.toFixed(2)} s (CPU ${kafkajs.cpuSeconds.toFixed(2)}), Lake ${lake.seconds.toFixed(2)} s (CPU ${lake.cpuSeconds.toFixed(2)})`,
  )
  rounds.push({ kafkajs, lake, load })
}

const admin2 = kafkaClient().admin()
await admin2.connect()
await admin2.deleteTopics({ topics: [topic] }).catch(() => {})
await admin2.disconnect()

const wall = rounds.map((r) => r.kafkajs.seconds / r.lake.seconds)
const cpu = rounds.map((r) => r.kafkajs.cpuSeconds / r.lake.cpuSeconds)
print(`### Consuming alone: Lake's fetch path against kafkajs (\`pnpm bench ingest-fetch\`)`)
print()
print(
  `${RECORDS.toLocaleString('en')} events of ${Math.round(bytes / RECORDS)} bytes on one partition, read from the beginning with ${DEFAULT_FETCH_BYTES_PER_PARTITION / 2 ** 20} MiB per partition per fetch; each value's bytes checked (a checksum both must agree on), nothing else done. Alternating, ${ROUNDS} rounds. Ratios are kafkajs's time over Lake's (above 1: Lake is faster).`,
)
print()
print('| round | load | kafkajs s (CPU s) | Lake s (CPU s) | wall: kafkajs / Lake | CPU: kafkajs / Lake |')
print('|---:|---:|---|---|---:|---:|')
rounds.forEach((r, i) => {
  print(
    `| ${i + 1} | ${r.load.toFixed(1)} | ${r.kafkajs.seconds.toFixed(2)} (${r.kafkajs.cpuSeconds.toFixed(2)}) | ${r.lake.seconds.toFixed(2)} (${r.lake.cpuSeconds.toFixed(2)}) | ${wall[i]!.toFixed(2)}× | ${cpu[i]!.toFixed(2)}× |`,
  )
})
print()
print(`Median: wall **${median(wall).toFixed(2)}×**, CPU **${median(cpu).toFixed(2)}×**.`)
await removeRunData([topic])
