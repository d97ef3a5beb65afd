import { ValidationError } from '@lake/errors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatDecimal, toJsonValue, uuidToBytes } from './conversions.js'
import { primitives } from './test-helpers.js'
import { type IcebergType, Types } from './types.js'
import { coerceValue, compareValues } from './values.js'

const sign = (n: number) => Math.sign(n) || 0

/** Every primitive type with an arbitrary of its internal values. */
const PRIMITIVES = primitives()

describe('compareValues', () => {
  it('orders strings by code point, as their UTF-8 bytes sort', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(sign(compareValues(Types.string, a, b))).toBe(
          sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
        )
      }),
    )
    // UTF-16 order would put the supplementary character first.
    expect(compareValues(Types.string, '\uFFFF', '\u{10000}')).toBeLessThan(0)
    expect(compareValues(Types.string, 'ab', 'abc')).toBeLessThan(0)
  })

  it('orders uuids as their 16 bytes, unsigned', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), (a, b) => {
        const bytes = sign(Buffer.compare(uuidToBytes(a), uuidToBytes(b)))
        expect(sign(compareValues(Types.uuid, a, b))).toBe(bytes)
      }),
    )
    expect(
      compareValues(
        Types.uuid,
        '80000000-0000-0000-0000-000000000000',
        '7fffffff-ffff-ffff-ffff-ffffffffffff',
      ),
    ).toBeGreaterThan(0)
  })

  it('orders bytes unsigned and lexicographically, shorter prefix first', () => {
    expect(compareValues(Types.binary, Uint8Array.of(0x80), Uint8Array.of(0x7f))).toBeGreaterThan(0)
    expect(compareValues(Types.binary, Uint8Array.of(1), Uint8Array.of(1, 0))).toBeLessThan(0)
    expect(compareValues(Types.fixed(2), Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(0)
  })

  it('orders floats as Java’s Double.compare: -0 below 0 and NaN above everything', () => {
    expect(compareValues(Types.double, -0, 0)).toBeLessThan(0)
    expect(compareValues(Types.double, 0, -0)).toBeGreaterThan(0)
    expect(compareValues(Types.double, Number.NaN, Number.POSITIVE_INFINITY)).toBeGreaterThan(0)
    expect(compareValues(Types.float, Number.NEGATIVE_INFINITY, Number.NaN)).toBeLessThan(0)
    expect(compareValues(Types.double, Number.NaN, Number.NaN)).toBe(0)
    expect(compareValues(Types.double, 1.5, 2)).toBeLessThan(0)
  })

  it('orders numbers and bigints by value', () => {
    expect(compareValues(Types.int, -3, 2)).toBeLessThan(0)
    expect(compareValues(Types.long, 2n ** 62n, -(2n ** 62n))).toBeGreaterThan(0)
    expect(compareValues(Types.decimal(9, 2), -100n, -99n)).toBeLessThan(0)
    expect(compareValues(Types.boolean, false, true)).toBeLessThan(0)
  })

  for (const [type, arbitrary] of PRIMITIVES) {
    it(`is a total order on ${JSON.stringify(type)}`, () => {
      fc.assert(
        fc.property(arbitrary, arbitrary, arbitrary, (a, b, c) => {
          expect(compareValues(type, a, a)).toBe(0)
          expect(sign(compareValues(type, a, b)) + sign(compareValues(type, b, a))).toBe(0)
          if (compareValues(type, a, b) <= 0 && compareValues(type, b, c) <= 0) {
            expect(compareValues(type, a, c)).toBeLessThanOrEqual(0)
          }
        }),
      )
    })
  }
})

