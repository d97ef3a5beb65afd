import fc from 'fast-check'
import { parquetMetadata } from 'hyparquet'
import { describe, expect, it } from 'vitest'
import { Schema } from '../spec/schema.js'
import { type PrimitiveType, primitiveToString, Types } from '../spec/types.js'
import { type ColumnBatch, ColumnBuilder, columnBatch } from './column-batch.js'
import { isFlat } from './flat-column.js'
import { ParquetFileWriter, RollingFileWriter, type WrittenDataFile } from './parquet-writer.js'
import { Scratch } from './scratch.js'
import { arrayBuffer, PRIMITIVES, readStored } from './test-helpers.js'
import { isTypedColumn } from './typed-column.js'

type Row = Record<string, unknown>

/** The flat types with their internal values; strings ASCII, where typed and untyped files agree byte for byte. */
const FLAT: [PrimitiveType, fc.Arbitrary<unknown>][] = PRIMITIVES.filter(([type]) => isFlat(type)).map(
  ([type, values]) => [type, type.kind === 'string' ? fc.string({ maxLength: 24 }) : values],
)

/** Rows as a batch of a typed `ColumnBuilder`, from their internal values. */
function typedBatch(schema: Schema, rows: readonly Row[]): ColumnBatch {
  const builder = new ColumnBuilder(schema, { typed: true })
  for (const row of rows) builder.addValues(schema.fields.map((f) => row[f.name] ?? null))
  return builder.take()
}

/** Rows cut at `cuts` into batches, each typed or not as `typed` says (cycled). */
function batches(schema: Schema, rows: readonly Row[], cuts: readonly number[], typed: readonly boolean[]) {
  const ends = [...new Set(cuts.map((c) => c % (rows.length + 1)))].sort((a, b) => a - b)
  const out: ColumnBatch[] = []
  let start = 0
  for (const end of [...ends, rows.length]) {
    if (end <= start) continue
    const slice = rows.slice(start, end)
    out.push(typed[out.length % typed.length] ? typedBatch(schema, slice) : columnBatch(schema, slice))
    start = end
  }
  return out
}

async function writeFile(schema: Schema, input: readonly ColumnBatch[], properties: Record<string, string>) {
  const writer = new ParquetFileWriter({ schema, properties })
  for (const batch of input) await writer.write(batch)
  return writer.close()
}

function expectSameFile(typed: WrittenDataFile, values: WrittenDataFile): void {
  expect(Buffer.from(typed.bytes).equals(Buffer.from(values.bytes))).toBe(true)
  expect(typed.dataFile).toEqual(values.dataFile)
}

/**
 * Rows of one column drawn from a pool of values: a small pool repeats (a dictionary), a large
 * one does not; nulls where the column is optional, or every row null.
 */
const column = (values: fc.Arbitrary<unknown>) =>
  fc.record({
    pool: fc.array(values, { minLength: 1, maxLength: 40 }),
    picks: fc.array(fc.nat(), { maxLength: 300 }),
    required: fc.boolean(),
    allNull: fc.boolean(),
  })

const layout = fc.record({
  pageBytes: fc.constantFrom(8, 100, 1024 * 1024),
  rowGroupRows: fc.constantFrom(7, 64, 1_048_576),
  codec: fc.constantFrom('uncompressed', 'snappy'),
  cuts: fc.array(fc.nat(), { maxLength: 3 }),
  typed: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
})

