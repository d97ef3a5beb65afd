import { ValidationError } from '@lake/errors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseDate, parseTime, parseTimestamp, parseTimestamptz } from './conversions.js'
import type { Transform } from './transform.js'
import {
  applyTransform,
  canTransform,
  transformHumanString,
  transformPreservesOrder,
  transformResultType,
} from './transforms.js'
import { type PrimitiveType, Types } from './types.js'
import { compareValues } from './values.js'

const ctx = {}
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n }
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 }
// Timestamps within ±10,000 years, where the calendar transforms stay in int range.
const MICROS = { min: -377_705_116_800_000_000n, max: 253_402_300_799_999_999n }

const identity: Transform = { kind: 'identity' }
const year: Transform = { kind: 'year' }
const month: Transform = { kind: 'month' }
const day: Transform = { kind: 'day' }
const hour: Transform = { kind: 'hour' }
const voidT: Transform = { kind: 'void' }
const bucket = (numBuckets: number): Transform => ({ kind: 'bucket', numBuckets })
const truncate = (width: number): Transform => ({ kind: 'truncate', width })

const ALL_PRIMITIVES: PrimitiveType[] = [
  Types.boolean,
  Types.int,
  Types.long,
  Types.float,
  Types.double,
  Types.decimal(9, 2),
  Types.date,
  Types.time,
  Types.timestamp,
  Types.timestamptz,
  Types.string,
  Types.uuid,
  Types.fixed(4),
  Types.binary,
]

describe('canTransform', () => {
  it('allows the source types of the spec’s table', () => {
    const allowed = (t: Transform) =>
      ALL_PRIMITIVES.filter((type) => canTransform(t, type)).map((type) => type.kind)
    expect(allowed(identity)).toHaveLength(ALL_PRIMITIVES.length)
    expect(allowed(voidT)).toHaveLength(ALL_PRIMITIVES.length)
    expect(allowed(bucket(4))).toEqual([
      'int',
      'long',
      'decimal',
      'date',
      'time',
      'timestamp',
      'timestamptz',
      'string',
      'uuid',
      'fixed',
      'binary',
    ])
    expect(allowed(truncate(4))).toEqual(['int', 'long', 'decimal', 'string', 'binary'])
    for (const t of [year, month, day]) expect(allowed(t)).toEqual(['date', 'timestamp', 'timestamptz'])
    expect(allowed(hour)).toEqual(['timestamp', 'timestamptz'])
  })

  it('allows identity on primitives only', () => {
    expect(canTransform(identity, Types.list(1, Types.int))).toBe(false)
    expect(canTransform(voidT, Types.list(1, Types.int))).toBe(true)
  })
})

describe('transformResultType', () => {
  it('gives the spec’s result types, with date for day as Java writes it', () => {
    expect(transformResultType(identity, Types.string)).toEqual(Types.string)
    expect(transformResultType(bucket(16), Types.string)).toEqual(Types.int)
    expect(transformResultType(truncate(2), Types.decimal(9, 2))).toEqual(Types.decimal(9, 2))
    expect(transformResultType(year, Types.timestamptz)).toEqual(Types.int)
    expect(transformResultType(month, Types.date)).toEqual(Types.int)
    expect(transformResultType(day, Types.timestamp)).toEqual(Types.date)
    expect(transformResultType(day, Types.date)).toEqual(Types.date)
    expect(transformResultType(hour, Types.timestamp)).toEqual(Types.int)
    expect(transformResultType(voidT, Types.uuid)).toEqual(Types.uuid)
  })

  it('refuses a transform the source type does not allow', () => {
    expect(() => transformResultType(hour, Types.date)).toThrow(ValidationError)
    expect(() => transformResultType(truncate(2), Types.uuid)).toThrow(ValidationError)
    expect(() => applyTransform(bucket(2), Types.double, 1)).toThrow(ValidationError)
  })
})