describe('coerceValue', () => {
  const refused = (type: IcebergType, input: unknown, field = 'f') => {
    let error: unknown
    try {
      coerceValue(type, input, 'f')
    } catch (e) {
      error = e
    }
    expect(error, `${String(input)} as ${JSON.stringify(type)}`).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).context.field).toBe(field)
  }

  for (const [type, arbitrary] of PRIMITIVES) {
    if (type.kind === 'decimal') continue // a bigint is a whole number here, not the unscaled value
    it(`accepts every internal ${JSON.stringify(type)} value unchanged`, () => {
      fc.assert(
        fc.property(arbitrary, (value) => {
          const back = coerceValue(type, value, 'f')
          if (typeof value === 'number') expect(Object.is(back, value)).toBe(true)
          else expect(back).toEqual(value)
        }),
      )
    })
  }

  it('reads back the JSON text of every decimal, date, time and timestamp', () => {
    for (const [type, arbitrary] of PRIMITIVES) {
      if (!['decimal', 'date', 'time', 'timestamp', 'timestamptz'].includes(type.kind)) continue
      fc.assert(
        fc.property(arbitrary, (value) => {
          expect(coerceValue(type, toJsonValue(type, value), 'f')).toEqual(value)
        }),
      )
    }
  })

  it('converts ints and longs without losing a bit', () => {
    expect(coerceValue(Types.int, 34n, 'f')).toBe(34)
    expect(Object.is(coerceValue(Types.int, -0, 'f'), 0)).toBe(true)
    expect(coerceValue(Types.long, 34, 'f')).toBe(34n)
    refused(Types.int, 2 ** 31)
    refused(Types.int, 1.5)
    refused(Types.int, '34')
    refused(Types.int, 2n ** 31n)
    refused(Types.long, 2 ** 53)
    refused(Types.long, 2n ** 63n)
    refused(Types.long, 0.5)
  })

  it('rounds floats to 32 bits but refuses overflow', () => {
    expect(coerceValue(Types.float, 0.1, 'f')).toBe(Math.fround(0.1))
    expect(coerceValue(Types.float, Number.NaN, 'f')).toBeNaN()
    expect(coerceValue(Types.double, 0.1, 'f')).toBe(0.1)
    refused(Types.float, 1e39)
    refused(Types.double, 1n)
  })

  it('converts decimals to the unscaled value at the type’s scale', () => {
    const d = Types.decimal(9, 2)
    expect(coerceValue(d, '12.34', 'f')).toBe(1234n)
    expect(coerceValue(d, 12.3, 'f')).toBe(1230n)
    expect(coerceValue(d, 0.1, 'f')).toBe(10n)
    expect(coerceValue(d, 12n, 'f')).toBe(1200n)
    expect(coerceValue(d, '-0.5', 'f')).toBe(-50n)
    expect(coerceValue(d, 1e-7 * 0, 'f')).toBe(0n)
    refused(d, '12.345')
    refused(d, 0.125)
    refused(d, 10_000_000n)
    refused(d, '10000000')
    refused(d, Number.NaN)
    refused(d, 'abc')
  })

  it('names the field in a decimal refusal', () => {
    expect(() => coerceValue(Types.decimal(9, 2), '1.234', 'price')).toThrow(/Field 'price'/)
  })

  it('converts dates', () => {
    expect(coerceValue(Types.date, '2017-11-16', 'f')).toBe(17486)
    expect(coerceValue(Types.date, new Date('2017-11-16T23:59:59Z'), 'f')).toBe(17486)
    expect(coerceValue(Types.date, new Date(-1), 'f')).toBe(-1)
    expect(coerceValue(Types.date, 17486, 'f')).toBe(17486)
    refused(Types.date, '2017-11-31')
    refused(Types.date, '2017-11-16T00:00:00')
    refused(Types.date, 1.5)
    refused(Types.date, new Date(Number.NaN))
  })

  it('converts times', () => {
    expect(coerceValue(Types.time, '22:31:08', 'f')).toBe(81_068_000_000n)
    expect(coerceValue(Types.time, '22:31:08.000001', 'f')).toBe(81_068_000_001n)
    refused(Types.time, 81_068_000_000)
    refused(Types.time, 86_400_000_000n)
    refused(Types.time, '25:00:00')
  })

  it('converts timestamps, requiring an offset with zone and refusing one without', () => {
    const micros = 1_510_871_468_000_000n
    expect(coerceValue(Types.timestamp, '2017-11-16T22:31:08', 'f')).toBe(micros)
    expect(coerceValue(Types.timestamp, '2017-11-16 22:31:08', 'f')).toBe(micros)
    expect(coerceValue(Types.timestamptz, '2017-11-16T14:31:08-08:00', 'f')).toBe(micros)
    expect(coerceValue(Types.timestamptz, '2017-11-16T22:31:08Z', 'f')).toBe(micros)
    expect(coerceValue(Types.timestamptz, new Date('2017-11-16T22:31:08Z'), 'f')).toBe(micros)
    expect(coerceValue(Types.timestamp, new Date('2017-11-16T22:31:08Z'), 'f')).toBe(micros)
    expect(coerceValue(Types.timestamptz, micros, 'f')).toBe(micros)
    // Dates beyond ±2^53 µs of the epoch (about 285 years), where millis × 1000 is no longer exact.
    for (const millis of [8.64e15, -8.64e15, 9_007_199_254_741, -9_007_199_254_741, 9_007_199_254_740]) {
      expect(coerceValue(Types.timestamptz, new Date(millis), 'f')).toBe(BigInt(millis) * 1000n)
    }
    refused(Types.timestamptz, 2n ** 63n)
    expect(coerceValue(Types.timestamptz, 2n ** 63n - 1n, 'f')).toBe(2n ** 63n - 1n)
    refused(Types.timestamp, '2017-11-16T22:31:08Z')
    refused(Types.timestamptz, '2017-11-16T22:31:08')
    refused(Types.timestamptz, 1_510_871_468_000) // a number: millis or micros?
    refused(Types.timestamp, '2017-11-16T22:31:08.0000001')
  })

  it('lower-cases uuids and refuses malformed ones', () => {
    expect(coerceValue(Types.uuid, 'F79C3E09-677C-4BBD-A479-3F349CB785E7', 'f')).toBe(
      'f79c3e09-677c-4bbd-a479-3f349cb785e7',
    )
    expect(coerceValue(Types.uuid, uuidToBytes('f79c3e09-677c-4bbd-a479-3f349cb785e7'), 'f')).toBe(
      'f79c3e09-677c-4bbd-a479-3f349cb785e7',
    )
    refused(Types.uuid, 'f79c3e09677c4bbda4793f349cb785e7')
    refused(Types.uuid, 'g79c3e09-677c-4bbd-a479-3f349cb785e7')
  })

  it('checks bytes, strings and booleans', () => {
    refused(Types.fixed(4), new Uint8Array(3))
    refused(Types.binary, [1, 2])
    refused(Types.string, 1)
    refused(Types.boolean, 'true')
  })

  const point = Types.struct([
    { id: 1, name: 'x', required: true, type: Types.double },
    { id: 2, name: 'label', required: false, type: Types.string },
  ])
  const row = Types.struct([
    {
      id: 3,
      name: 'a',
      required: false,
      type: Types.struct([{ id: 4, name: 'b', required: true, type: Types.int }]),
    },
    { id: 5, name: 'tags', required: false, type: Types.list(6, Types.string, true) },
    { id: 7, name: 'props', required: false, type: Types.map(8, Types.string, 9, Types.long, true) },
    { id: 10, name: 'points', required: false, type: Types.list(11, point) },
  ])

  it('converts nested values, filling absent optional fields with null', () => {
    expect(
      coerceValue(row, { a: { b: 1 }, tags: ['t'], props: { k: 2 }, points: [{ x: 1 }, null] }, ''),
    ).toEqual({
      a: { b: 1 },
      tags: ['t'],
      props: new Map([['k', 2n]]),
      points: [{ x: 1, label: null }, null],
    })
    expect(coerceValue(row, {}, '')).toEqual({ a: null, tags: null, props: null, points: null })
  })

  it('names the path of a missing required nested field', () => {
    refused(row, { a: {} }, 'f.a.b')
    refused(row, { a: { b: null } }, 'f.a.b')
    expect(() => coerceValue(row, { a: { b: null } }, '')).toThrow(/Field 'a\.b' is required/)
    refused(row, { points: [{ x: 1 }, { label: 'p' }] }, 'f.points[1].x')
  })

  it('names the path of a bad list element or map entry', () => {
    refused(row, { tags: ['a', null] }, 'f.tags[1]')
    refused(row, { tags: ['a', 3] }, 'f.tags[1]')
    refused(row, { props: { k: null } }, 'f.props.value')
    refused(row, { props: new Map([[1, 2n]]) }, 'f.props.key')
  })

  it('refuses keys that are not fields, rather than dropping the data', () => {
    refused(row, { a: { b: 1, c: 2 } }, 'f.a.c')
  })

  it('refuses a plain object for a map whose keys are not strings', () => {
    refused(Types.map(1, Types.int, 2, Types.int), { 1: 2 })
    expect(coerceValue(Types.map(1, Types.int, 2, Types.int), new Map([[1, 2]]), 'f')).toEqual(
      new Map([[1, 2]]),
    )
  })

  it('refuses two keys that become the same key', () => {
    const byUuid = Types.map(1, Types.uuid, 2, Types.int)
    const upper = 'F79C3E09-677C-4BBD-A479-3F349CB785E7'
    refused(
      byUuid,
      new Map([
        [upper, 1],
        [upper.toLowerCase(), 2],
      ]),
      'f.key',
    )
  })

  it('keeps a field named __proto__ as data', () => {
    const odd = Types.struct([{ id: 1, name: '__proto__', required: false, type: Types.int }])
    const value = coerceValue(odd, JSON.parse('{"__proto__": 1}'), '') as Record<string, unknown>
    expect(Object.keys(value)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
  })

  it('passes null and undefined through as null', () => {
    expect(coerceValue(Types.int, null, 'f')).toBeNull()
    expect(coerceValue(row, undefined, 'f')).toBeNull()
  })

  it('reads decimals printed by formatDecimal', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }), (v) => {
        expect(coerceValue(Types.decimal(38, 9), formatDecimal(v, 9), 'f')).toBe(v)
      }),
    )
  })
})
