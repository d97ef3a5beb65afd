import { describe, expect, it } from 'vitest'
import { decimalToDouble } from './json-double.js'

/** The parts of a JSON number's text as `#number` reads them, for {@link decimalToDouble}. */
interface Parts {
  negative: boolean
  high: number
  low: number
  digits: number
  exponent: number
}

/**
 * The text's parts, read as the JSON reader reads a number's bytes: the first 15 significant
 * digits into `high`, the next 4 into `low`, leading zeros not counted, zeros after the 19th
 * digit kept as a power of ten, and `digits` 20 when a digit after the 19th is not zero.
 */
function parts(text: string): Parts {
  let i = 0
  const negative = text.charCodeAt(0) === 45
  if (negative) i++
  let high = 0
  let low = 0
  let digits = 0
  let exponent = 0
  let point = false
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 46) {
      point = true
      continue
    }
    if (c === 101 || c === 69) {
      exponent += Number(text.slice(i + 1))
      break
    }
    const d = c - 48
    if (digits < 15) {
      high = high * 10 + d
      if (high !== 0) digits++
    } else if (digits < 19) {
      low = low * 10 + d
      digits++
    } else {
      if (d !== 0) digits = 20
      exponent++
    }
    if (point) exponent--
  }
  return { negative, high, low, digits, exponent }
}

/** The conversion of the text's parts, signed as the caller signs it, or undefined. */
function convert(text: string): number | undefined {
  const p = parts(text)
  const value = decimalToDouble(p.high, p.low, p.digits, p.exponent)
  return value === undefined ? undefined : p.negative ? -value : value
}

/**
 * Counts of a family of cases: all, converted here, the texts converted wrongly, and those
 * declined though they could have been converted: in range, and not within 2^-80 of a tie.
 */
class Tally {
  cases = 0
  fast = 0
  readonly wrong: string[] = []
  readonly needless: string[] = []

  /** Checks one text against `Number`. */
  check(text: string): number | undefined {
    const value = convert(text)
    const expected = Number(text)
    this.cases++
    if (value !== undefined) {
      this.fast++
      if (!Object.is(value, expected) && this.wrong.length < 20) {
        this.wrong.push(`${text} → ${value}, Number gives ${expected}`)
      }
    } else if (convertible(text, expected) && !nearTie(text, expected) && this.needless.length < 20) {
      this.needless.push(text)
    }
    return value
  }

  get fraction(): number {
    return this.fast / this.cases
  }
}

/** Whether the text's number is one the fast path is for: 19 digits or fewer, a normal result. */
function convertible(text: string, value: number): boolean {
  const p = parts(text)
  const magnitude = Math.abs(value)
  return (
    p.digits <= 19 &&
    p.exponent >= -327 &&
    p.exponent <= 308 &&
    magnitude >= 2 ** -1022 &&
    magnitude <= Number.MAX_VALUE
  )
}

/** The text's exact value: an integer times a power of ten. */
function decimal(text: string): { integer: bigint; exponent: number } {
  const [significand = '', written = '0'] = text.replace(/^-/, '').split(/[eE]/)
  const [whole = '', fraction = ''] = significand.split('.')
  return { integer: BigInt(whole + fraction), exponent: Number(written) - fraction.length }
}

/**
 * Whether the text's exact value is within 2^-80 of itself from a midpoint next to `value` (its
 * correct rounding): a case the fast path may decline.
 */
function nearTie(text: string, value: number): boolean {
  const { integer, exponent } = decimal(text)
  const { significand, power } = exact(Math.abs(value))
  const below =
    significand === 1n << 52n ? [4n * significand - 1n, power - 2] : [2n * significand - 1n, power - 1]
  const midpoints: [bigint, number][] = [[2n * significand + 1n, power - 1], below as [bigint, number]]
  return midpoints.some(([odd, twos]) => {
    // Both sides times 2^a·5^b, integers.
    const a = Math.max(0, -exponent, -twos)
    const b = Math.max(0, -exponent)
    const scaled = integer * 2n ** BigInt(exponent + a) * 5n ** BigInt(exponent + b)
    const midpoint = odd * 2n ** BigInt(twos + a) * 5n ** BigInt(b)
    const distance = scaled > midpoint ? scaled - midpoint : midpoint - scaled
    return distance << 80n <= scaled
  })
}

