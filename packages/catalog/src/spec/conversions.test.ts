import { CorruptFileError, ValidationError } from '@lake/errors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  civilFromDays,
  daysFromCivil,
  decimalToBytes,
  formatDate,
  formatTimestamp,
  fromBytes,
  fromJsonValue,
  isoUtcMicrosNumberOrUndefined,
  isoUtcMillisOrUndefined,
  parseDate,
  parseDecimal,
  parseTime,
  parseTimestamp,
  parseTimestamptz,
  plainDecimalNumberOrUndefined,
  plainDecimalOrUndefined,
  toBytes,
  toJsonValue,
} from './conversions.js'
import { primitives } from './test-helpers.js'
import { type IcebergType, Types } from './types.js'

const ctx = {}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** Every primitive type with an arbitrary of its internal values. */
const PRIMITIVES = primitives()

describe('binary single-value serialisation', () => {
  it('writes the spec forms', () => {
    expect(hex(toBytes(Types.boolean, true))).toBe('01')
    expect(hex(toBytes(Types.boolean, false))).toBe('00')
    expect(hex(toBytes(Types.int, 34))).toBe('22000000')
    expect(hex(toBytes(Types.date, -1))).toBe('ffffffff')
    expect(hex(toBytes(Types.long, 34n))).toBe('2200000000000000')
    expect(hex(toBytes(Types.float, 1))).toBe('0000803f')
    expect(hex(toBytes(Types.double, 1))).toBe('000000000000f03f')
    expect(hex(toBytes(Types.string, 'iceberg'))).toBe('69636562657267')
    expect(hex(toBytes(Types.uuid, 'f79c3e09-677c-4bbd-a479-3f349cb785e7'))).toBe(
      'f79c3e09677c4bbda4793f349cb785e7',
    )
    expect(hex(toBytes(Types.decimal(4, 2), 1420n))).toBe('058c')
    expect(hex(toBytes(Types.binary, Uint8Array.of(0, 1, 2, 3)))).toBe('00010203')
  })

  it('writes decimals in the fewest two’s-complement bytes', () => {
    const cases: [bigint, string][] = [
      [0n, '00'],
      [1n, '01'],
      [-1n, 'ff'],
      [127n, '7f'],
      [128n, '0080'],
      [-128n, '80'],
      [-129n, 'ff7f'],
      [32767n, '7fff'],
      [32768n, '008000'],
      [-(10n ** 38n) + 1n, 'b4c4b357a5793b85f675ddc000000001'],
    ]
    for (const [value, bytes] of cases) expect(hex(decimalToBytes(value))).toBe(bytes)
  })

  for (const [type, arbitrary] of PRIMITIVES) {
    it(`round-trips every ${JSON.stringify(type)} value`, () => {
      fc.assert(
        fc.property(arbitrary, (value) => {
          const back = fromBytes(type, toBytes(type, value))
          if (typeof value === 'number') expect(Object.is(back, value)).toBe(true)
          else expect(back).toEqual(value)
        }),
      )
    })
  }

  it('reads bounds written before a type promotion by their length', () => {
    expect(fromBytes(Types.long, toBytes(Types.int, -7))).toBe(-7n)
    expect(fromBytes(Types.double, toBytes(Types.float, 1.5))).toBe(1.5)
    expect(fromBytes(Types.timestamp, toBytes(Types.date, 1))).toBe(86_400_000_000n)
  })

  it('reads any non-zero byte as true', () => {
    expect(fromBytes(Types.boolean, Uint8Array.of(7))).toBe(true)
  })

  it('keeps a leading byte-order mark of a string', () => {
    expect(fromBytes(Types.string, toBytes(Types.string, '\uFEFFx'))).toBe('\uFEFFx')
  })

  it('reads from a view into a larger buffer', () => {
    const buffer = Uint8Array.of(9, 9, 34, 0, 0, 0, 9)
    expect(fromBytes(Types.int, buffer.subarray(2, 6))).toBe(34)
  })

  it('refuses stored bytes that do not follow the spec', () => {
    expect(() => fromBytes(Types.int, Uint8Array.of(1, 2, 3))).toThrow(CorruptFileError)
    expect(() => fromBytes(Types.timestamptz, Uint8Array.of(1, 2, 3, 4))).toThrow(CorruptFileError)
    expect(() => fromBytes(Types.uuid, new Uint8Array(15))).toThrow(CorruptFileError)
    expect(() => fromBytes(Types.string, Uint8Array.of(0xc3))).toThrow(CorruptFileError)
    expect(() => fromBytes(Types.decimal(9, 2), new Uint8Array(0))).toThrow(CorruptFileError)
  })

  it('refuses values that are not the internal form of the type', () => {
    expect(() => toBytes(Types.long, 34)).toThrow(ValidationError)
    expect(() => toBytes(Types.int, 2 ** 31)).toThrow(ValidationError)
    expect(() => toBytes(Types.int, 1.5)).toThrow(ValidationError)
    expect(() => toBytes(Types.long, 2n ** 63n)).toThrow(ValidationError)
    expect(() => toBytes(Types.fixed(4), new Uint8Array(3))).toThrow(ValidationError)
    expect(() => toBytes(Types.uuid, 'F79C3E09-677C-4BBD-A479-3F349CB785E7')).toThrow(ValidationError)
  })
})

