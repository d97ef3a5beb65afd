import fc from 'fast-check'
import { decompressZstd } from 'hyparquet-compressors'
import { ByteWriter } from 'hyparquet-writer'
import { describe, expect, it } from 'vitest'
import { Schema } from '../spec/schema.js'
import { Types } from '../spec/types.js'
import { writeFlatColumn } from './flat-column.js'
import { parquetSchema } from './parquet-schema.js'
import { loadZstd } from './parquet-writer.js'
import { ZstdCompressor } from './zstd.js'
import { loadNativeZstd } from './zstd-native.js'

/** Page-like bytes: runs of a few repeated words, numbers and noise, so that zstd finds matches. */
const pageBytes = fc
  .array(
    fc.oneof(
      fc.constantFrom('user-', 'note ', 'purchase', 'DE', 'xxxxxxxxxxxx'),
      fc.integer().map(String),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 400 },
  )
  .map((words) => new TextEncoder().encode(words.join('')))

describe('zstd compressors', () => {
  it('loads native zstd where the optional dependency is installed (as in CI), and writers use it', async () => {
    const native = await loadNativeZstd()
    expect(native?.kind).toBe('native')
    expect(await loadZstd()).toBe(native)
  })

  it('compresses frames that the decoder Lake reads Parquet with restores, natively and in WebAssembly', async () => {
    const compressors = [(await loadNativeZstd())!, await ZstdCompressor.load()]
    await fc.assert(
      fc.asyncProperty(pageBytes, fc.constantFrom(1, 3, 9), async (bytes, level) => {
        for (const zstd of compressors) {
          expect(Uint8Array.from(decompressZstd(zstd.compress(bytes, level)))).toEqual(bytes)
        }
      }),
      { numRuns: 200 },
    )
  })

  it('reads the input in place: a view into a larger buffer compresses only its own bytes', async () => {
    const native = (await loadNativeZstd())!
    const whole = new TextEncoder().encode(`${'a'.repeat(100)}${'b'.repeat(100)}${'c'.repeat(100)}`)
    const view = whole.subarray(100, 200)
    expect(new TextDecoder().decode(decompressZstd(native.compress(view, 3)))).toBe('b'.repeat(100))
  })

  it('compresses off the calling thread to the same frames, and a column chunk to the same bytes', async () => {
    const native = (await loadNativeZstd())!
    await fc.assert(
      fc.asyncProperty(pageBytes, fc.constantFrom(1, 3, 9), async (bytes, level) => {
        expect(await native.compressAsync!(bytes, level)).toEqual(native.compress(bytes, level))
      }),
      { numRuns: 100 },
    )
    const element = parquetSchema(
      new Schema([{ id: 1, name: 'note', required: false, type: Types.string }]),
    )[1]!
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.string({ maxLength: 40 })), { maxLength: 3_000 }),
        fc.integer({ min: 64, max: 4_096 }),
        async (values, pageSize) => {
          const chunk = async (compressAsync: boolean) => {
            const writer = new ByteWriter()
            const meta = await writeFlatColumn(writer, values, {
              element,
              codec: 'ZSTD',
              compress: (input) => native.compress(input, 3),
              ...(compressAsync
                ? { compressAsync: (input: Uint8Array) => native.compressAsync!(input, 3) }
                : {}),
              pageBytes: pageSize,
              dictionaryBytes: 2_048,
            })
            return { meta, bytes: writer.getBytes() }
          }
          expect(await chunk(true)).toEqual(await chunk(false))
        },
      ),
      { numRuns: 50 },
    )
  })
})
