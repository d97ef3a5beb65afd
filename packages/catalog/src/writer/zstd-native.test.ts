import fc from 'fast-check'
import { decompressZstd } from 'hyparquet-compressors'
import { describe, expect, it } from 'vitest'
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
})