describe('JSON single-value serialisation', () => {
  const struct = Types.struct([
    { id: 1, name: 'a', required: true, type: Types.int },
    { id: 2, name: 'b', required: false, type: Types.string },
  ])

  it('writes the examples of spec appendix D', () => {
    expect(toJsonValue(Types.boolean, true)).toBe(true)
    expect(toJsonValue(Types.int, 34)).toBe(34)
    expect(toJsonValue(Types.long, 34n)).toBe(34n)
    expect(toJsonValue(Types.double, 1)).toBe(1)
    expect(toJsonValue(Types.decimal(4, 2), 1420n)).toBe('14.20')
    expect(toJsonValue(Types.decimal(21, -20), 2n)).toBe('2E+20')
    expect(toJsonValue(Types.date, 17486)).toBe('2017-11-16')
    expect(toJsonValue(Types.time, 81_068_123_456n)).toBe('22:31:08.123456')
    expect(toJsonValue(Types.timestamp, 1_510_871_468_123_456n)).toBe('2017-11-16T22:31:08.123456')
    expect(toJsonValue(Types.timestamptz, 1_510_871_468_123_456n)).toBe('2017-11-16T22:31:08.123456+00:00')
    expect(toJsonValue(Types.string, 'iceberg')).toBe('iceberg')
    expect(toJsonValue(Types.uuid, 'f79c3e09-677c-4bbd-a479-3f349cb785e7')).toBe(
      'f79c3e09-677c-4bbd-a479-3f349cb785e7',
    )
    expect(toJsonValue(Types.fixed(4), Uint8Array.of(0, 1, 2, 255))).toBe('000102ff')
    expect(toJsonValue(Types.binary, Uint8Array.of(0, 1, 2, 255))).toBe('000102ff')
    expect(toJsonValue(struct, { a: 1, b: 'bar' })).toEqual({ '1': 1, '2': 'bar' })
    expect(toJsonValue(Types.list(3, Types.int), [1, 2, 3])).toEqual([1, 2, 3])
    expect(
      toJsonValue(
        Types.map(4, Types.string, 5, Types.int),
        new Map([
          ['a', 1],
          ['b', 2],
        ]),
      ),
    ).toEqual({ keys: ['a', 'b'], values: [1, 2] })
  })

  it('reads the examples of spec appendix D', () => {
    expect(fromJsonValue(Types.decimal(4, 2), '14.20')).toBe(1420n)
    expect(fromJsonValue(Types.decimal(21, -20), '2E+20')).toBe(2n)
    expect(fromJsonValue(Types.date, '2017-11-16')).toBe(17486)
    expect(fromJsonValue(Types.time, '22:31:08.123456')).toBe(81_068_123_456n)
    expect(fromJsonValue(Types.timestamp, '2017-11-16T22:31:08.123456')).toBe(1_510_871_468_123_456n)
    expect(fromJsonValue(Types.timestamptz, '2017-11-16T22:31:08.123456+00:00')).toBe(1_510_871_468_123_456n)
    expect(fromJsonValue(Types.uuid, 'F79C3E09-677C-4BBD-A479-3F349CB785E7')).toBe(
      'f79c3e09-677c-4bbd-a479-3f349cb785e7',
    )
    expect(fromJsonValue(Types.binary, '000102FF')).toEqual(Uint8Array.of(0, 1, 2, 255))
    expect(fromJsonValue(struct, { '1': 1, '2': 'bar' })).toEqual({ a: 1, b: 'bar' })
    expect(fromJsonValue(struct, { '1': 1 })).toEqual({ a: 1, b: null })
    expect(fromJsonValue(Types.map(4, Types.string, 5, Types.int), { keys: ['a'], values: [1] })).toEqual(
      new Map([['a', 1]]),
    )
    expect(fromJsonValue(Types.long, 34)).toBe(34n)
    expect(fromJsonValue(Types.long, 2n ** 62n)).toBe(2n ** 62n)
  })

  it('leaves null struct fields out, as Java writes them', () => {
    expect(toJsonValue(struct, { a: 1, b: null })).toEqual({ '1': 1 })
  })

  it('writes non-finite floats as the strings Jackson uses and reads them back', () => {
    expect(toJsonValue(Types.double, Number.NaN)).toBe('NaN')
    expect(fromJsonValue(Types.double, '-Infinity')).toBe(Number.NEGATIVE_INFINITY)
  })

  it('refuses JSON that is not the type’s form', () => {
    const bad: [IcebergType, unknown][] = [
      [Types.int, 1.5],
      [Types.int, '1'],
      [Types.long, 2 ** 60], // a number that already lost precision
      [Types.decimal(4, 2), 14.2],
      [Types.decimal(4, 2), '14.201'],
      [Types.decimal(4, 2), '142.00'],
      [Types.date, '2017-02-29'],
      [Types.time, '24:00:00'],
      [Types.timestamp, '2017-11-16T22:31:08+00:00'],
      [Types.timestamptz, '2017-11-16T22:31:08'],
      [Types.uuid, 'f79c3e09677c4bbda4793f349cb785e7'],
      [Types.fixed(4), '000102'],
      [Types.binary, '0g'],
      [struct, [1]],
      [Types.map(4, Types.string, 5, Types.int), { keys: ['a'], values: [] }],
    ]
    for (const [type, json] of bad)
      expect(() => fromJsonValue(type, json), JSON.stringify(json)).toThrow(ValidationError)
  })

  for (const [type, arbitrary] of PRIMITIVES) {
    it(`round-trips every ${JSON.stringify(type)} value`, () => {
      fc.assert(
        fc.property(arbitrary, (value) => {
          const back = fromJsonValue(type, toJsonValue(type, value))
          if (typeof value === 'number') expect(Object.is(back, value)).toBe(true)
          else expect(back).toEqual(value)
        }),
      )
    })
  }

  it('round-trips through JSON text for every type but long', () => {
    for (const [type, arbitrary] of PRIMITIVES) {
      if (type.kind === 'long') continue
      fc.assert(
        fc.property(arbitrary, (value) => {
          const text = JSON.stringify(toJsonValue(type, value))
          const back = fromJsonValue(type, JSON.parse(text))
          expect(back).toEqual(Object.is(value, -0) ? 0 : value)
        }),
      )
    }
  })

  it('round-trips nested values', () => {
    const type = Types.struct([
      { id: 1, name: 'tags', required: false, type: Types.list(2, Types.string) },
      { id: 3, name: 'props', required: false, type: Types.map(4, Types.string, 5, Types.timestamptz) },
    ])
    const value = { tags: ['a', null], props: new Map([['k', 5n]]) }
    expect(fromJsonValue(type, toJsonValue(type, value))).toEqual(value)
  })
})