/** A seeded PRNG (mulberry32): uniform unsigned 32-bit integers. */
function random32(seed: number): () => number {
  let state = seed | 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** An integer from `min` to `max` inclusive. */
function between(next: () => number, min: number, max: number): number {
  return min + (next() % (max - min + 1))
}

/** `count` random decimal digits, the first not zero. */
function randomDigits(next: () => number, count: number): string {
  let text = String(between(next, 1, 9))
  for (let i = 1; i < count; i++) text += String(next() % 10)
  return text
}

const bits = new DataView(new ArrayBuffer(8))

/** A random positive normal double with a biased binary exponent from `min` to `max`. */
function randomDouble(next: () => number, min: number, max: number): number {
  bits.setUint32(0, (between(next, min, max) << 20) | (next() & 0xfffff))
  bits.setUint32(4, next())
  return bits.getFloat64(0)
}

/** A double's exact value as an odd-or-zero BigInt significand times a power of two. */
function exact(x: number): { significand: bigint; power: number } {
  bits.setFloat64(0, x)
  const high = bits.getUint32(0)
  const biased = (high >>> 20) & 0x7ff
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(bits.getUint32(4))
  return biased === 0
    ? { significand: fraction, power: -1074 }
    : { significand: fraction | (1n << 52n), power: biased - 1075 }
}

/**
 * The midpoint between positive normal `x` and the next double up, in decimal: its significant
 * digits (no trailing zeros) and the power of ten they are scaled by.
 */
function midpointDecimal(x: number): { digits: string; exponent: number } {
  const { significand, power } = exact(x)
  const odd = 2n * significand + 1n
  let digits: string
  let exponent: number
  if (power - 1 >= 0) {
    digits = (odd << BigInt(power - 1)).toString()
    exponent = 0
  } else {
    digits = (odd * 5n ** BigInt(1 - power)).toString()
    exponent = power - 1
  }
  const trimmed = digits.replace(/0+$/, '')
  return { digits: trimmed, exponent: exponent + digits.length - trimmed.length }
}

/** `digits` (a positive integer's) times 10^exponent as JSON text, in one of a few shapes. */
function write(digits: string, exponent: number, shape: number): string {
  if (shape === 1 && digits.length > 1) {
    return `${digits[0]}.${digits.slice(1)}e${exponent + digits.length - 1}`
  }
  if (shape === 2 && exponent < 0 && exponent >= -digits.length - 8) {
    const point = digits.length + exponent
    return point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`
  }
  return `${digits}e${exponent}`
}

/**
 * Texts just off the midpoint above `x`: its first n digits for n from 16 to 19, truncated and
 * rounded up in the last digit; and the midpoint exactly when it has 19 digits or fewer.
 */
function nearMidpoint(x: number, shape: number): { exactTie: string | undefined; near: string[] } {
  const mid = midpointDecimal(x)
  const near: string[] = []
  for (let n = 16; n <= 19 && n < mid.digits.length; n++) {
    const exponent = mid.exponent + mid.digits.length - n
    const truncated = mid.digits.slice(0, n)
    near.push(write(truncated, exponent, shape))
    near.push(write((BigInt(truncated) + 1n).toString(), exponent, shape))
  }
  const exactTie = mid.digits.length <= 19 ? write(mid.digits, mid.exponent, shape) : undefined
  return { exactTie, near }
}

const TIMEOUT = 60_000

describe('decimalToDouble', () => {
  it(
    'converts random 16 to 19 digit mantissas with exponents from -325 to 292 as Number does',
    () => {
      const next = random32(1)
      const tally = new Tally()
      for (let i = 0; i < 600_000; i++) {
        const digits = randomDigits(next, between(next, 16, 19))
        // All the exponents whose numbers are normal doubles.
        const exponent = between(next, -306 - digits.length, 308 - digits.length)
        const sign = next() % 4 === 0 ? '-' : ''
        tally.check(sign + write(digits, exponent, next() % 3))
      }
      // And the many whose exponent is near zero, where JSON's numbers mostly are.
      for (let i = 0; i < 400_000; i++) {
        const digits = randomDigits(next, between(next, 16, 19))
        tally.check(write(digits, between(next, -30, 10), next() % 3))
      }
      expect(tally.wrong).toEqual([])
      expect(tally.needless).toEqual([])
      expect(tally.fraction).toBeGreaterThan(0.99)
    },
    TIMEOUT,
  )

  it(
    'converts random doubles as JavaScript prints them, to 16, 17, 18 and shortest digits',
    () => {
      const next = random32(2)
      const tally = new Tally()
      for (let i = 0; i < 150_000; i++) {
        // All normal doubles, then the common ones.
        const x = i % 2 === 0 ? randomDouble(next, 1, 2046) : (next() / 2 ** 32) * 10 ** (i % 25)
        const y = next() % 8 === 0 ? -x : x
        tally.check(String(y))
        tally.check(y.toPrecision(17))
        tally.check(y.toPrecision(16))
        tally.check(y.toPrecision(18))
      }
      expect(tally.wrong).toEqual([])
      expect(tally.needless).toEqual([])
      expect(tally.fraction).toBeGreaterThan(0.99)
    },
    TIMEOUT,
  )

  it(
    'converts quotients and products JavaScript printed, like (i % 1000) / 7',
    () => {
      const tally = new Tally()
      const families: ((i: number) => number)[] = [
        (i) => (i % 1000) / 7,
        (i) => i / 3,
        (i) => (i % 997) / 9_999_991,
        (i) => i * 0.1,
        (i) => i * 1.1e-7,
        (i) => 1 / (i + 1),
        (i) => Math.sqrt(i) * 1e15,
      ]
      for (const family of families) {
        for (let i = 0; i < 100_000; i++) tally.check(String(family(i)))
      }
      expect(tally.wrong).toEqual([])
      expect(tally.needless).toEqual([])
      expect(tally.fraction).toBeGreaterThan(0.99)
    },
    TIMEOUT,
  )

  it(
    'declines exact ties between two doubles, and rounds the texts just off them',
    () => {
      const next = random32(3)
      const ties = new Tally()
      const near = new Tally()
      const tieAt = (x: number) => {
        const { exactTie, near: texts } = nearMidpoint(x, next() % 3)
        if (exactTie !== undefined) {
          expect(ties.check(exactTie), exactTie).toBeUndefined()
          expect(ties.check(`-${exactTie}`), exactTie).toBeUndefined()
        }
        for (const text of texts) near.check(text)
      }
      for (let i = 0; i < 20_000; i++) {
        // Integers up to 10^19, from 2^53 on with integer midpoints.
        tieAt(Number(BigInt(randomDigits(next, 19)) >> BigInt(next() % 11)))
        // From 2^49 to 2^53, where midpoints end in .5, .25, .125 or .0625.
        tieAt(2 ** between(next, 49, 52) * (1 + next() / 2 ** 32))
        // q·5^j·2^e with q·5^j odd and of 54 bits: midpoints with many trailing zeros, at large exponents.
        const j = between(next, 14, 22)
        const q = 2 * Math.floor((next() / 2 ** 32) * 2 ** 53 * 5 ** -j) + 1
        const odd = BigInt(q) * 5n ** BigInt(j)
        const power = between(next, j + 1, j + 40)
        if (odd >= 1n << 53n && odd < 1n << 54n) tieAt(Number((odd - 1n) / 2n) * 2 ** power)
        // Any double: midpoints of hundreds of digits.
        tieAt(randomDouble(next, 1, 2045))
      }
      expect(ties.cases).toBeGreaterThan(50_000)
      expect(ties.fast).toBe(0)
      expect(near.wrong).toEqual([])
      expect(near.needless).toEqual([])
      // Near integers from 2^54 on, many texts just off a tie are ties themselves.
      expect(near.fraction).toBeGreaterThan(0.98)
    },
    TIMEOUT,
  )

  it('converts the known hard texts as Number does, or declines them', () => {
    const texts = [
      '9007199254740993',
      '9007199254740992.5',
      '9007199254740993.0000000001',
      '9007199254740994',
      '9007199254740995',
      '4503599627370497.5',
      '4503599627370496.5',
      '9223372036854775807',
      '9223372036854775808',
      '9223372036854776832',
      '9223372036854776833',
      '9223372036854776831',
      '18446744073709551615',
      '1e22',
      '1e23',
      '9.999999999999999e22',
      '1.0000000000000001e23',
      '9.9999999999999991611392e22',
      '1.00000000000000008388608e23',
      '142.85714285714286',
      '-142.85714285714286',
      '0.1',
      '0.30000000000000004',
      '2.2250738585072014e-308',
      '2.2250738585072011e-308',
      '4.9406564584124654e-324',
      '5e-324',
      '1.7976931348623157e308',
      '1.7976931348623158e308',
      '1.7976931348623159e308',
      '1e-280',
      '1e280',
      '1.2345678901234567e-280',
      '9.9999999999999999e279',
      '1e-281',
      '1e281',
      '1e-400',
      '1e400',
      '-1e400',
      '0',
      '-0',
      '0.0',
      '-0.0e10',
      '0e500',
      '-0e-500',
      '0.0000000000000000000001234567890123456789',
      '1234567890123456789012',
      '1.0000000000000000000',
      '1.00000000000000000000000000001',
      '100000000000000000000000',
      '28522377624176443000',
      '12345678901234567890e-5',
      '12345678901234567891e-5',
      '0.0000000000000000000001234567890123456789000',
    ]
    const tally = new Tally()
    for (const text of texts) tally.check(text)
    expect(tally.wrong).toEqual([])
    expect(tally.needless).toEqual([])
    expect(convert('9007199254740993')).toBeUndefined()
    expect(convert('1e23')).toBeUndefined()
    expect(convert('9223372036854776832')).toBeUndefined()
    expect(convert('142.85714285714286')).toBe(142.85714285714286)
    expect(convert('9223372036854776833')).toBe(2 ** 63 + 2048)
    expect(Object.is(convert('-0.0e10'), -0)).toBe(true)
    expect(convert('0e500')).toBe(0)
    expect(convert('1e400')).toBeUndefined()
    expect(convert('1.2345678901234567e-330')).toBeUndefined()
    expect(convert('12345678901234567891e-5')).toBeUndefined()
    expect(convert('12345678901234567890e-5')).toBe(123456789012345.67)
    expect(convert('1.0000000000000000000')).toBe(1)
    expect(convert('28522377624176443000')).toBe(28522377624176443000)
  })
})