describe('typed column chunks', () => {
  for (const [type, values] of FLAT) {
    it(`write ${primitiveToString(type)} rows byte for byte as their values do`, async () => {
      await fc.assert(
        fc.asyncProperty(column(values), layout, async (c, l) => {
          const nullable = !c.required
          const schema = new Schema([{ id: 1, name: 'v', required: c.required, type }])
          const rows = c.picks.map((pick) => {
            const at = pick % (c.pool.length + (nullable ? 1 : 0))
            return { v: (nullable && c.allNull) || at === c.pool.length ? null : c.pool[at] }
          })
          const properties = {
            'write.parquet.page-size-bytes': String(l.pageBytes),
            'write.parquet.row-group-limit': String(l.rowGroupRows),
            'write.parquet.compression-codec': l.codec,
          }
          const typed = await writeFile(schema, batches(schema, rows, l.cuts, l.typed), properties)
          const plain = await writeFile(schema, [columnBatch(schema, rows)], properties)
          expectSameFile(typed, plain)
        }),
        { numRuns: 40 },
      )
    })
  }

  it('write every flat type side by side, with dictionaries, pages and row groups, as their values do', async () => {
    const schema = new Schema(
      FLAT.map(([type], i) => ({ id: i + 1, name: `c${i}`, required: i % 3 === 0, type })),
    )
    const arbitraries = Object.fromEntries(
      FLAT.map(([, values], i) => [`c${i}`, fc.array(values, { minLength: 1, maxLength: i % 2 ? 3 : 50 })]),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.record(arbitraries),
        fc.array(fc.nat(), { maxLength: 400 }),
        layout,
        async (pools, picks, l) => {
          const rows = picks.map((pick, r) =>
            Object.fromEntries(
              schema.fields.map((f) => {
                const pool = pools[f.name] as unknown[]
                const at = (pick + r * f.id) % (pool.length + 1)
                return [f.name, at === pool.length ? (f.required ? pool[0] : null) : pool[at]]
              }),
            ),
          )
          const properties = {
            'write.parquet.page-size-bytes': String(l.pageBytes),
            'write.parquet.row-group-limit': String(l.rowGroupRows),
          }
          const typed = await writeFile(schema, batches(schema, rows, l.cuts, l.typed), properties)
          expectSameFile(typed, await writeFile(schema, [columnBatch(schema, rows)], properties))
        },
      ),
      { numRuns: 30 },
    )
  })

  it('write dictionary and plain chunks, with nulls, from a single typed batch as its values do', async () => {
    const schema = new Schema([
      { id: 1, name: 'kind', required: false, type: Types.string },
      { id: 2, name: 'user', required: true, type: Types.string },
      { id: 3, name: 'at', required: false, type: Types.timestamptz },
      { id: 4, name: 'n', required: true, type: Types.long },
    ])
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      kind: i % 13 === 0 ? null : ['view', 'click', 'buy'][i % 3],
      user: `user-${(i * 7919) % 2500}`,
      at: i % 5 === 0 ? null : BigInt(i % 4) * -(2n ** 40n),
      n: BigInt(i) * 2n ** 33n - 2n ** 62n,
    }))
    const properties = { 'write.parquet.page-size-bytes': '2048' }
    const typed = await writeFile(schema, [typedBatch(schema, rows)], properties)
    expectSameFile(typed, await writeFile(schema, [columnBatch(schema, rows)], properties))
    const chunks = parquetMetadata(arrayBuffer(typed.bytes)).row_groups[0]!.columns.map((c) => c.meta_data!)
    expect(chunks.map((c) => c.encodings.includes('RLE_DICTIONARY'))).toEqual([true, false, true, false])
    expect(chunks.every((c) => c.encoding_stats!.at(-1)!.count > 1)).toBe(true)
  })

  it('write every flat type as their values do from buffers borrowed dirty, rows gathered from batches and all', async () => {
    const schema = new Schema(
      FLAT.map(([type], i) => ({ id: i + 1, name: `c${i}`, required: i % 4 === 0, type })),
    )
    await fc.assert(
      fc.asyncProperty(
        // Pools of a few values for even columns (dictionaries), thousands for odd ones (plain).
        fc.tuple(
          ...FLAT.map(([, values], c) =>
            fc.array(values, c % 2 ? { minLength: 2000, maxLength: 3000 } : { minLength: 1, maxLength: 20 }),
          ),
        ),
        fc.nat(),
        fc.constantFrom('uncompressed', 'zstd'),
        async (pools, seed, codec) => {
          // Rows enough for arrays of 16 KiB and more, which are borrowed; nulls in the optional
          // columns but every fifth (a chunk without a validity array).
          const rows = Array.from({ length: 6000 }, (_, r) =>
            Object.fromEntries(
              schema.fields.map((f, c) => {
                const pool = pools[c]!
                const value = pool[(r * (c + 1) + seed) % pool.length]
                return [f.name, !f.required && c % 5 !== 2 && (r + seed) % 7 === 0 ? null : value]
              }),
            ),
          )
          // The buffers the pool hands out next are full of garbage: two dozen of each size
          // a column or page of these rows takes.
          const dirty = new Scratch()
          for (let size = 16 * 1024; size <= 4 * 1024 * 1024; size *= 2) {
            for (let n = 0; n < (size < 1024 * 1024 ? 24 : 4); n++) dirty.bytes(size).fill(0xa5)
          }
          dirty.release()
          const properties = { 'write.parquet.compression-codec': codec }
          const typed = await writeFile(schema, batches(schema, rows, [1000, 2500], [true]), properties)
          expectSameFile(typed, await writeFile(schema, [columnBatch(schema, rows)], properties))
        },
      ),
      // Large inputs: a failure is reported as found, not shrunk.
      { numRuns: 6, endOnFailure: true },
    )
  })

  it('write a page of booleans as their values do from a buffer borrowed dirty', async () => {
    // 160,000 booleans, nulls among them, pack into a page of more than 16 KiB, which is borrowed.
    const schema = new Schema([{ id: 1, name: 'b', required: false, type: Types.boolean }])
    const rows = Array.from({ length: 160_000 }, (_, r) => ({ b: r % 11 === 0 ? null : r % 3 === 0 }))
    const dirty = new Scratch()
    for (let n = 0; n < 4; n++) dirty.bytes(32 * 1024).fill(0xff)
    dirty.release()
    const typed = await writeFile(schema, [typedBatch(schema, rows)], {})
    expectSameFile(typed, await writeFile(schema, [columnBatch(schema, rows)], {}))
  })

  it('write the same values and statistics as values do for strings that are not ASCII', async () => {
    const schema = new Schema([{ id: 1, name: 's', required: false, type: Types.string }])
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.string({ unit: 'binary', maxLength: 12 })), { maxLength: 200 }),
        async (values) => {
          const rows = values.map((s) => ({ s }))
          const typed = await writeFile(schema, [typedBatch(schema, rows)], {})
          const plain = await writeFile(schema, [columnBatch(schema, rows)], {})
          expect(await readStored(typed.bytes)).toEqual(await readStored(plain.bytes))
          const stats = (bytes: Uint8Array) =>
            parquetMetadata(arrayBuffer(bytes)).row_groups.map((g) => g.columns[0]!.meta_data!.statistics)
          expect(stats(typed.bytes)).toEqual(stats(plain.bytes))
          expect(typed.dataFile.lowerBounds).toEqual(plain.dataFile.lowerBounds)
          expect(typed.dataFile.upperBounds).toEqual(plain.dataFile.upperBounds)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('write typed columns beside a nested field through hyparquet-writer as their values do', async () => {
    const schema = new Schema([
      { id: 1, name: 'id', required: true, type: Types.long },
      { id: 2, name: 'tags', required: false, type: Types.list(3, Types.string) },
      { id: 4, name: 'name', required: false, type: Types.string },
      { id: 5, name: 'price', required: false, type: Types.decimal(9, 2) },
    ])
    const rows = Array.from({ length: 500 }, (_, i) => ({
      id: BigInt(i - 250),
      tags: i % 5 === 0 ? null : [`t${i % 3}`, null],
      name: i % 7 === 0 ? null : `name ${i % 11}`,
      price: BigInt(i * 13 - 400),
    }))
    const properties = { 'write.parquet.row-group-limit': '120', 'write.parquet.page-size-bytes': '256' }
    const input = batches(schema, rows, [100, 333], [true])
    expect(input.every((b) => isTypedColumn(b.columns[0]!) && !isTypedColumn(b.columns[1]!))).toBe(true)
    const typed = await writeFile(schema, input, properties)
    expectSameFile(typed, await writeFile(schema, [columnBatch(schema, rows)], properties))
  })

  it('roll over into the same files as their values do', async () => {
    const schema = new Schema([
      { id: 1, name: 'id', required: true, type: Types.long },
      { id: 2, name: 'note', required: false, type: Types.string },
      { id: 3, name: 'x', required: false, type: Types.double },
    ])
    const rows = Array.from({ length: 5000 }, (_, i) => ({
      id: BigInt(i),
      note: i % 9 === 0 ? null : `note ${(i * 7919) % 3000}`,
      x: i % 4 === 0 ? null : i / 3,
    }))
    const roll = async (input: readonly ColumnBatch[]) => {
      const rolling = new RollingFileWriter({
        open: () =>
          new ParquetFileWriter({ schema, properties: { 'write.parquet.row-group-size-bytes': '4000' } }),
        targetFileSize: 10_000,
      })
      const files: WrittenDataFile[] = []
      for (const batch of input) files.push(...(await rolling.write(batch)))
      files.push(...(await rolling.close()))
      return files
    }
    const typed = await roll(batches(schema, rows, [1234, 3000], [true]))
    const plain = await roll([columnBatch(schema, rows)])
    expect(typed.length).toBeGreaterThan(2)
    expect(typed).toHaveLength(plain.length)
    for (const [i, file] of typed.entries()) expectSameFile(file, plain[i]!)
  })

  it('refuse a typed column of another layout than the field, as a ValidationError', async () => {
    const schema = new Schema([{ id: 1, name: 'v', required: false, type: Types.long }])
    const other = new Schema([{ id: 1, name: 'v', required: false, type: Types.int }])
    const writer = new ParquetFileWriter({ schema })
    await writer.write(typedBatch(other, [{ v: 1 }]))
    await expect(writer.close()).rejects.toThrow(/INT64 column, got a typed int32 column/)
  })
})