describe('applyTransform', () => {
  it('maps null to null for every transform', () => {
    for (const t of [identity, voidT, bucket(3), year, month, day, hour]) {
      expect(applyTransform(t, Types.timestamp, null)).toBeNull()
    }
    expect(applyTransform(truncate(3), Types.string, null)).toBeNull()
  })

  it('truncates as the spec’s examples show', () => {
    expect(applyTransform(truncate(10), Types.int, 1)).toBe(0)
    expect(applyTransform(truncate(10), Types.int, -1)).toBe(-10)
    expect(applyTransform(truncate(10), Types.long, 1n)).toBe(0n)
    expect(applyTransform(truncate(10), Types.long, -1n)).toBe(-10n)
    expect(applyTransform(truncate(50), Types.decimal(9, 2), 1065n)).toBe(1050n) // 10.65 → 10.50
    expect(applyTransform(truncate(3), Types.string, 'iceberg')).toBe('ice')
    expect(applyTransform(truncate(3), Types.binary, Uint8Array.of(1, 2, 3, 4, 5))).toEqual(
      Uint8Array.of(1, 2, 3),
    )
  })

  it('truncates strings by code points, never splitting a surrogate pair', () => {
    expect(applyTransform(truncate(2), Types.string, '😀😀😀')).toBe('😀😀')
    expect(applyTransform(truncate(2), Types.string, 'a😀b')).toBe('a😀')
    expect(applyTransform(truncate(5), Types.string, 'ab')).toBe('ab')
  })

  it('wraps int truncation the way Java int arithmetic does', () => {
    expect(applyTransform(truncate(10), Types.int, -(2 ** 31))).toBe(2 ** 31 - 2)
  })

  it('buckets with (hash & Integer.MAX_VALUE) % N', () => {
    expect(applyTransform(bucket(100), Types.int, 34)).toBe(2017239379 % 100)
    expect(applyTransform(bucket(100), Types.string, 'iceberg')).toBe(1210000089 % 100)
    // -500754589 & 0x7fffffff = 1646729059
    expect(applyTransform(bucket(100), Types.decimal(4, 2), 1420n)).toBe(59)
    expect(applyTransform(bucket(16), Types.uuid, 'f79c3e09-677c-4bbd-a479-3f349cb785e7')).toBe(
      1488055340 % 16,
    )
  })

  it('puts an int and the same long in the same bucket', () => {
    fc.assert(
      fc.property(fc.integer(INT32), fc.integer({ min: 1, max: 1000 }), (v, n) => {
        const b = applyTransform(bucket(n), Types.int, v) as number
        expect(b).toBe(applyTransform(bucket(n), Types.long, BigInt(v)))
        expect(b >= 0 && b < n).toBe(true)
      }),
    )
  })

  it('extracts calendar units as the spec’s hash examples’ instant shows', () => {
    const ts = parseTimestamp('2017-11-16T22:31:08', ctx)
    expect(applyTransform(year, Types.timestamp, ts)).toBe(47)
    expect(applyTransform(month, Types.timestamp, ts)).toBe(47 * 12 + 10)
    expect(applyTransform(day, Types.timestamp, ts)).toBe(17486)
    expect(applyTransform(hour, Types.timestamp, ts)).toBe(17486 * 24 + 22)
    const date = parseDate('2017-11-16', ctx)
    expect(applyTransform(year, Types.date, date)).toBe(47)
    expect(applyTransform(month, Types.date, date)).toBe(574)
    expect(applyTransform(day, Types.date, date)).toBe(17486)
  })

  it('floors values before 1970 into the earlier unit', () => {
    for (const t of [year, month, day, hour]) expect(applyTransform(t, Types.timestamptz, -1n)).toBe(-1)
    for (const t of [year, month, day]) expect(applyTransform(t, Types.date, -1)).toBe(-1)
    const ts = parseTimestamp('1969-12-30T10:12:55.038194', ctx)
    expect(applyTransform(day, Types.timestamp, ts)).toBe(-2)
    expect(applyTransform(hour, Types.timestamp, ts)).toBe(-2 * 24 + 10)
    expect(applyTransform(month, Types.date, parseDate('1969-01-01', ctx))).toBe(-12)
    expect(applyTransform(month, Types.date, parseDate('1968-12-31', ctx))).toBe(-13)
    expect(applyTransform(day, Types.timestamp, -86_400_000_000n)).toBe(-1)
    expect(applyTransform(day, Types.timestamp, -86_400_000_001n)).toBe(-2)
  })

  it('has day(ts) = floor(ts / 86400e6) and hour(ts) = floor(ts / 3600e6)', () => {
    fc.assert(
      fc.property(fc.bigInt(MICROS), (ts) => {
        const floor = (d: bigint) => (ts < 0n && ts % d !== 0n ? ts / d - 1n : ts / d)
        expect(applyTransform(day, Types.timestamp, ts)).toBe(Number(floor(86_400_000_000n)))
        expect(applyTransform(hour, Types.timestamptz, ts)).toBe(Number(floor(3_600_000_000n)))
      }),
    )
  })

  it('agrees with Date on years and months', () => {
    fc.assert(
      fc.property(fc.bigInt(MICROS), (ts) => {
        const ms = Number(ts / 1000n) - (ts < 0n && ts % 1000n !== 0n ? 1 : 0)
        const d = new Date(ms)
        expect(applyTransform(year, Types.timestamp, ts)).toBe(d.getUTCFullYear() - 1970)
        expect(applyTransform(month, Types.timestamp, ts)).toBe(
          (d.getUTCFullYear() - 1970) * 12 + d.getUTCMonth(),
        )
        const days = applyTransform(day, Types.timestamp, ts)
        expect(applyTransform(month, Types.date, days)).toBe(applyTransform(month, Types.timestamp, ts))
      }),
    )
  })

  it('truncates idempotently, to at most the value and within one width of it', () => {
    fc.assert(
      // Away from -2^31, where the result wraps as Java's int arithmetic does.
      fc.property(
        fc.integer({ min: -(2 ** 31) + 1000, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 1000 }),
        (v, w) => {
          const t = applyTransform(truncate(w), Types.int, v) as number
          expect(applyTransform(truncate(w), Types.int, t)).toBe(t)
          expect(v - t >= 0 && v - t < w).toBe(true)
        },
      ),
    )
    fc.assert(
      fc.property(
        fc.bigInt({ min: INT64.min + 2n ** 31n, max: INT64.max }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (v, w) => {
          const t = applyTransform(truncate(w), Types.long, v) as bigint
          expect(applyTransform(truncate(w), Types.long, t)).toBe(t)
          expect(v - t >= 0n && v - t < BigInt(w)).toBe(true)
        },
      ),
    )
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 20 }), (v, w) => {
        const t = applyTransform(truncate(w), Types.string, v) as string
        expect(applyTransform(truncate(w), Types.string, t)).toBe(t)
        expect(v.startsWith(t)).toBe(true)
        expect([...t].length).toBe(Math.min(w, [...v].length))
      }),
    )
    fc.assert(
      fc.property(fc.uint8Array(), fc.integer({ min: 1, max: 20 }), (v, w) => {
        const t = applyTransform(truncate(w), Types.binary, v) as Uint8Array
        expect(applyTransform(truncate(w), Types.binary, t)).toEqual(t)
        expect(t).toEqual(v.slice(0, w))
      }),
    )
  })

  it('preserves order exactly for the transforms that say so', () => {
    const cases: [Transform, PrimitiveType, fc.Arbitrary<unknown>][] = [
      [truncate(7), Types.int, fc.integer({ min: -(2 ** 30), max: 2 ** 30 })],
      [truncate(7), Types.long, fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n })],
      [truncate(50), Types.decimal(9, 2), fc.bigInt({ min: -(10n ** 8n), max: 10n ** 8n })],
      [truncate(2), Types.string, fc.string({ unit: 'binary' })],
      [truncate(2), Types.binary, fc.uint8Array()],
      [year, Types.timestamp, fc.bigInt(MICROS)],
      [month, Types.timestamptz, fc.bigInt(MICROS)],
      [day, Types.timestamp, fc.bigInt(MICROS)],
      [hour, Types.timestamp, fc.bigInt(MICROS)],
      [month, Types.date, fc.integer({ min: -3_000_000, max: 3_000_000 })],
      [identity, Types.string, fc.string({ unit: 'binary' })],
    ]
    for (const [t, type, arbitrary] of cases) {
      expect(transformPreservesOrder(t)).toBe(true)
      const resultType = transformResultType(t, type)
      fc.assert(
        fc.property(arbitrary, arbitrary, (a, b) => {
          if (compareValues(type, a, b) > 0) return
          const ta = applyTransform(t, type, a)
          const tb = applyTransform(t, type, b)
          expect(compareValues(resultType, ta, tb)).toBeLessThanOrEqual(0)
        }),
      )
    }
    expect(transformPreservesOrder(bucket(4))).toBe(false)
    expect(transformPreservesOrder(voidT)).toBe(false)
  })

  it('gives void null and identity the value itself', () => {
    expect(applyTransform(voidT, Types.int, 5)).toBeNull()
    expect(applyTransform(identity, Types.long, 5n)).toBe(5n)
  })
})

