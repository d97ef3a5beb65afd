/**
 * Where the ingest worker's time goes, stage by stage, against raw kafkajs in the same run, on
 * the dev stack's Kafka and HDFS (`pnpm stack up kafka hdfs`). The same 1M JSON events on one
 * partition as `pnpm bench ingest`, consumed by kafkajs `eachBatch` in this process with more
 * work per record at each stage:
 *
 * - `raw`: nothing (the `pnpm bench ingest` baseline);
 * - `JSON.parse`: `JSON.parse` of each value's text, the cheapest decode there is, kept nowhere;
 * - `read`: each value read into the table's columns by the worker's JSON row reader;
 * - `read + append`: and every `--append-rows` rows (default 70,000, about a default commit of
 *   the worker's) appended to a table on HDFS (Parquet with zstd, files, snapshot), one append
 *   at a time while reading goes on;
 * - `JSON.parse on a thread`: `JSON.parse` on a `worker_threads` thread, to which this thread
 *   posts each batch's values, copied into one transferable buffer: all a second core takes off
 *   the consuming thread when it decodes and keeps nothing;
 * - `read + append on a thread`: the reading and appending on such a thread.
 *
 * What the worker adds to `read + append` — offsets in the snapshot summary, staging per
 * partition, backpressure, dead letters — is the difference to Lake in `pnpm bench ingest`.
 * Rounds run the stages in turn, raw first; ratios are the round's raw over the stage's.
 *
 * Run: `pnpm bench ingest-stages` (`--records N`, default 1,000,000; `--runs N`, default 2).
 */
import { loadavg, totalmem } from 'node:os'
import { Worker } from 'node:worker_threads'
import { argument } from '@lake/devtools/args'
import { median } from '@lake/devtools/stats'
import { createTopic, hdfsCatalog, hdfsWarehouse, removeRunData, requireStack, runId } from '../test/stack.js'
import { Events } from './events.js'
import { consume, produce, type Timed } from './kafka.js'
import type { StageMessage } from './stage-thread.js'
import { StageWork } from './stage-work.js'

const RECORDS = Number(argument('records') ?? 1_000_000)
const RUNS = Number(argument('runs') ?? 2)
const APPEND_ROWS = Number(argument('append-rows') ?? 70_000)
const started = performance.now()
const progress = (message: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`)

/** A new empty table of the benchmark's events on HDFS; its warehouse. */
async function newTable(): Promise<string> {
  const warehouse = hdfsWarehouse(`stages-${Math.random().toString(36).slice(2, 8)}`)
  const catalog = hdfsCatalog(warehouse)
  await catalog.createNamespace('bench')
  await catalog.createTable('bench.events', { schema: Events })
  return warehouse
}

async function onThisThread(topic: string, append: boolean): Promise<Timed> {
  const table = append ? await hdfsCatalog(await newTable()).loadTable('bench.events') : undefined
  const work = new StageWork(table, APPEND_ROWS)
  return consume(
    topic,
    RECORDS,
    (messages) => {
      for (const m of messages) work.read(m.value!)
    },
    () => work.end(),
  )
}

/** On a worker thread: reading and appending, or (`parseOnly`) just `JSON.parse`. */
async function onAThread(topic: string, parseOnly: boolean): Promise<Timed> {
  // The thread's entry is TypeScript, loaded through tsx as this process's modules are.
  const entry = JSON.stringify(new URL('./stage-thread.ts', import.meta.url).href)
  const thread = new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}) })`,
    {
      eval: true,
      workerData: { warehouse: parseOnly ? undefined : await newTable(), appendRows: APPEND_ROWS },
    },
  )
  const answer = () =>
    new Promise<unknown>((resolve, reject) => {
      thread.once('message', resolve)
      thread.once('error', reject)
    })
  await answer() // ready
  const post = (message: StageMessage, transfer: ArrayBuffer[] = []) => thread.postMessage(message, transfer)
  try {
    return await consume(
      topic,
      RECORDS,
      (messages) => {
        let bytes = 0
        for (const m of messages) bytes += m.value!.length
        const values = new Uint8Array(bytes)
        const ends = new Int32Array(messages.length)
        let at = 0
        for (let i = 0; i < messages.length; i++) {
          values.set(messages[i]!.value!, at)
          at += messages[i]!.value!.length
          ends[i] = at
        }
        post({ values: values.buffer, ends }, [values.buffer, ends.buffer])
      },
      async () => {
        const done = answer()
        post({ end: true })
        const result = (await done) as { error?: string }
        if (result.error) throw new Error(`the thread failed: ${result.error}`)
      },
    )
  } finally {
    await thread.terminate()
  }
}

const STAGES = {
  raw: (topic: string) => consume(topic, RECORDS),
  'JSON.parse': (topic: string) =>
    consume(topic, RECORDS, (messages) => {
      for (const m of messages) JSON.parse(m.value!.toString('utf8'))
    }),
  read: (topic: string) => onThisThread(topic, false),
  'read + append': (topic: string) => onThisThread(topic, true),
  'JSON.parse on a thread': (topic: string) => onAThread(topic, true),
  'read + append on a thread': (topic: string) => onAThread(topic, false),
} as const
type Stage = keyof typeof STAGES

await requireStack()
const loadAtStart = loadavg()[0]!
const topic = `bench-stages-${runId}`
await createTopic(topic, 1)
progress(`producing ${RECORDS} events to ${topic}`)
const producedBytes = await produce(topic, RECORDS)
const times = new Map<Stage, Timed[]>()
const ratios = new Map<Stage, number[]>()
for (let r = 1; r <= RUNS; r++) {
  let raw: Timed | undefined
  for (const stage of Object.keys(STAGES) as Stage[]) {
    globalThis.gc?.()
    const timed = await STAGES[stage](topic)
    raw ??= timed
    times.set(stage, [...(times.get(stage) ?? []), timed])
    ratios.set(stage, [...(ratios.get(stage) ?? []), raw.seconds / timed.seconds])
    progress(
      `round ${r}/${RUNS}, ${stage}: ${timed.seconds.toFixed(2)} s, CPU ${timed.cpuSeconds.toFixed(2)} s`,
    )
  }
}

const range = (xs: number[], digits: number) =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`
const rows = (Object.keys(STAGES) as Stage[]).map((stage) => {
  const t = times.get(stage)!
  const seconds = t.map((x) => x.seconds)
  const cpu = t.map((x) => x.cpuSeconds)
  const ratio = ratios.get(stage)!
  return `| ${stage} | ${range(seconds, 2)} | ${range(cpu, 2)} | ${((1e6 * median(cpu)) / RECORDS).toFixed(2)} | **${median(ratio).toFixed(2)}×** (${range(ratio, 2)}) |`
})
console.log(`## ingest-stages

\`pnpm bench ingest-stages${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\`, ${new Date().toISOString().slice(0, 10)}; ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, the dev stack's Kafka and HDFS on the same 2 cores; load average ${loadAtStart.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end; whole suite ${((performance.now() - started) / 60_000).toFixed(1)} min.

${RECORDS.toLocaleString('en')} JSON events on one partition, ${Math.round(producedBytes / RECORDS)} bytes on average; ${RUNS} round(s), each stage once per round, raw first; appends every ${APPEND_ROWS.toLocaleString('en')} rows.

| stage | wall s | CPU s | CPU µs per event (median) | raw's wall over the stage's, median (range) |
|---|---|---|---:|---|
${rows.join('\n')}`)
await removeRunData([topic])
process.exit(0)
