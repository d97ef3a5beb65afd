import { ValidationError } from '@lake/errors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseDate, parseDecimal, parseTime, parseTimestamp, parseTimestamptz } from './conversions.js'
import { hashValue, murmur3Hash32 } from './murmur3.js'
import { Types } from './types.js'

const ctx = {}
const bytes = (...b: number[]) => Uint8Array.from(b)

describe('murmur3Hash32', () => {
  it('matches the reference x86 32-bit vectors with seed 0', () => {
    expect(murmur3Hash32(new Uint8Array(0))).toBe(0)
    expect(murmur3Hash32(new TextEncoder().encode('hello'))).toBe(0x248bfa47)
    expect(murmur3Hash32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog'))).toBe(
      0x2e4ff723,
    )
  })

  it('returns signed 32-bit integers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        const h = murmur3Hash32(b)
        expect(h).toBe(h | 0)
      }),
    )
  })
})

describe('hashValue matches every test value of spec appendix B', () => {
  const cases: [string, () => number, number][] = [
    ['int 34', () => hashValue(Types.int, 34), 2017239379],
    ['long 34L', () => hashValue(Types.long, 34n), 2017239379],
    [
      'decimal(4, 2) 14.20',
      () => hashValue(Types.decimal(4, 2), parseDecimal('14.20', Types.decimal(4, 2), ctx)),
      -500754589,
    ],
    ['date 2017-11-16', () => hashValue(Types.date, parseDate('2017-11-16', ctx)), -653330422],
    ['time 22:31:08', () => hashValue(Types.time, parseTime('22:31:08', ctx)), -662762989],
    [
      'timestamp 2017-11-16T22:31:08',
      () => hashValue(Types.timestamp, parseTimestamp('2017-11-16T22:31:08', ctx)),
      -2047944441,
    ],
    [
      'timestamp 2017-11-16T22:31:08.000001',
      () => hashValue(Types.timestamp, parseTimestamp('2017-11-16T22:31:08.000001', ctx)),
      -1207196810,
    ],
    [
      'timestamptz 2017-11-16T14:31:08-08:00',
      () => hashValue(Types.timestamptz, parseTimestamptz('2017-11-16T14:31:08-08:00', ctx)),
      -2047944441,
    ],
    [
      'timestamptz 2017-11-16T14:31:08.000001-08:00',
      () => hashValue(Types.timestamptz, parseTimestamptz('2017-11-16T14:31:08.000001-08:00', ctx)),
      -1207196810,
    ],
    ['string iceberg', () => hashValue(Types.string, 'iceberg'), 1210000089],
    ['uuid f79c3e09-…', () => hashValue(Types.uuid, 'f79c3e09-677c-4bbd-a479-3f349cb785e7'), 1488055340],
    ['fixed(4) 00 01 02 03', () => hashValue(Types.fixed(4), bytes(0, 1, 2, 3)), -188683207],
    ['binary 00 01 02 03', () => hashValue(Types.binary, bytes(0, 1, 2, 3)), -188683207],
    ['boolean true', () => hashValue(Types.boolean, true), 1392991556],
    ['float 1.0F', () => hashValue(Types.float, 1), -142385009],
    ['float 0.0F', () => hashValue(Types.float, 0), 1669671676],
    ['float -0.0F', () => hashValue(Types.float, -0), 1669671676],
    ['double 1.0D', () => hashValue(Types.double, 1), -142385009],
    ['double 0.0D', () => hashValue(Types.double, 0), 1669671676],
    ['double -0.0D', () => hashValue(Types.double, -0), 1669671676],
    // From the schema evolution section: the reason int may not be promoted to string.
    ['string "34"', () => hashValue(Types.string, '34'), -427558391],
  ]
  for (const [name, hash, expected] of cases) {
    it(`hashes ${name} to ${expected}`, () => expect(hash()).toBe(expected))
  }
})

describe('hashValue', () => {
  it('hashes an int exactly as the same long, so int → long promotion keeps buckets', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
        expect(hashValue(Types.int, v)).toBe(hashValue(Types.long, BigInt(v)))
      }),
    )
  })

  it('hashes a float exactly as the same double, so float → double promotion keeps buckets', () => {
    fc.assert(
      fc.property(fc.float(), (v) => {
        expect(hashValue(Types.float, v)).toBe(hashValue(Types.double, v))
      }),
    )
  })

  it('hashes a long as murmur3 of its 8 little-endian bytes', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        const le = new Uint8Array(8)
        new DataView(le.buffer).setBigInt64(0, v, true)
        expect(hashValue(Types.long, v)).toBe(murmur3Hash32(le))
      }),
    )
  })

  it('hashes every NaN bit pattern alike', () => {
    const view = new DataView(new ArrayBuffer(8))
    view.setUint32(0, 1, true)
    view.setUint32(4, 0xfff00000, true)
    expect(hashValue(Types.double, view.getFloat64(0, true))).toBe(hashValue(Types.double, Number.NaN))
  })

  it('hashes a decimal by its unscaled value, whatever the scale', () => {
    expect(hashValue(Types.decimal(9, 4), 1420n)).toBe(hashValue(Types.decimal(4, 2), 1420n))
  })

  it('refuses a value that is not the internal form of the type', () => {
    expect(() => hashValue(Types.long, 34)).toThrow(ValidationError)
    expect(() => hashValue(Types.int, 34n)).toThrow(ValidationError)
    expect(() => hashValue(Types.uuid, 'F79C3E09-677C-4BBD-A479-3F349CB785E7')).toThrow(ValidationError)
  })
})