describe('transformHumanString', () => {
  it('prints calendar units as Java’s TransformUtil does', () => {
    const ts = parseTimestamp('2017-12-01T10:12:55.038194', ctx)
    const human = (t: Transform) =>
      transformHumanString(t, Types.timestamp, applyTransform(t, Types.timestamp, ts))
    expect(human(year)).toBe('2017')
    expect(human(month)).toBe('2017-12')
    expect(human(day)).toBe('2017-12-01')
    expect(human(hour)).toBe('2017-12-01-10')
    const before = parseTimestamp('1969-12-30T10:12:55.038194', ctx)
    const old = (t: Transform) =>
      transformHumanString(t, Types.timestamp, applyTransform(t, Types.timestamp, before))
    expect(old(year)).toBe('1969')
    expect(old(month)).toBe('1969-12')
    expect(old(day)).toBe('1969-12-30')
    expect(old(hour)).toBe('1969-12-30-10')
    expect(transformHumanString(month, Types.date, -12)).toBe('1969-01')
    expect(transformHumanString(year, Types.date, -1971)).toBe('-001')
  })

  it('prints identity values as Java’s Transform.toHumanString does', () => {
    const h = (type: PrimitiveType, v: unknown) => transformHumanString(identity, type, v)
    expect(h(Types.date, parseDate('2017-12-01', ctx))).toBe('2017-12-01')
    expect(h(Types.time, parseTime('10:12:55.038194', ctx))).toBe('10:12:55.038194')
    expect(h(Types.time, parseTime('10:12:00', ctx))).toBe('10:12')
    expect(h(Types.time, parseTime('10:12:00.5', ctx))).toBe('10:12:00.500')
    expect(h(Types.timestamptz, parseTimestamptz('2017-12-01T10:12:55.038194-08:00', ctx))).toBe(
      '2017-12-01T18:12:55.038194+00:00',
    )
    expect(h(Types.timestamp, parseTimestamp('2017-12-01T10:12:55.038194', ctx))).toBe(
      '2017-12-01T10:12:55.038194',
    )
    expect(h(Types.timestamp, parseTimestamp('2017-12-01T10:12:00', ctx))).toBe('2017-12-01T10:12:00')
    expect(h(Types.long, -1234567890000n)).toBe('-1234567890000')
    expect(h(Types.string, 'a/b/c=d')).toBe('a/b/c=d')
    expect(h(Types.decimal(9, 2), -150n)).toBe('-1.50')
    expect(h(Types.decimal(9, 7), 1n)).toBe('1E-7')
    expect(h(Types.decimal(9, 6), 1n)).toBe('0.000001')
    expect(h(Types.binary, Uint8Array.of(1, 2, 3))).toBe('AQID')
    expect(h(Types.fixed(4), Uint8Array.of(0, 1, 2, 3))).toBe('AAECAw==')
    expect(h(Types.binary, Uint8Array.of(0xff, 0xfe))).toBe('//4=')
    expect(h(Types.boolean, true)).toBe('true')
    expect(h(Types.uuid, 'f79c3e09-677c-4bbd-a479-3f349cb785e7')).toBe('f79c3e09-677c-4bbd-a479-3f349cb785e7')
  })

  it('prints floats as Java’s Double.toString and Float.toString', () => {
    const d = (v: number) => transformHumanString(identity, Types.double, v)
    const f = (v: number) => transformHumanString(identity, Types.float, Math.fround(v))
    expect(d(1)).toBe('1.0')
    expect(d(-0)).toBe('-0.0')
    expect(d(0.001)).toBe('0.001')
    expect(d(1e-4)).toBe('1.0E-4')
    expect(d(123456.789)).toBe('123456.789')
    expect(d(1e7)).toBe('1.0E7')
    expect(d(12345678.9)).toBe('1.23456789E7')
    expect(d(Number.NaN)).toBe('NaN')
    expect(d(Number.NEGATIVE_INFINITY)).toBe('-Infinity')
    expect(d(0.1)).toBe('0.1')
    expect(f(0.1)).toBe('0.1')
    expect(f(1 / 3)).toBe('0.33333334')
    expect(f(3e38)).toBe('3.0E38')
  })

  it('prints bucket numbers, and null for null and void', () => {
    expect(transformHumanString(bucket(16), Types.string, 7)).toBe('7')
    expect(transformHumanString(day, Types.date, null)).toBe('null')
    expect(transformHumanString(voidT, Types.int, 3)).toBe('null')
  })
})
