/**
 * Avro encoding for manifests: Lake's own object-container codec against avsc 5.7.9.
 *
 * Encodes and decodes 100,000 manifest entries of a realistic data file (8 columns with sizes,
 * counts, null counts, NaN counts for the 2 floating columns, lower and upper bounds; a string
 * and a date partition) with each, and checks what each keeps: 64-bit longs and the `field-id`
 * attributes in the header. Prints a Markdown section for docs/decisions/0001-avro-encoding.md.
 *
 * Run: `pnpm exec tsx packages/catalog/bench/avro.bench.ts [entries]` or `pnpm bench catalog`.
 */
import { PassThrough, Readable } from 'node:stream'
import avro from 'avsc'
import { readAvroFile, readAvroHeader, writeAvroFile } from '../src/spec/avro/container.js'
import type { AvroSchema } from '../src/spec/avro/schema.js'
import { type ManifestEntry, ManifestEntryStatus } from '../src/spec/data-file.js'
import { readManifest, writeManifest } from '../src/spec/manifest.js'
import { Schema } from '../src/spec/schema.js'
import { Types } from '../src/spec/types.js'

const ENTRIES = Number(process.argv[2] ?? 100_000)
const RUNS = 5
const BIG_SNAPSHOT_ID = 9_007_199_254_740_993n // 2^53 + 1: wrong if a long passes through a double

const schema = new Schema([
  { id: 1, name: 'id', required: true, type: Types.long },
  { id: 2, name: 'category', required: false, type: Types.string },
  { id: 3, name: 'ts', required: false, type: Types.timestamptz },
  { id: 4, name: 'region', required: false, type: Types.int },
  { id: 5, name: 'price', required: false, type: Types.double },
  { id: 6, name: 'score', required: false, type: Types.float },
  { id: 7, name: 'note', required: false, type: Types.string },
  { id: 8, name: 'amount', required: false, type: Types.decimal(9, 2) },
])
const partitionType = Types.struct([
  { id: 1000, name: 'category', required: false, type: Types.string },
  { id: 1001, name: 'ts_day', required: false, type: Types.date },
])
const spec = {
  specId: 0,
  fields: [
    { sourceId: 2, fieldId: 1000, name: 'category', transform: { kind: 'identity' } as const },
    { sourceId: 3, fieldId: 1001, name: 'ts_day', transform: { kind: 'day' } as const },
  ],
}

function le(bytes: number, value: bigint): Uint8Array {
  const out = new Uint8Array(bytes)
  for (let i = 0; i < bytes; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn)
  return out
}

function makeEntries(n: number): ManifestEntry[] {
  const entries: ManifestEntry[] = []
  const ids = [1, 2, 3, 4, 5, 6, 7, 8]
  for (let i = 0; i < n; i++) {
    const rows = BigInt(10_000 + (i % 5000))
    const metric = (f: (id: number) => bigint) => new Map(ids.map((id) => [id, f(id)]))
    entries.push({
      status: ManifestEntryStatus.ADDED,
      snapshotId: BIG_SNAPSHOT_ID,
      sequenceNumber: BigInt(i),
      fileSequenceNumber: BigInt(i),
      dataFile: {
        content: 0,
        filePath: `s3://bucket/warehouse/db/events/data/category=c${i % 50}/ts_day=2024-03-${String((i % 28) + 1).padStart(2, '0')}/00000-${i}-3f1e4a52-8d9c-4b7e-a1f0-6c2d9e8b7a41.parquet`,
        fileFormat: 'PARQUET',
        partition: [`c${i % 50}`, 19_783 + (i % 28)],
        specId: 0,
        recordCount: rows,
        fileSizeInBytes: rows * 37n,
        columnSizes: metric((id) => rows * BigInt(id)),
        valueCounts: metric(() => rows),
        nullValueCounts: metric((id) => BigInt(id % 3)),
        nanValueCounts: new Map([
          [5, 0n],
          [6, 1n],
        ]),
        lowerBounds: new Map(ids.map((id) => [id, le(id === 4 || id === 6 ? 4 : 8, BigInt(i * id))])),
        upperBounds: new Map(ids.map((id) => [id, le(id === 4 || id === 6 ? 4 : 8, BigInt(i * id + 1000))])),
        splitOffsets: [4n],
        sortOrderId: 0,
      },
    })
  }
  return entries
}

interface Timing {
  min: number
  median: number
}

/**
 * Runs the contenders in turn, `RUNS` rounds after a warm-up, with a full GC before each run, so
 * that noise from a shared machine falls on all of them alike. Returns min and median per name.
 */
async function race(contenders: Record<string, () => unknown>): Promise<Record<string, Timing>> {
  const times: Record<string, number[]> = {}
  for (let round = 0; round <= RUNS; round++) {
    for (const [name, run] of Object.entries(contenders)) {
      globalThis.gc?.()
      const start = performance.now()
      await run()
      const ms = performance.now() - start
      if (round > 0) times[name] = [...(times[name] ?? []), ms]
    }
  }
  const out: Record<string, Timing> = {}
  for (const [name, list] of Object.entries(times)) {
    list.sort((a, b) => a - b)
    out[name] = { min: list[0]!, median: list[Math.floor(list.length / 2)]! }
  }
  return out
}

const fmt = (t: Timing | undefined) => (t ? `${t.min.toFixed(0)} / ${t.median.toFixed(0)}` : '')

// avsc, set up as its README says for 64-bit longs: a long type that reads and writes bigint.
const bigintLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8)
    buf.writeBigInt64LE(n)
    return buf
  },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
})
const avscType = (s: unknown) => avro.Type.forSchema(s as avro.Schema, { registry: { long: bigintLong } })

