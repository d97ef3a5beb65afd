/**
 * The ingest worker's per-record decode and validation alone, no Kafka or HDFS: the benchmark's
 * JSON events read into the table's columns the general way (`JSON.parse` of the value's text,
 * then `ColumnBuilder.add`) and by the JSON row reader (`JsonRowReader.read`, then
 * `ColumnBuilder.addValues`), alternately in the same process, as CPU time per event (GC
 * included). Both must give the same columns. The columns are handed over every `--commit-rows`
 * rows (default 25,000, about what a commit of the worker's default buffers takes), so that rows
 * live as long as in the worker, not all at once nor not at all.
 *
 * Run: `pnpm bench ingest-decode` (`--records N`, default 200,000; `--rounds N`, default 5).
 */
import { loadavg } from 'node:os'
import { isDeepStrictEqual } from 'node:util'
import { type ColumnBatch, ColumnBuilder } from '@lake/catalog'
import { argument } from '@lake/devtools/args'
import { median } from '@lake/devtools/stats'
import { compileDecoder } from '../src/decode.js'
import { JsonRowReader } from '../src/json-row.js'
import { recordMeta as meta } from '../test/record-meta.js'
import { Events, event } from './events.js'

const RECORDS = Number(argument('records') ?? 200_000)
const ROUNDS = Number(argument('rounds') ?? 5)
const COMMIT_ROWS = Number(argument('commit-rows') ?? 25_000)

const schema = Events.schema
const values = Array.from({ length: RECORDS }, (_, i) => Buffer.from(event(i), 'utf8'))

/** Reads every event the general way, handing each `COMMIT_ROWS` rows over to `commit`. */
function general(commit: (batch: ColumnBatch) => void): void {
  const decode = compileDecoder('json')
  const builder = new ColumnBuilder(schema)
  for (const value of values) {
    builder.add(decode(value, meta))
    if (builder.rowCount === COMMIT_ROWS) commit(builder.take())
  }
  commit(builder.take())
}

/** Reads every event with the JSON row reader, handing each `COMMIT_ROWS` rows over to `commit`. */
function reader(commit: (batch: ColumnBatch) => void): void {
  const read = new JsonRowReader(schema, false)
  const builder = new ColumnBuilder(schema)
  const scratch: unknown[] = []
  for (const value of values) {
    scratch.length = 0
    if (!read.read(value, scratch)) throw new Error('declined a benchmark event')
    builder.addValues(scratch)
    if (builder.rowCount === COMMIT_ROWS) commit(builder.take())
  }
  commit(builder.take())
}

/** CPU microseconds per event of one pass. */
function measure(pass: (commit: (batch: ColumnBatch) => void) => void): number {
  globalThis.gc?.()
  const before = process.cpuUsage()
  pass(() => {})
  const cpu = process.cpuUsage(before)
  return (cpu.user + cpu.system) / RECORDS
}

const batches: { general: ColumnBatch[]; reader: ColumnBatch[] } = { general: [], reader: [] }
general((batch) => batches.general.push(batch))
reader((batch) => batches.reader.push(batch))
if (!isDeepStrictEqual(batches.general, batches.reader))
  throw new Error('the two paths gave different columns')
batches.general.length = 0
batches.reader.length = 0
const load = loadavg()[0]!
const times: { general: number[]; reader: number[] } = { general: [], reader: [] }
for (let round = 0; round < ROUNDS; round++) {
  times.general.push(measure(general))
  times.reader.push(measure(reader))
}
const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`
const g = median(times.general)
const r = median(times.reader)
console.log(`## ingest-decode

\`pnpm bench ingest-decode\`: ${RECORDS.toLocaleString('en')} benchmark events (${Math.round(values.reduce((n, v) => n + v.length, 0) / RECORDS)} bytes), columns handed over every ${COMMIT_ROWS.toLocaleString('en')} rows, ${ROUNDS} alternating rounds, Node.js ${process.version}, load ${load.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end.

| path | CPU µs per event, median (range) |
|---|---|
| JSON.parse, then ColumnBuilder.add | ${g.toFixed(2)} (${range(times.general)}) |
| JsonRowReader, then ColumnBuilder.addValues | ${r.toFixed(2)} (${range(times.reader)}) |

The reader takes ${(r / g).toFixed(2)}× the CPU of the general path.`)