describe('date, time and decimal text', () => {
  it('agrees with Date on the calendar for every day Date can hold', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000_000, max: 100_000_000 }), (days) => {
        const date = new Date(days * 86_400_000)
        expect(civilFromDays(days)).toEqual({
          year: date.getUTCFullYear(),
          month: date.getUTCMonth() + 1,
          day: date.getUTCDate(),
        })
        expect(daysFromCivil(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())).toBe(days)
      }),
    )
  })

  it('prints years as Java’s ISO_LOCAL_DATE does', () => {
    expect(formatDate(0)).toBe('1970-01-01')
    expect(formatDate(-1)).toBe('1969-12-31')
    expect(formatDate(daysFromCivil(10000, 1, 1))).toBe('+10000-01-01')
    expect(formatDate(daysFromCivil(-1, 12, 31))).toBe('-0001-12-31')
    expect(formatDate(daysFromCivil(5, 3, 1))).toBe('0005-03-01')
  })

  it('prints timestamps before the epoch in the earlier day', () => {
    expect(formatTimestamp(-1n)).toBe('1969-12-31T23:59:59.999999')
    expect(formatTimestamp(-86_400_000_000n)).toBe('1969-12-31T00:00:00')
    expect(formatTimestamp(100_000n)).toBe('1970-01-01T00:00:00.1')
  })

  it('parses ISO-8601 variants', () => {
    expect(parseTime('22:31', ctx)).toBe(81_060_000_000n)
    expect(parseTime('00:00:00.000001000', ctx)).toBe(1n)
    expect(parseTimestamp('1970-01-01 00:00:01', ctx)).toBe(1_000_000n)
    expect(parseTimestamptz('1970-01-01T00:00:00Z', ctx)).toBe(0n)
    expect(parseTimestamptz('1970-01-01T01:00:00+01:00', ctx)).toBe(0n)
    expect(parseDate('+10000-01-01', ctx)).toBe(daysFromCivil(10000, 1, 1))
  })

  it('reads Date#toISOString text as the instant it names, for years 0000 to 9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
        const text = new Date(ms).toISOString()
        expect(parseTimestamptz(text, ctx)).toBe(BigInt(ms) * 1000n)
        // The general parser reads the same text, with an offset of +00:00, to the same value.
        expect(parseTimestamptz(`${text.slice(0, -1)}+00:00`, ctx)).toBe(BigInt(ms) * 1000n)
      }),
    )
    for (const bad of ['2023-02-29T00:00:00.000Z', '2023-13-01T00:00:00.000Z', '2023-01-01T24:00:00.000Z']) {
      expect(() => parseTimestamptz(bad, ctx)).toThrow(ValidationError)
    }
    expect(parseTimestamptz('2024-02-29t10:00:00.500z', ctx)).toBe(
      BigInt(Date.UTC(2024, 1, 29, 10, 0, 0, 500)) * 1000n,
    )
  })

  it('refuses text below microsecond precision rather than rounding it', () => {
    expect(() => parseTime('00:00:00.0000001', ctx)).toThrow(ValidationError)
    expect(() => parseTimestamp('1970-01-01T00:00:00.123456789', ctx)).toThrow(ValidationError)
  })

  it('reads plain decimal text as the general parser does', () => {
    const text = fc
      .tuple(
        fc.boolean(),
        fc.stringMatching(/^\d{1,17}$/),
        fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }),
      )
      .map(([neg, int, frac]) => `${neg ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}`)
    const types = [Types.decimal(9, 2), Types.decimal(18, 4), Types.decimal(38, 0), Types.decimal(4, 4)]
    fc.assert(
      fc.property(text, fc.constantFrom(...types), (t, type) => {
        // An exponent sends the same value through the general parser.
        const general = (() => {
          try {
            return parseDecimal(`${t}e0`, type, ctx)
          } catch (error) {
            return error instanceof ValidationError ? 'refused' : error
          }
        })()
        if (general === 'refused') expect(() => parseDecimal(t, type, ctx)).toThrow(ValidationError)
        else expect(parseDecimal(t, type, ctx)).toBe(general)
      }),
    )
  })

  it('parses decimals exactly at the type’s scale', () => {
    const d = Types.decimal(9, 2)
    expect(parseDecimal('12.34', d, ctx)).toBe(1234n)
    expect(parseDecimal('-12.3', d, ctx)).toBe(-1230n)
    expect(parseDecimal('12.340', d, ctx)).toBe(1234n)
    expect(parseDecimal('.5', d, ctx)).toBe(50n)
    expect(parseDecimal('1.5e3', d, ctx)).toBe(150000n)
    expect(parseDecimal('0e-999999999', d, ctx)).toBe(0n)
    expect(() => parseDecimal('12.345', d, ctx)).toThrow(/fractional digits/)
    expect(() => parseDecimal('1e-999999999', d, ctx)).toThrow(/fractional digits/)
    expect(() => parseDecimal('10000000', d, ctx)).toThrow(/9 digits/)
    expect(() => parseDecimal('1e999999999', d, ctx)).toThrow(/9 digits/)
    expect(() => parseDecimal('1.2.3', d, ctx)).toThrow(ValidationError)
    expect(() => parseDecimal('.', d, ctx)).toThrow(ValidationError)
  })
})

