import { readFile } from 'node:fs/promises'
import * as zlib from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs script of this package, without types.
import { compileCrc32Wat } from '../../scripts/crc32-wat.mjs'
import { seededBytes as random } from '../../test/helpers.js'
import { crc32, type NativeCrc, verifyCrc32 } from './crc32.js'
import { loadNativeCrc } from './crc32-native.js'
import { CRC32_WASM } from './crc32-wasm.js'

const ascii = (text: string) => new TextEncoder().encode(text)

/** The byte-at-a-time definition, to check the sliced WebAssembly loop against. */
function reference(polynomial: number, bytes: Uint8Array): number {
  let crc = ~0
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ polynomial : crc >>> 1
  }
  return ~crc >>> 0
}

/** Big-endian checksums of `bytes`, one per `per` bytes, as a DataNode sends them. */
function checksums(kind: 'crc32c' | 'crc32', bytes: Uint8Array, per: number): Uint8Array {
  const sums = new Uint8Array(Math.ceil(bytes.length / per) * 4)
  const view = new DataView(sums.buffer)
  for (let i = 0; i * per < bytes.length; i++)
    view.setUint32(i * 4, crc32(kind, bytes, i * per, Math.min(bytes.length, (i + 1) * per)))
  return sums
}

describe('crc32', () => {
  it('gives the published check values of CRC-32C (RFC 3720) and CRC-32', () => {
    expect(crc32('crc32c', ascii('123456789'))).toBe(0xe3069283)
    expect(crc32('crc32c', new Uint8Array(32))).toBe(0x8a9136aa)
    expect(crc32('crc32c', new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43)
    expect(
      crc32(
        'crc32c',
        Uint8Array.from({ length: 32 }, (_, i) => i),
      ),
    ).toBe(0x46dd794e)
    expect(
      crc32(
        'crc32c',
        Uint8Array.from({ length: 32 }, (_, i) => 31 - i),
      ),
    ).toBe(0x113fdb5c)
    expect(crc32('crc32', ascii('123456789'))).toBe(0xcbf43926)
    expect(crc32('crc32c', new Uint8Array(0))).toBe(0)
  })

  it('equals the bit-by-bit definition at every length and offset, and zlib for CRC-32', () => {
    const data = random(3000, 7)
    for (let trial = 0; trial < 300; trial++) {
      const start = (trial * 37) % 64
      const end = Math.min(data.length, start + ((trial * 131) % 2900))
      const piece = data.subarray(start, end)
      expect(crc32('crc32c', data, start, end)).toBe(reference(0x82f63b78, piece))
      expect(crc32('crc32', data, start, end)).toBe(reference(0xedb88320, piece))
      // Node ≥ 20.15 has zlib's own CRC-32: an implementation independent of ours.
      if (typeof zlib.crc32 === 'function') expect(crc32('crc32', piece)).toBe(zlib.crc32(piece))
    }
  })

  it('continues from a previous value, across inputs larger than one copy into the module', () => {
    const data = random(3 * 1024 * 1024 + 5, 11)
    const whole = crc32('crc32c', data)
    const split = 1024 * 1024 + 3
    expect(crc32('crc32c', data, split, data.length, crc32('crc32c', data, 0, split))).toBe(whole)
    expect(whole).toBe(reference(0x82f63b78, data))
  })
})

describe('loadNativeCrc', () => {
  it('loads the CPU CRC instructions of @node-rs/crc32, giving the check values', async () => {
    const native = await loadNativeCrc()
    expect(native).toBeDefined()
    expect(native!.crc32c(ascii('123456789'))).toBe(0xe3069283)
    expect(native!.crc32(ascii('123456789'))).toBe(0xcbf43926)
    expect(await loadNativeCrc()).toBe(native)
  })

  it('checks whole pieces with one native call, a short last piece with another, pieces over 64 KiB one by one', async () => {
    const native = (await loadNativeCrc())!
    const lengths: number[] = []
    const counting: NativeCrc = {
      crc32c: (input) => {
        lengths.push(input.length)
        return native.crc32c(input)
      },
      crc32: native.crc32,
    }
    const data = random(128 * 512 + 77, 19)
    expect(
      verifyCrc32('crc32c', data, 0, data.length, 512, checksums('crc32c', data, 512), 0, counting),
    ).toBe(-1)
    expect(lengths).toEqual([128 * 512, 77])
    // Pieces over 64 KiB get a call each, and a changed one is still named.
    lengths.length = 0
    const large = random(3 * 100_000 + 5, 29)
    const sums = checksums('crc32c', large, 100_000)
    expect(verifyCrc32('crc32c', large, 0, large.length, 100_000, sums, 0, counting)).toBe(-1)
    expect(lengths).toEqual([100_000, 100_000, 100_000, 5])
    large[200_001]! ^= 2
    expect(verifyCrc32('crc32c', large, 0, large.length, 100_000, sums, 0, counting)).toBe(2)
  })

  it('leaves the verdict to the WebAssembly loop when the combined check fails', () => {
    const wrong: NativeCrc = { crc32c: () => 0, crc32: () => 0 }
    const data = random(8 * 512, 23)
    const sums = checksums('crc32c', data, 512)
    expect(verifyCrc32('crc32c', data, 0, data.length, 512, sums, 0, wrong)).toBe(-1)
    const flipped = data.slice()
    flipped[6 * 512]! ^= 1
    expect(verifyCrc32('crc32c', flipped, 0, flipped.length, 512, sums, 0, wrong)).toBe(6)
  })
})

describe.each([
  ['WebAssembly', async (): Promise<NativeCrc | undefined> => undefined],
  ['native CRC', async () => loadNativeCrc()],
])('verifyCrc32 (%s)', (_, load) => {
  let native: NativeCrc | undefined
  beforeAll(async () => {
    native = await load()
  })
  const verify = (...args: Parameters<typeof verifyCrc32>) => {
    const [kind, bytes, start, end, per, sums, at] = args
    return verifyCrc32(kind, bytes, start, end, per, sums, at, native)
  }

  it('accepts a packet whose checksums match, with a short last piece', () => {
    const data = random(64 * 1024 + 100, 3)
    for (const kind of ['crc32c', 'crc32'] as const) {
      const sums = checksums(kind, data, 512)
      expect(verify(kind, data, 0, data.length, 512, sums)).toBe(-1)
      // The same bytes at an odd offset of a larger buffer, checksums after a prefix.
      const framed = new Uint8Array(data.length + 3)
      framed.set(data, 3)
      const framedSums = new Uint8Array(sums.length + 5)
      framedSums.set(sums, 5)
      expect(verify(kind, framed, 3, framed.length, 512, framedSums, 5)).toBe(-1)
    }
  })

  it('accepts any piece size and packet length, including less than one piece', () => {
    const data = random(9000, 13)
    for (const per of [1, 7, 100, 512, 4096, 16384, 100_000]) {
      for (const length of [0, 1, per - 1, per, per + 1, 3 * per, 9000]) {
        if (length < 0 || length > data.length) continue
        const piece = data.subarray(0, length)
        for (const kind of ['crc32c', 'crc32'] as const) {
          expect(verify(kind, piece, 0, length, per, checksums(kind, piece, per))).toBe(-1)
        }
      }
    }
  })

  it('names the first piece whose bytes or checksum were changed', () => {
    const data = random(10 * 512, 5)
    const sums = checksums('crc32c', data, 512)
    for (const piece of [0, 4, 9]) {
      const flipped = data.slice()
      flipped[piece * 512 + 17]! ^= 0x10
      expect(verify('crc32c', flipped, 0, flipped.length, 512, sums)).toBe(piece)
    }
    const badSums = sums.slice()
    badSums[7 * 4 + 2]! ^= 1
    expect(verify('crc32c', data, 0, data.length, 512, badSums)).toBe(7)
    // CRC-32 checksums are not CRC-32C ones.
    expect(verify('crc32', data, 0, data.length, 512, sums)).toBe(0)
    expect(() => verify('crc32c', data, 0, data.length, 512, sums.subarray(4))).toThrow(RangeError)
  })

  it('finds a change in a short last piece, and changes in two pieces that could cancel out', () => {
    const data = random(5 * 512 + 40, 17)
    const sums = checksums('crc32c', data, 512)
    const tail = data.slice()
    tail[5 * 512 + 3]! ^= 1
    expect(verify('crc32c', tail, 0, tail.length, 512, sums)).toBe(5)
    // The same bit flipped in two whole pieces: each piece's CRC changes; combined, they must not hide.
    const twice = data.slice()
    twice[512 + 9]! ^= 4
    twice[3 * 512 + 9]! ^= 4
    expect(verify('crc32c', twice, 0, twice.length, 512, sums)).toBe(1)
    // Two pieces swapped: every byte is there, in the wrong order.
    const swapped = data.slice()
    swapped.set(data.subarray(0, 512), 512)
    swapped.set(data.subarray(512, 1024), 0)
    expect(verify('crc32c', swapped, 0, swapped.length, 512, sums)).toBe(0)
  })
})

describe('crc32.wat', () => {
  it('runs the module compiled from crc32.wat, byte for byte', async () => {
    const text = await readFile(new URL('./crc32.wat', import.meta.url), 'utf8')
    const compiled: Uint8Array = await compileCrc32Wat(text)
    expect(Buffer.from(compiled).toString('base64')).toBe(CRC32_WASM)
  })
})