/** avsc's container encoder is a Node stream; this gathers its output. */
function avscEncode(typeOrSchema: unknown, records: unknown[], codec: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const encoder = new avro.streams.BlockEncoder(typeOrSchema as avro.Type, {
      codec,
      blockSize: 64_000,
      writeHeader: 'always',
    })
    const chunks: Buffer[] = []
    encoder.on('data', (chunk: Buffer) => chunks.push(chunk))
    encoder.on('end', () => resolve(Buffer.concat(chunks)))
    encoder.on('error', reject)
    for (const record of records) encoder.write(record)
    encoder.end()
  })
}

function avscDecode(bytes: Uint8Array): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const decoder = new avro.streams.BlockDecoder({ parseHook: (s: unknown) => avscType(s) as never })
    const records: unknown[] = []
    decoder.on('data', (record: unknown) => records.push(record))
    decoder.on('end', () => resolve(records))
    decoder.on('error', reject)
    Readable.from([Buffer.from(bytes)])
      .pipe(new PassThrough())
      .pipe(decoder)
  })
}

/** avsc takes `bytes` and `fixed` values only as Node `Buffer`s; Lake's records hold `Uint8Array`s. */
function toBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (Array.isArray(value)) return value.map(toBuffers)
  // Lake decodes Iceberg's key/value arrays into Maps; avsc wants the arrays of records back.
  if (value instanceof Map) return [...value].map(([key, v]) => ({ key, value: toBuffers(v) }))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toBuffers(v)]))
  }
  return value
}

/** The first field of the header schema as written, e.g. `{"name":"status","type":"int","field-id":0}`. */
function firstField(bytes: Uint8Array): string {
  const schema = readAvroHeader(bytes).metadata['avro.schema'] ?? ''
  const start = schema.indexOf('[{')
  return schema.slice(start + 1, schema.indexOf('}', start) + 1)
}

async function main(): Promise<void> {
  let entries: ManifestEntry[] | undefined = makeEntries(ENTRIES)
  const options = { entries, schema, spec, partitionType, formatVersion: 2 as const, content: 0 as const }
  let manifestBytes = writeManifest(options)
  const endToEnd = await race({
    write: () => {
      manifestBytes = writeManifest(options)
    },
    read: () => readManifest(manifestBytes),
  })
  const lakeLongOk = readManifest(manifestBytes).entries.at(-1)!.snapshotId === BIG_SNAPSHOT_ID
  entries = undefined
  options.entries = []

  // The Avro layer alone, on the very records and schema both libraries are given.
  const file = readAvroFile(manifestBytes)
  const records = file.records
  const avscRecords = records.map(toBuffers)
  const schemaJson = file.schemaJson as AvroSchema
  const type = avscType(schemaJson)
  const rows: string[] = []
  for (const codec of ['deflate', 'null'] as const) {
    let own = writeAvroFile({ schema: schemaJson, records, codec })
    let theirs = await avscEncode(type, avscRecords, codec)
    const encode = await race({
      lake: () => {
        own = writeAvroFile({ schema: schemaJson, records, codec })
      },
      avsc: async () => {
        theirs = await avscEncode(type, avscRecords, codec)
      },
    })
    const decode = await race({ lake: () => readAvroFile(own), avsc: () => avscDecode(theirs) })
    const ownLong =
      (readAvroFile(own).records.at(-1) as { snapshot_id: bigint }).snapshot_id === BIG_SNAPSHOT_ID
    const avscLong =
      ((await avscDecode(theirs)).at(-1) as { snapshot_id: bigint }).snapshot_id === BIG_SNAPSHOT_ID
    rows.push(
      `| Lake Avro layer | ${codec} | ${fmt(encode.lake)} | ${fmt(decode.lake)} | ${own.length} | ${ownLong ? 'yes' : 'NO'} |`,
      `| avsc 5.7.9 (bigint long) | ${codec} | ${fmt(encode.avsc)} | ${fmt(decode.avsc)} | ${theirs.length} | ${avscLong ? 'yes' : 'NO'} |`,
    )
  }

  // What reaches the header: avsc given its parsed Type (needed for bigint) vs the raw JSON.
  const fromType = firstField(await avscEncode(type, avscRecords.slice(0, 1), 'null'))
  const fromJson = firstField(await avscEncode(schemaJson, [], 'null'))
  const ownHeader = firstField(writeAvroFile({ schema: schemaJson, records: [], codec: 'null' }))
  let plainAvsc = 'accepted'
  try {
    await avscEncode(avro.Type.forSchema(schemaJson as avro.Schema), avscRecords.slice(0, 1), 'null')
  } catch (err) {
    plainAvsc = `refused: ${(err as Error).message.split('\n')[0]!.slice(0, 60)}`
  }

  console.log(
    `## Avro encoding (${ENTRIES.toLocaleString('en')} manifest entries, ms as min / median of ${RUNS})\n`,
  )
  console.log('| encoder | codec | encode ms | decode ms | bytes | 2^53+1 survives |')
  console.log('|---|---|---|---|---|---|')
  console.log(
    `| Lake writeManifest / readManifest (end to end) | deflate | ${fmt(endToEnd.write)} | ${fmt(endToEnd.read)} | ${manifestBytes.length} | ${lakeLongOk ? 'yes' : 'NO'} |`,
  )
  for (const row of rows) console.log(row)
  console.log('\nFirst field of the schema each writes to the header:\n')
  console.log(`- Lake: \`${ownHeader}\``)
  console.log(`- avsc given its parsed Type (needed for bigint longs): \`${fromType}\``)
  console.log(`- avsc given the raw schema JSON (default long type): \`${fromJson}\``)
  console.log(`- avsc with its default long type, writing snapshot id 2^53+1: ${plainAvsc}`)
}

await main()