describe('the fast readers of instants and plain decimals', () => {
  it('read a range of a larger text as they read the text alone, and decline other forms', () => {
    const instant = '2026-11-27T05:58:01.123Z'
    const framed = `{"at":"${instant}","x":1}`
    const start = framed.indexOf(instant)
    expect(isoUtcMillisOrUndefined(framed, start, start + 24)).toBe(parseTimestamptz(instant, {}))
    expect(isoUtcMillisOrUndefined(instant)).toBe(parseTimestamptz(instant, {}))
    expect(isoUtcMillisOrUndefined(framed, start, start + 23)).toBeUndefined()
    expect(isoUtcMillisOrUndefined('2026-02-30T00:00:00.000Z')).toBeUndefined()
    expect(isoUtcMillisOrUndefined('2026-11-27T05:58:01.123+00:00')).toBeUndefined()

    const type = Types.decimal(9, 2)
    const text = '"price":"-1234.5",'
    expect(plainDecimalOrUndefined(text, type, 9, 16)).toBe(parseDecimal('-1234.5', type, {}))
    expect(plainDecimalOrUndefined('-1234.5', type)).toBe(-123_450n)
    expect(plainDecimalOrUndefined(text, type, 9, 17)).toBeUndefined()
    expect(plainDecimalOrUndefined('1.234', type)).toBeUndefined()
    expect(plainDecimalOrUndefined('1e3', type)).toBeUndefined()
    expect(plainDecimalOrUndefined('12345678.9', type)).toBeUndefined()
  })

  it('read bytes as numbers exactly as the bigint readers read the text, while the value is a safe integer', () => {
    const instantArb = fc.oneof(
      fc
        .date({
          noInvalidDate: true,
          min: new Date('0000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
        })
        .map((d) => d.toISOString()),
      fc.constantFrom('2255-06-05T23:47:34.740Z', '2255-06-05T23:47:34.741Z', '2024-02-30T00:00:00.000Z'),
    )
    fc.assert(
      fc.property(instantArb, (text) => {
        const bytes = Buffer.from(`"${text}"`, 'latin1')
        const micros = isoUtcMillisOrUndefined(text)
        const safe = micros !== undefined && Number.isSafeInteger(Number(micros))
        expect(isoUtcMicrosNumberOrUndefined(bytes, 1, bytes.length - 1)).toBe(
          safe ? Number(micros) : undefined,
        )
      }),
    )
    const decimalArb = fc.tuple(
      fc.integer({ min: 1, max: 18 }).chain((p) => fc.tuple(fc.constant(p), fc.integer({ min: 0, max: p }))),
      fc.oneof(
        fc.double().filter(Number.isFinite).map(String),
        fc
          .bigInt({ min: -(10n ** 17n), max: 10n ** 17n })
          .map((n) => `${n}`.replace(/(\d)(\d{3})$/, '$1.$2')),
        fc.constantFrom('-0.00', '-0', '1.', '.5', '', '-', '1.2.3', '00.5'),
      ),
    )
    fc.assert(
      fc.property(decimalArb, ([[precision, scale], text]) => {
        const type = Types.decimal(precision, scale)
        const bytes = Buffer.from(`"${text}"`, 'latin1')
        const unscaled = plainDecimalOrUndefined(text, type)
        const number = plainDecimalNumberOrUndefined(bytes, type, 1, bytes.length - 1)
        expect(number === undefined ? undefined : BigInt(number)).toBe(unscaled)
        expect(Object.is(number, -0)).toBe(false)
      }),
      { numRuns: 2000 },
    )
  })
})
