import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { lz4DecompressBlock } from './lz4.js'

// Blocks compressed by the reference LZ4 library (python-lz4, fast and high-compression modes);
// test/fixtures/lz4/generate.py says how they were made.
const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/lz4/${name}`, import.meta.url))

describe('lz4DecompressBlock', () => {
  for (const input of ['rows', 'random', 'run', 'short', 'empty', 'text']) {
    for (const mode of ['default', 'hc']) {
      it(`restores the ${input} input from the reference compressor's ${mode} block`, () => {
        const original = fixture(`${input}.bin`)
        const block = fixture(`${input}.${mode}.lz4`)
        expect(lz4DecompressBlock(block, original.length).equals(original)).toBe(true)
      })
    }
  }

  it('refuses a block that decompresses to another size than declared', () => {
    const original = fixture('rows.bin')
    const block = fixture('rows.default.lz4')
    expect(() => lz4DecompressBlock(block, original.length + 1)).toThrow(RangeError)
    expect(() => lz4DecompressBlock(block, original.length - 1)).toThrow(RangeError)
  })

  it('refuses a truncated block and a match reaching before the output', () => {
    const block = fixture('rows.default.lz4')
    const size = fixture('rows.bin').length
    expect(() => lz4DecompressBlock(block.subarray(0, block.length - 7), size)).toThrow(RangeError)
    // A token of no literals and a match at offset 1 with nothing written yet.
    expect(() => lz4DecompressBlock(Uint8Array.of(0x00, 0x01, 0x00, 0x00), 8)).toThrow(RangeError)
  })
})
