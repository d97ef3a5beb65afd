import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseJsonLossless } from './json.js'

describe('parseJsonLossless', () => {
  it('keeps the extremes of a 64-bit integer exact', () => {
    const parsed = parseJsonLossless('[9223372036854775807, -9223372036854775808, 9007199254740993]')
    expect(parsed).toEqual(['9223372036854775807', '-9223372036854775808', '9007199254740993'])
  })

  it('keeps a long integer exact when it is the whole text', () => {
    expect(parseJsonLossless('-9223372036854775808')).toBe('-9223372036854775808')
    expect(parseJsonLossless(' 9007199254740993')).toBe('9007199254740993')
    expect(parseJsonLossless('900719925474099')).toBe(900719925474099)
  })

  it('leaves digits inside strings untouched, escaped quotes included', () => {
    const text = '["12345678901234567890", "a\\"12345678901234567890", 12345678901234567890]'
    expect(parseJsonLossless(text)).toEqual([
      '12345678901234567890',
      'a"12345678901234567890',
      '12345678901234567890',
    ])
  })

  it('finds the end of strings that end in escaped backslashes', () => {
    expect(parseJsonLossless('["a\\\\", "\\"", -12345678901234567890]')).toEqual([
      'a\\',
      '"',
      '-12345678901234567890',
    ])
  })

  it('does not touch the digits of a double', () => {
    expect(parseJsonLossless('[1.2345678901234567E20, 0.12345678901234566, 1.0E-7]')).toEqual([
      1.2345678901234567e20, 0.12345678901234566, 1e-7,
    ])
  })

  it('parses small integers as numbers', () => {
    expect(parseJsonLossless('{"a": [1, -2, 123456789012345], "b": null}')).toEqual({
      a: [1, -2, 123456789012345],
      b: null,
    })
  })

  it('round-trips any bigint inside any JSON document', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.jsonValue(), (n, other) => {
        const text = JSON.stringify({ other, n: 0 }).replace('"n":0', `"n":${n}`)
        const parsed = parseJsonLossless(text) as { n: number | string; other: unknown }
        expect(BigInt(parsed.n)).toBe(n)
        expect(parsed.other).toEqual(JSON.parse(JSON.stringify(other), longIntegersAsText))
      }),
    )
  })
})

/** What parseJsonLossless promises for the integers a double printed with 16+ digits. */
function longIntegersAsText(_key: string, value: unknown): unknown {
  return typeof value === 'number' && /^-?\d{16,}$/.test(JSON.stringify(value))
    ? JSON.stringify(value)
    : value
}
