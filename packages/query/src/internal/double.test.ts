import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decimalToDouble } from './double.js'

/** Splits an unsigned decimal's text as the page decoder does, and computes its double. */
function fromText(text: string): number {
  let high = 0
  let low = 0
  let lowDigits = 0
  let exponent = 0
  const digit = (d: number) => {
    if (high < 100_000_000) high = high * 10 + d
    else {
      low = low * 10 + d
      lowDigits += 1
    }
  }
  const m = /^(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text)!
  for (const c of m[1]!) digit(c.charCodeAt(0) - 48)
  for (const c of m[2] ?? '') {
    digit(c.charCodeAt(0) - 48)
    exponent -= 1
  }
  return decimalToDouble(high, low, lowDigits, exponent + Number(m[3] ?? 0))
}

/** A positive double as Java's `Double.toString` (so Trino) prints it: `0.001`, `1234567.0`, `1.0E7`. */
function java(x: number): string {
  if (x >= 1e-3 && x < 1e7) return Number.isInteger(x) ? `${x}.0` : String(x)
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string]
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`
}

/** Texts of a positive double with up to 18 significant digits, as Java, JavaScript and others print it. */
function texts(x: number): string[] {
  return [String(x), java(x), x.toPrecision(15), x.toPrecision(16), x.toPrecision(17), x.toPrecision(18)]
}

/** Either undecided (NaN, the caller parses the text) or the very double `Number` makes. */
function expectExactOrUndecided(text: string): boolean {
  const got = fromText(text)
  if (Number.isNaN(got)) return false
  expect(Object.is(got, Number(text)), `${text} → ${got}, Number gives ${Number(text)}`).toBe(true)
  return true
}

describe('the double of a decimal', () => {
  it('is the double Number makes of the text, for any double printed with up to 18 digits', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), (x) => {
        for (const text of texts(x)) expectExactOrUndecided(text)
      }),
      { numRuns: 5_000 },
    )
  })

  it('decides the doubles between 10^-200 and 10^200 as Trino prints them, and with 17 digits', () => {
    let decided = 0
    let tried = 0
    fc.assert(
      fc.property(fc.double({ min: 1e-200, max: 1e200, noNaN: true }), (x) => {
        for (const text of [java(x), x.toExponential(16)]) {
          tried += 1
          if (expectExactOrUndecided(text)) decided += 1
        }
      }),
      { numRuns: 5_000 },
    )
    // Undecided only within 2^-90 of a halfway point: practically never for printed doubles.
    expect(decided).toBeGreaterThan(tried * 0.99)
    expect(fromText('0.14285714285714285')).toBe(1 / 7)
    expect(fromText('1.4285714285714285E-7')).toBe(1 / 7 / 1e6)
  })

  it('never rounds a value halfway between two doubles, or next to halfway, the wrong way', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 53, max: 59 }),
        fc.bigInt({ min: 0n, max: 2n ** 52n - 1n }),
        fc.integer({ min: 0, max: 22 }),
        (e, mantissa, shift) => {
          // (2^52 + mantissa) × 2^(e-52) is a double; adding half its ulp lands exactly halfway.
          const double = ((1n << 52n) + mantissa) << BigInt(e - 52)
          const halfway = double + (1n << BigInt(e - 53))
          for (const m of [halfway - 1n, halfway, halfway + 1n]) {
            if (m >= 10n ** 18n) continue
            expectExactOrUndecided(m.toString())
            expectExactOrUndecided(`${m}E-${shift}`)
            expectExactOrUndecided(`${m}E${shift}`)
          }
          // Exactly halfway, at the exponent 0: ties to even, so 104 bits cannot decide; undecided.
          if (halfway < 10n ** 18n) expect(fromText(halfway.toString())).toBeNaN()
        },
      ),
      { numRuns: 2_000 },
    )
  })

  it('leaves to the text parser what it does not compute: more than 18 digits, exponents beyond ±250', () => {
    expect(fromText('1234567890123456789')).toBeNaN()
    expect(fromText('1000000000000000000000')).toBeNaN()
    expect(fromText('1.0E252')).toBeNaN()
    expect(fromText('1.0E-250')).toBeNaN()
    expect(fromText('4.9E-324')).toBeNaN()
    expect(fromText('1.7976931348623157E308')).toBeNaN()
    expect(fromText('1.0E250')).toBe(1e250)
    expect(fromText('1.2345678901234567E-230')).toBe(Number('1.2345678901234567E-230'))
  })

  it('takes the exact fast path for up to 15 digits, zero included', () => {
    expect(Object.is(fromText('0.0'), 0)).toBe(true)
    expect(fromText('123456789012345')).toBe(123456789012345)
    expect(fromText('1.5E22')).toBe(1.5e22)
    expect(fromText('2.5E-21')).toBe(2.5e-21)
  })
})
