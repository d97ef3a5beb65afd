import { describe, expect, it } from 'vitest'
import {
  alwaysFalse,
  alwaysTrue,
  and,
  eq,
  expressionToString,
  gtEq,
  isIn,
  isNaN as isNaNPredicate,
  isNull,
  lt,
  negateOperation,
  not,
  notIn,
  notStartsWith,
  or,
  startsWith,
} from './expressions.js'

describe('expression constructors', () => {
  it('build frozen plain data over column names', () => {
    const expr = and(eq('a', 1), lt('b.c', 2n))
    expect(expr).toEqual({
      kind: 'and',
      left: { kind: 'literal', op: 'eq', term: 'a', literal: 1 },
      right: { kind: 'literal', op: 'lt', term: 'b.c', literal: 2n },
    })
    expect(Object.isFrozen(expr)).toBe(true)
    expect(Object.isFrozen(isIn('a', [1, 2]).literals)).toBe(true)
  })

  it('fold constants out of and, or and not', () => {
    const p = eq('a', 1)
    expect(and(alwaysTrue(), p)).toBe(p)
    expect(and(p, alwaysFalse())).toBe(alwaysFalse())
    expect(or(alwaysFalse(), p)).toBe(p)
    expect(or(p, alwaysTrue())).toBe(alwaysTrue())
    expect(and()).toBe(alwaysTrue())
    expect(or()).toBe(alwaysFalse())
    expect(not(alwaysTrue())).toBe(alwaysFalse())
    expect(not(not(p))).toBe(p)
  })

  it('nests more than two operands to the left', () => {
    const expr = and(eq('a', 1), eq('b', 2), eq('c', 3))
    expect(expr.kind).toBe('and')
    expect(expressionToString(expr)).toBe('((a = 1 and b = 2) and c = 3)')
  })

  it('accepts any iterable for in and notIn', () => {
    expect(isIn('a', new Set([1, 2])).literals).toEqual([1, 2])
    expect(notIn('a', ['x']).op).toBe('notIn')
  })
})

describe('expressionToString', () => {
  it('prints a SQL-like line for logs', () => {
    const expr = or(
      and(gtEq('ts', '2024-01-01'), isIn('country', ['FR', "O'K"])),
      not(or(isNull('x'), isNaNPredicate('y'))),
    )
    expect(expressionToString(expr)).toBe(
      "((ts >= '2024-01-01' and country in ('FR', 'O''K')) or not((x is null or y is nan)))",
    )
    expect(expressionToString(startsWith('s', 'ab'))).toBe("s starts with 'ab'")
    expect(expressionToString(notStartsWith('s', 'ab'))).toBe("s not starts with 'ab'")
    expect(expressionToString(eq('b', Uint8Array.of(1, 255)))).toBe("b = X'01ff'")
    expect(expressionToString(eq('l', 12345678901234567890n))).toBe('l = 12345678901234567890')
  })
})

describe('negateOperation', () => {
  it('is an involution', () => {
    for (const op of ['lt', 'ltEq', 'gt', 'gtEq', 'eq', 'notEq', 'in', 'notIn', 'isNull', 'isNaN'] as const) {
      expect(negateOperation(negateOperation(op))).toBe(op)
      expect(negateOperation(op)).not.toBe(op)
    }
  })
})
