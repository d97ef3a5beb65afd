/**
 * The ingest worker's per-record decode and validation alone, no Kafka or HDFS: the benchmark's
 * JSON events read into the table's columns the general way (`JSON.parse` of the value's text,
 * then `ColumnBuilder.add`), by the JSON row reader into columns of values (`JsonRowReader.readInto`
 * a `ColumnBuilder`), and by the reader into typed columns from one buffer holding every value
 * (`readRange` into a typed `ColumnBuilder`, as the worker reads a fetch), alternately in the
 * same process, as CPU
 * time per event (GC included). All must give the same values. The columns are handed over every
 * `--commit-rows` rows (default 25,000, about what a commit of the worker's default buffers
 * takes), so that rows live as long as in the worker, not all at once nor not at all.
 *
 * Run: `pnpm bench ingest-decode` (`--records N`, default 200,000; `--rounds N`, default 5).
 */
import { loadavg } from 'node:os'
import { isDeepStrictEqual } from 'node:util'
import { type ColumnBatch, ColumnBuilder, isTypedColumn, typedValues } from '@lake/catalog'
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
/** The values as a fetch holds them, one after another in one buffer; value `i` is `starts[i]` to `starts[i + 1]`. */
const fetched = Buffer.concat(values)
const starts = new Int32Array(RECORDS + 1)
for (let i = 0; i < RECORDS; i++) starts[i + 1] = starts[i]! + values[i]!.length

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

/**
 * Reads every event with the JSON row reader into a builder, handing each `COMMIT_ROWS` rows
 * over to `commit`: into columns of values, each value a buffer of its own; typed, where the
 * fetch put them, as the worker reads them.
 */
function readInto(typed: boolean, commit: (batch: ColumnBatch) => void): void {
  const read = new JsonRowReader(schema, false)
  const builder = new ColumnBuilder(schema, { typed })
  for (let i = 0; i < RECORDS; i++) {
    const accepted = typed
      ? read.readRange(fetched, starts[i]!, starts[i + 1]!, builder)
      : read.readInto(values[i]!, builder)
    if (!accepted) throw new Error('declined a benchmark event')
    if (builder.rowCount === COMMIT_ROWS) commit(builder.take())
  }
  commit(builder.take())
}
const reader = (commit: (batch: ColumnBatch) => void) => readInto(false, commit)
const typed = (commit: (batch: ColumnBatch) => void) => readInto(true, commit)

/** A batch's columns as arrays of internal values, typed or not. */
function valuesOf(batch: ColumnBatch): unknown[][] {
  return batch.columns.map((column, c) =>
    isTypedColumn(column) ? typedValues(column, schema.fields[c]!.type) : [...column],
  )
}

/** CPU microseconds per event of one pass. */
function measure(pass: (commit: (batch: ColumnBatch) => void) => void): number {
  globalThis.gc?.()
  const before = process.cpuUsage()
  pass(() => {})
  const cpu = process.cpuUsage(before)
  return (cpu.user + cpu.system) / RECORDS
}

const paths = { general, reader, typed }
const names = Object.keys(paths) as (keyof typeof paths)[]
const columns = names.map((name) => {
  const batches: ColumnBatch[] = []
  paths[name]((batch) => batches.push(batch))
  return batches.map(valuesOf)
})
for (const other of columns.slice(1)) {
  if (!isDeepStrictEqual(columns[0], other)) throw new Error('the paths gave different columns')
}
columns.length = 0
const load = loadavg()[0]!
const times = { general: [] as number[], reader: [] as number[], typed: [] as number[] }
for (let round = 0; round < ROUNDS; round++) for (const name of names) times[name].push(measure(paths[name]))
const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`
const g = median(times.general)
const r = median(times.reader)
const t = median(times.typed)
console.log(`## ingest-decode

\`pnpm bench ingest-decode\`: ${RECORDS.toLocaleString('en')} benchmark events (${Math.round(values.reduce((n, v) => n + v.length, 0) / RECORDS)} bytes), columns handed over every ${COMMIT_ROWS.toLocaleString('en')} rows, ${ROUNDS} alternating rounds, Node.js ${process.version}, load ${load.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end.

| path | CPU µs per event, median (range) |
|---|---|
| JSON.parse, then ColumnBuilder.add | ${g.toFixed(2)} (${range(times.general)}) |
| JsonRowReader.readInto a ColumnBuilder (values) | ${r.toFixed(2)} (${range(times.reader)}) |
| JsonRowReader.readRange into a typed ColumnBuilder, values where a fetch put them (as the worker reads) | ${t.toFixed(2)} (${range(times.typed)}) |

The reader takes ${(r / g).toFixed(2)}× the CPU of the general path, and read into typed columns ${(t / g).toFixed(2)}×.`)
