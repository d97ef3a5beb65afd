import { ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { Schema } from '../spec/schema.js'
import { Types } from '../spec/types.js'
import { bind } from './bind.js'
import {
  alwaysFalse,
  alwaysTrue,
  and,
  type BoundExpression,
  eq,
  expressionToString,
  gt,
  gtEq,
  isIn,
  isNaN as isNaNPredicate,
  isNull,
  lt,
  not,
  notIn,
  notNull,
  or,
  startsWith,
} from './expressions.js'

const schema = new Schema([
  { id: 1, name: 'id', required: true, type: Types.long },
  { id: 2, name: 'data', required: false, type: Types.string },
  { id: 3, name: 'price', required: false, type: Types.double },
  { id: 4, name: 'day', required: false, type: Types.date },
  {
    id: 5,
    name: 'location',
    required: false,
    type: Types.struct([
      { id: 6, name: 'lat', required: true, type: Types.double },
      { id: 7, name: 'lon', required: true, type: Types.double },
    ]),
  },
  { id: 8, name: 'tags', required: false, type: Types.list(9, Types.string) },
  { id: 10, name: 'count', required: false, type: Types.int },
])

function error(fn: () => unknown): ValidationError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    return err as ValidationError
  }
  throw new Error('expected a ValidationError')
}

describe('bind', () => {
  it('resolves names to field ids and converts literals to internal values', () => {
    const bound = bind(schema, and(eq('id', 5), gtEq('day', '2024-01-02')))
    expect(bound).toMatchObject({
      kind: 'and',
      left: { kind: 'literal', op: 'eq', term: { fieldId: 1, name: 'id', path: ['id'] }, literal: 5n },
      right: { kind: 'literal', op: 'gtEq', term: { fieldId: 4 }, literal: 19724 },
    })
  })

  it('resolves nested struct fields with their path and nullability', () => {
    const bound = bind(schema, lt('location.lat', 10)) as BoundExpression & { kind: 'literal' }
    expect(bound.term).toMatchObject({ fieldId: 6, name: 'location.lat', path: ['location', 'lat'] })
    expect(bound.term.producesNull).toBe(true)
    expect(bound.literal).toBe(10)
  })

  it('matches names case-insensitively only when asked', () => {
    expect(error(() => bind(schema, eq('ID', 1))).context.field).toBe('ID')
    expect(bind(schema, eq('ID', 1), false)).toMatchObject({ term: { fieldId: 1, name: 'id' } })
  })

  it('rejects an unknown column, naming it', () => {
    const err = error(() => bind(schema, and(eq('id', 1), eq('nope', 2))))
    expect(err.message).toContain("'nope'")
    expect(err.context.field).toBe('nope')
  })

  it('rejects a literal of the wrong type, naming the column and the literal', () => {
    const err = error(() => bind(schema, eq('id', 'abc')))
    expect(err.message).toContain("'id'")
    expect(err.message).toContain("'abc'")
    expect(err.context).toMatchObject({ field: 'id', literal: "'abc'" })
  })

  it('rejects null and NaN literals in favour of isNull and isNaN', () => {
    expect(error(() => bind(schema, eq('data', null))).message).toContain('isNull')
    expect(error(() => bind(schema, eq('price', Number.NaN))).message).toContain('isNaN')
    expect(error(() => bind(schema, isIn('price', [1, Number.NaN]))).message).toContain('isNaN')
  })

  it('allows isNaN only on float and double columns', () => {
    expect(bind(schema, isNaNPredicate('price'))).toMatchObject({ kind: 'unary', op: 'isNaN' })
    expect(error(() => bind(schema, isNaNPredicate('count'))).context.field).toBe('count')
  })

  it('allows startsWith only on string columns with a string prefix', () => {
    expect(bind(schema, startsWith('data', 'ab'))).toMatchObject({ op: 'startsWith', literal: 'ab' })
    expect(error(() => bind(schema, startsWith('id', '1'))).context.field).toBe('id')
  })

  it('refuses comparisons on structs and fields inside lists', () => {
    expect(error(() => bind(schema, eq('location', 1))).context.field).toBe('location')
    expect(error(() => bind(schema, eq('tags.element', 'a'))).context.field).toBe('tags.element')
    expect(bind(schema, isNull('location'))).toMatchObject({ op: 'isNull', term: { fieldId: 5 } })
  })

  it('pushes not down to the leaves', () => {
    const bound = bind(schema, not(and(lt('id', 5), or(isNull('data'), isIn('count', [1, 2])))))
    expect(expressionToString(bound)).toBe('(id >= 5 or (data is not null and count not in (1, 2)))')
  })

  it('folds predicates a required column decides', () => {
    expect(bind(schema, isNull('id'))).toBe(alwaysFalse())
    expect(bind(schema, notNull('id'))).toBe(alwaysTrue())
    expect(bind(schema, or(isNull('id'), eq('id', 1)))).toMatchObject({ op: 'eq' })
    // lat is required but inside an optional struct, so it can still be null.
    expect(bind(schema, isNull('location.lat'))).toMatchObject({ op: 'isNull' })
  })

  it('deduplicates in sets and turns a single value into eq', () => {
    expect(bind(schema, isIn('id', [1, 1n, 2]))).toMatchObject({ kind: 'set', op: 'in', literals: [1n, 2n] })
    expect(bind(schema, isIn('id', [3, 3]))).toMatchObject({ kind: 'literal', op: 'eq', literal: 3n })
    expect(bind(schema, notIn('id', [3]))).toMatchObject({ kind: 'literal', op: 'notEq', literal: 3n })
    expect(bind(schema, isIn('id', []))).toBe(alwaysFalse())
    expect(bind(schema, notIn('id', []))).toBe(alwaysTrue())
  })

  it('keeps the literal of a float column as the column will compare it', () => {
    expect(bind(schema, gt('price', 1))).toMatchObject({ literal: 1 })
  })
})
