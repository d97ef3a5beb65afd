/**
 * Encoding Parquet data files of flat columns: Lake's `ParquetFileWriter`, which encodes flat
 * schemas with its own column chunk writer (`flat-column.ts`), against hyparquet-writer's
 * `ParquetWriter` given the same column arrays, schema, codec and page and dictionary sizes,
 * which is how Lake encoded them before; and Lake's writer given the same rows as typed columns
 * (`ColumnBuilder` with `typed: true`, as an ingest worker buffers them) against the arrays of
 * values. Alternating rounds in one process, CPU time per row (GC included), all with zstd; the
 * first round must give files whose rows read back equal, and a typed file equal byte for byte
 * to the file of the values.
 *
 * Run: `pnpm bench parquet` (`--rows N`, default 200,000; `--rounds N`, default 5).
 */
import { loadavg } from 'node:os'
import { isDeepStrictEqual } from 'node:util'
import { argument } from '@lake/devtools/args'
import { median } from '@lake/devtools/stats'
import { parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { ByteWriter, ParquetWriter } from 'hyparquet-writer'
import { Schema } from '../src/spec/schema.js'
import { Types } from '../src/spec/types.js'
import { type ColumnBatch, ColumnBuilder, columnBatch } from '../src/writer/column-batch.js'
import { parquetSchema } from '../src/writer/parquet-schema.js'
import { loadZstd, ParquetFileWriter } from '../src/writer/parquet-writer.js'
import { ZstdCompressor } from '../src/writer/zstd.js'
import { loadNativeZstd } from '../src/writer/zstd-native.js'

const ROWS = Number(argument('rows') ?? 200_000)
const ROUNDS = Number(argument('rounds') ?? 5)

/** The ingest benchmark's events: 10 flat columns, two of them high-cardinality strings. */
const schema = new Schema([
  { id: 1, name: 'id', required: true, type: Types.long },
  { id: 2, name: 'ts', required: true, type: Types.timestamptz },
  { id: 3, name: 'user', required: true, type: Types.string },
  { id: 4, name: 'kind', required: true, type: Types.string },
  { id: 5, name: 'country', required: false, type: Types.string },
  { id: 6, name: 'amount', required: false, type: Types.decimal(10, 2) },
  { id: 7, name: 'qty', required: false, type: Types.int },
  { id: 8, name: 'price', required: false, type: Types.double },
  { id: 9, name: 'flag', required: false, type: Types.boolean },
  { id: 10, name: 'note', required: false, type: Types.string },
])
const KINDS = ['view', 'click', 'purchase', 'signup']
const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR', 'IN']
const batch: ColumnBatch = columnBatch(
  schema,
  Array.from({ length: ROWS }, (_, i) => ({
    id: BigInt(i),
    ts: (1_764_000_000_000n + BigInt(i)) * 1000n,
    user: `user-${(i * 7919) % 250_000}`,
    kind: KINDS[i % 4],
    country: i % 11 === 0 ? null : COUNTRIES[i % 6],
    amount: BigInt(i % 100_000),
    qty: i % 17,
    price: (i % 1000) / 7,
    flag: i % 3 === 0,
    note: `note ${i.toString(36)} ${'x'.repeat(20 + (i % 20))}`,
  })),
)

/** The same rows in typed columns, as a typed `ColumnBuilder` holds them. */
const typed: ColumnBatch = (() => {
  const builder = new ColumnBuilder(schema, { typed: true })
  const row = new Array<unknown>(schema.fields.length)
  for (let r = 0; r < ROWS; r++) {
    for (let c = 0; c < row.length; c++) {
      const column = batch.columns[c] as readonly unknown[]
      row[c] = column[r]
    }
    builder.addValues(row)
  }
  return builder.take()
})()

/** The compressor Lake's writer uses (native where it loads), for hyparquet-writer too. */
const zstd = await loadZstd()
/** The pages hyparquet-writer compresses in the first round, to time the compressors on. */
const pages: Uint8Array[] = []

async function lakeFrom(rows: ColumnBatch): Promise<Uint8Array> {
  const writer = new ParquetFileWriter({ schema })
  await writer.write(rows)
  return (await writer.close()).bytes
}
const lake = () => lakeFrom(batch)
const lakeTyped = () => lakeFrom(typed)

async function hyparquet(): Promise<Uint8Array> {
  const out = new ByteWriter()
  const writer = new ParquetWriter({
    writer: out,
    schema: parquetSchema(schema),
    codec: 'ZSTD',
    compressors: {
      ZSTD: (input) => {
        if (pages.length < 1000 && times.hyparquet.length === 0) pages.push(input.slice())
        return zstd.compress(input, 3)
      },
    },
  })
  await writer.write({
    columnData: schema.fields.map((f, c) => ({ name: f.name, data: batch.columns[c] as unknown[] })),
    rowGroupSize: ROWS,
    pageSize: 1024 * 1024,
    dictionarySize: 2 * 1024 * 1024,
  })
  writer.finish()
  return new Uint8Array(out.getBuffer())
}

/** CPU microseconds per row of one write, and the file. */
async function measure(write: () => Promise<Uint8Array>): Promise<{ us: number; bytes: Uint8Array }> {
  globalThis.gc?.()
  const before = process.cpuUsage()
  const bytes = await write()
  const cpu = process.cpuUsage(before)
  return { us: (cpu.user + cpu.system) / ROWS, bytes }
}

const read = async (bytes: Uint8Array) =>
  parquetReadObjects({
    file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    compressors,
  })
const load = loadavg()[0]!
const times = { lake: [] as number[], hyparquet: [] as number[], typed: [] as number[] }
const sizes = { lake: 0, hyparquet: 0, typed: 0 }
for (let round = 0; round < ROUNDS; round++) {
  const theirs = await measure(hyparquet)
  const ours = await measure(lake)
  const fromTyped = await measure(lakeTyped)
  times.hyparquet.push(theirs.us)
  times.lake.push(ours.us)
  times.typed.push(fromTyped.us)
  sizes.hyparquet = theirs.bytes.length
  sizes.lake = ours.bytes.length
  sizes.typed = fromTyped.bytes.length
  if (round > 0) continue
  if (!isDeepStrictEqual(await read(ours.bytes), await read(theirs.bytes)))
    throw new Error('the two files read back differently')
  if (!Buffer.from(fromTyped.bytes).equals(Buffer.from(ours.bytes)))
    throw new Error('the file of typed columns differs from the file of values')
}

/** zstd alone at level 3 on the pages of the file, native and WebAssembly in alternating rounds: MB/s of input per CPU second. */
const zstds = { native: await loadNativeZstd(), wasm: await ZstdCompressor.load() }
const pageBytes = pages.reduce((sum, page) => sum + page.length, 0)
const rates = { native: [] as number[], wasm: [] as number[] }
const framed = { native: 0, wasm: 0 }
for (let round = 0; round < ROUNDS; round++) {
  for (const kind of ['native', 'wasm'] as const) {
    const compressor = zstds[kind]
    if (compressor === undefined) continue
    const before = process.cpuUsage()
    let out = 0
    for (const page of pages) out += compressor.compress(page, 3).length
    const cpu = process.cpuUsage(before)
    rates[kind].push(pageBytes / (cpu.user + cpu.system))
    framed[kind] = out
  }
}

const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`
const l = median(times.lake)
const h = median(times.hyparquet)
const t = median(times.typed)
console.log(`## parquet

\`pnpm bench parquet\`, ${new Date().toISOString().slice(0, 10)}: ${ROWS.toLocaleString('en')} rows of the ingest benchmark's 10 flat columns in one row group, zstd, ${ROUNDS} alternating rounds, Node.js ${process.version}, load ${load.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end.

| encoder | CPU µs per row, median (range) | file bytes |
|---|---|---:|
| hyparquet-writer 0.17.0 \`ParquetWriter\` | ${h.toFixed(2)} (${range(times.hyparquet)}) | ${sizes.hyparquet.toLocaleString('en')} |
| Lake \`ParquetFileWriter\` (flat column chunks) | ${l.toFixed(2)} (${range(times.lake)}) | ${sizes.lake.toLocaleString('en')} |
| Lake \`ParquetFileWriter\` from typed columns | ${t.toFixed(2)} (${range(times.typed)}) | ${sizes.typed.toLocaleString('en')} |

Lake takes ${(l / h).toFixed(2)}× hyparquet-writer's CPU time; from typed columns, ${(t / l).toFixed(2)}× its CPU time from arrays of values (${(t / h).toFixed(2)}× hyparquet-writer's). Both compress with the compressor Lake loads: ${zstd.kind === 'native' ? 'native libzstd (`@toondepauw/node-zstd`)' : 'WebAssembly'}.

zstd alone, level 3, on the file's ${pages.length} pages (${(pageBytes / 1e6).toFixed(1)} MB), ${ROUNDS} alternating rounds:

| compressor | MB per CPU second, median (range) | compressed bytes |
|---|---|---:|
${(['native', 'wasm'] as const)
  .filter((kind) => rates[kind].length > 0)
  .map(
    (kind) =>
      `| ${kind === 'native' ? 'native libzstd (`@toondepauw/node-zstd` 2.0.0)' : 'WebAssembly (`@bokuweb/zstd-wasm` 0.0.27, own instance)'} | ${median(rates[kind]).toFixed(0)} (${Math.min(...rates[kind]).toFixed(0)}–${Math.max(...rates[kind]).toFixed(0)}) | ${framed[kind].toLocaleString('en')} |`,
  )
  .join('\n')}`)
