import { ValidationError } from '@lake/errors'
import fc from 'fast-check'
import { parquetMetadata } from 'hyparquet'
import { ByteWriter, ParquetWriter } from 'hyparquet-writer'
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js'
import { describe, expect, it } from 'vitest'
import { Schema } from '../spec/schema.js'
import { primitiveToString, Types } from '../spec/types.js'
import { columnBatch } from './column-batch.js'
import { compareUtf8, isFlat, rleBitPacked } from './flat-column.js'
import { parquetSchema } from './parquet-schema.js'
import { ParquetFileWriter } from './parquet-writer.js'
import { arrayBuffer, PRIMITIVES, readStored } from './test-helpers.js'

/** The flat types (all but UUID, fixed and decimals over 18 digits) with their internal values. */
const FLAT = PRIMITIVES.filter(
  ([type]) =>
    type.kind !== 'uuid' && type.kind !== 'fixed' && !(type.kind === 'decimal' && type.precision > 18),
)

/** The same rows written by hyparquet-writer alone, as the flat path's reference. */
async function reference(schema: Schema, rows: Record<string, unknown>[], pageBytes: number) {
  const out = new ByteWriter()
  const writer = new ParquetWriter({ writer: out, schema: parquetSchema(schema), codec: 'UNCOMPRESSED' })
  const batch = columnBatch(schema, rows)
  await writer.write({
    columnData: schema.fields.map((f, c) => ({ name: f.name, data: batch.columns[c] as unknown[] })),
    rowGroupSize: rows.length,
    pageSize: pageBytes,
    dictionarySize: 2 * 1024 * 1024,
  })
  writer.finish()
  return new Uint8Array(out.getBuffer())
}

async function flat(
  schema: Schema,
  rows: Record<string, unknown>[],
  pageBytes: number,
  codec = 'uncompressed',
) {
  const writer = new ParquetFileWriter({
    schema,
    properties: {
      'write.parquet.page-size-bytes': String(pageBytes),
      'write.parquet.compression-codec': codec,
    },
  })
  await writer.write(columnBatch(schema, rows))
  return (await writer.close()).bytes
}

/** The chunks' statistics, encodings and value counts as the footer holds them. */
function chunks(bytes: Uint8Array) {
  return parquetMetadata(arrayBuffer(bytes)).row_groups.flatMap((g) =>
    g.columns.map((c) => ({
      statistics: c.meta_data!.statistics,
      values: c.meta_data!.num_values,
      dictionary: c.meta_data!.encodings.includes('RLE_DICTIONARY'),
    })),
  )
}

describe('flat column chunks', () => {
  for (const [type, values] of FLAT) {
    it(`write ${primitiveToString(type)} values as hyparquet-writer would: same values, statistics and dictionary choice`, async () => {
      expect(isFlat(type)).toBe(true)
      await fc.assert(
        fc.asyncProperty(
          // Few distinct values make dictionaries, many make plain pages; small pages make many.
          // No -0: hyparquet-writer's dictionaries key it with 0 and write both as one (see below).
          fc.array(
            values.filter((v) => !Object.is(v, -0)),
            { minLength: 1, maxLength: 40 },
          ),
          fc.integer({ min: 1, max: 400 }),
          fc.boolean(),
          fc.constantFrom(16, 100, 1024 * 1024),
          async (pool, length, required, pageBytes) => {
            const schema = new Schema([
              { id: 1, name: 'v', required, type },
              { id: 2, name: 'n', required: true, type: Types.int },
            ])
            const rows = Array.from({ length }, (_, i) => ({
              v: !required && i % 7 === 3 ? null : pool[(i * 31) % pool.length],
              n: i,
            }))
            const mine = await flat(schema, rows, pageBytes)
            const theirs = await reference(schema, rows, pageBytes)
            expect(await readStored(mine)).toEqual(await readStored(theirs))
            expect(chunks(mine)).toEqual(chunks(theirs))
          },
        ),
        { numRuns: 40 },
      )
    })
  }

  it('leaves -0 out of a dictionary, which would key it with 0 (hyparquet-writer writes 0 as -0 there)', async () => {
    const schema = new Schema([{ id: 1, name: 'v', required: true, type: Types.double }])
    const rows = Array.from({ length: 100 }, (_, i) => ({ v: i % 2 === 0 ? -0 : 0 }))
    const bytes = await flat(schema, rows, 1024)
    const back = await readStored(bytes)
    expect(back.map((row) => Object.is(row.v, -0))).toEqual(rows.map((row) => Object.is(row.v, -0)))
    expect(chunks(bytes)[0]!.dictionary).toBe(false)
  })

  it('compresses each page with the table codec and reads back the same', async () => {
    const schema = new Schema([
      { id: 1, name: 'kind', required: true, type: Types.string },
      { id: 2, name: 'note', required: false, type: Types.string },
      { id: 3, name: 'at', required: true, type: Types.timestamptz },
    ])
    const rows = Array.from({ length: 5000 }, (_, i) => ({
      kind: ['view', 'click'][i % 2],
      note: i % 5 === 0 ? null : `note ${i} ✓ ${'x'.repeat(i % 30)}`,
      at: 1_764_000_000_000_000n + BigInt(i),
    }))
    const plain = await readStored(await flat(schema, rows, 4096))
    for (const codec of ['zstd', 'snappy', 'gzip']) {
      const bytes = await flat(schema, rows, 4096, codec)
      expect(parquetMetadata(arrayBuffer(bytes)).row_groups[0]!.columns[0]!.meta_data!.codec).toBe(
        codec.toUpperCase(),
      )
      expect(await readStored(bytes)).toEqual(plain)
    }
  })

  it('refuses a null in a required column and a value of the wrong type, failing the writer', async () => {
    const schema = new Schema([{ id: 1, name: 'v', required: true, type: Types.long }])
    for (const v of [null, 1, 'x', 2n ** 63n]) {
      const writer = new ParquetFileWriter({ schema })
      await writer.write({ rowCount: 2, columns: [[1n, v]] })
      await expect(writer.close()).rejects.toThrow(ValidationError)
    }
  })

  it('encodes RLE / bit-packed hybrid runs byte for byte as hyparquet-writer', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 32 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 20 })), { maxLength: 30 }),
        fc.nat(3),
        (width, runs, skip) => {
          const max = 2 ** width - 1
          const values = Int32Array.from(runs.flatMap(([v, n]) => Array(n).fill(v % (max + 1))))
          const reference = new ByteWriter()
          writeRleBitPackedHybrid(reference, values, width)
          const encoded = rleBitPacked(values, width, skip)
          expect(encoded.subarray(0, skip)).toEqual(new Uint8Array(skip))
          expect(encoded.subarray(skip)).toEqual(reference.getBytes())
        },
      ),
      { numRuns: 500 },
    )
  })

  it('orders strings by their UTF-8 bytes, lone surrogates as U+FFFD', () => {
    const sign = (n: number) => Math.sign(n)
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 8 }),
        fc.string({ unit: 'binary', maxLength: 8 }),
        (a, b) => {
          const bytes = Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
          // Different strings may encode alike (two lone surrogates); then only the order of equals matters.
          if (bytes !== 0) expect(sign(compareUtf8(a, b))).toBe(bytes)
        },
      ),
      { numRuns: 2000 },
    )
    expect(compareUtf8('\uffff', '\u{10000}')).toBeLessThan(0)
    expect(compareUtf8('\ue000', '\ud800\udc00')).toBeLessThan(0)
  })
})
