import { describe, expect, it } from 'vitest'
import { injectionCorpus } from '../test/injection-corpus.js'
import { decimal, encodeLiteral } from './params.js'

/** Reads one Trino string literal at the start of `sql`; returns its value and what follows. */
function readStringLiteral(sql: string): { value: string; rest: string } {
  expect(sql[0]).toBe("'")
  let value = ''
  let i = 1
  for (;;) {
    const c = sql[i]
    if (c === undefined) throw new Error('unterminated literal')
    if (c === "'") {
      if (sql[i + 1] === "'") {
        value += "'"
        i += 2
        continue
      }
      return { value, rest: sql.slice(i + 1) }
    }
    value += c
    i += 1
  }
}

describe('encodeLiteral', () => {
  it('keeps every corpus string inside one literal that reads back as itself', () => {
    for (const text of injectionCorpus) {
      const { value, rest } = readStringLiteral(encodeLiteral(text))
      expect(value).toBe(text)
      expect(rest).toBe('')
    }
  })

  it('refuses strings with lone surrogates, which would not arrive as written', () => {
    expect(() => encodeLiteral('a\ud800b')).toThrow(/lone UTF-16 surrogate/)
  })

  it('writes numbers so that Trino reads the same value and a fitting type', () => {
    expect(encodeLiteral(42)).toBe('42')
    expect(encodeLiteral(-(2 ** 53) + 1)).toBe('-9007199254740991')
    expect(encodeLiteral(0.1)).toBe("DOUBLE '0.1'")
    expect(encodeLiteral(1e300)).toBe("DOUBLE '1e+300'")
    expect(encodeLiteral(Number.NaN)).toBe("DOUBLE 'NaN'")
    expect(encodeLiteral(Number.NEGATIVE_INFINITY)).toBe("DOUBLE '-Infinity'")
    expect(encodeLiteral(-0)).toBe("DOUBLE '-0.0'")
    expect(encodeLiteral(2 ** 63)).toBe("DOUBLE '9223372036854776000'")
  })

  it('writes bigints as bigint, or decimal beyond 64 bits, and refuses what neither holds', () => {
    expect(encodeLiteral(9223372036854775807n)).toBe("BIGINT '9223372036854775807'")
    expect(encodeLiteral(-9223372036854775809n)).toBe("DECIMAL '-9223372036854775809'")
    expect(() => encodeLiteral(10n ** 38n)).toThrow(/does not fit/)
  })

  it('writes instants, bytes, booleans, null, decimals and arrays', () => {
    expect(encodeLiteral(new Date('2026-11-26T01:02:03.456Z'))).toBe(
      "TIMESTAMP '2026-11-26 01:02:03.456 UTC'",
    )
    expect(encodeLiteral(new Date('-000044-03-15T12:00:00.000Z'))).toBe(
      "TIMESTAMP '-0044-03-15 12:00:00.000 UTC'",
    )
    expect(encodeLiteral(new Uint8Array([0, 0x27, 255]))).toBe("X'0027ff'")
    expect(encodeLiteral(true)).toBe('TRUE')
    expect(encodeLiteral(null)).toBe('NULL')
    expect(encodeLiteral(decimal('-123.450'))).toBe("DECIMAL '-123.450'")
    expect(encodeLiteral(['a', [1n, null]])).toBe("ARRAY['a', ARRAY[BIGINT '1', NULL]]")
  })

  it('refuses values it cannot bind exactly', () => {
    expect(() => encodeLiteral(new Date(Number.NaN))).toThrow(/invalid Date/)
    expect(() => decimal("1'; DROP TABLE t; --")).toThrow(/Not a decimal/)
    expect(() => decimal('1'.repeat(39))).toThrow(/Not a decimal/)
    expect(() => encodeLiteral({ a: 1 } as never)).toThrow(/cannot be a query parameter/)
    expect(() => encodeLiteral(undefined as never, 'params[3]')).toThrow(/params\[3\]: a undefined/)
  })
})
