// The benchmarks' Kafka side: producing the events, and a kafkajs consumer timed from its first batch.

import { DEFAULT_FETCH_BYTES_PER_PARTITION } from '../src/index.js'
import { kafkaClient } from '../test/stack.js'
import { event } from './events.js'

/** Produces events 0 to `count - 1`, keyed by their number; returns the values' bytes. */
export async function produce(topic: string, count: number): Promise<number> {
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

/** Wall and CPU seconds of one timed consumption. */
export interface Timed {
  seconds: number
  cpuSeconds: number
}

/**
 * A kafkajs consumer of a new group reads the topic from the beginning with `eachBatch` and the
 * worker's fetch size, resolving offsets and handing each batch's messages to `each` (raw
 * kafkajs: nothing), until `count` records; then `finish` completes whatever `each` left
 * running. Timed from the first batch to the end of `finish`, as wall time and as the process's
 * CPU time (all threads).
 */
export async function consume(
  topic: string,
  count: number,
  each?: (messages: readonly { value: Buffer | null }[]) => void,
  finish?: () => Promise<unknown>,
): Promise<Timed> {
  const consumer = kafkaClient('lake-bench-raw').consumer({
    groupId: `raw-${topic}-${Math.random()}`,
    maxWaitTimeInMs: 100,
    // The worker's fetch size, so that both consume alike and the ratio is the processing's.
    maxBytesPerPartition: DEFAULT_FETCH_BYTES_PER_PARTITION,
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let seen = 0
  let t0 = 0
  let cpu0: NodeJS.CpuUsage | undefined
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (t0 === 0) {
          t0 = performance.now()
          cpu0 = process.cpuUsage()
        }
        each?.(batch.messages)
        seen += batch.messages.length
        resolveOffset(batch.lastOffset())
        if (seen >= count) resolve()
      },
    })
  })
  await done
  await finish?.()
  const end = performance.now()
  const cpu = process.cpuUsage(cpu0)
  await consumer.disconnect()
  return { seconds: (end - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 }
}
