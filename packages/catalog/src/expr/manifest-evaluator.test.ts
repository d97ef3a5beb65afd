import { describe, expect, it } from 'vitest'
import { toBytes } from '../spec/conversions.js'
import type { PartitionFieldSummary } from '../spec/data-file.js'
import type { PartitionSpec } from '../spec/partition-spec.js'
import { Schema } from '../spec/schema.js'
import { Types } from '../spec/types.js'
import { bind } from './bind.js'
import {
  type Expression,
  eq,
  gt,
  gtEq,
  isIn,
  isNaN as isNaNPredicate,
  isNull,
  lt,
  ltEq,
  notEq,
  notIn,
  notNaN,
  notNull,
  notStartsWith,
  startsWith,
} from './expressions.js'
import { evaluatePartition, ManifestEvaluator } from './manifest-evaluator.js'
import { inclusiveProjection } from './projection.js'

// After iceberg-java's TestInclusiveManifestEvaluator: identity partitions with summaries.
const schema = new Schema([
  { id: 1, name: 'id', required: false, type: Types.int },
  { id: 2, name: 'all_nulls', required: false, type: Types.string },
  { id: 3, name: 'some_nulls', required: false, type: Types.string },
  { id: 4, name: 'no_nulls', required: false, type: Types.string },
  { id: 5, name: 'float', required: false, type: Types.float },
  { id: 6, name: 'all_nans', required: false, type: Types.double },
  { id: 7, name: 'both_nan_and_null', required: false, type: Types.float },
  { id: 8, name: 'no_nan_or_null', required: false, type: Types.double },
])

const spec: PartitionSpec = {
  specId: 0,
  fields: schema.fields.map((f, i) => ({
    sourceId: f.id,
    fieldId: 1000 + i,
    name: f.name,
    transform: { kind: 'identity' as const },
  })),
}

const summaries: PartitionFieldSummary[] = [
  { containsNull: false, lowerBound: toBytes(Types.int, 30), upperBound: toBytes(Types.int, 79) },
  { containsNull: true },
  { containsNull: true, lowerBound: toBytes(Types.string, 'a'), upperBound: toBytes(Types.string, 'abc') },
  { containsNull: false, lowerBound: toBytes(Types.string, 'abc'), upperBound: toBytes(Types.string, 'abd') },
  {
    containsNull: true,
    containsNaN: false,
    lowerBound: toBytes(Types.float, 0),
    upperBound: toBytes(Types.float, 20),
  },
  { containsNull: false, containsNaN: true },
  { containsNull: true, containsNaN: true },
  {
    containsNull: false,
    containsNaN: false,
    lowerBound: toBytes(Types.double, 0),
    upperBound: toBytes(Types.double, 20),
  },
]

const evaluator = (expr: Expression): ManifestEvaluator =>
  new ManifestEvaluator(inclusiveProjection(bind(schema, expr), spec))
const mightMatch = (expr: Expression): boolean => evaluator(expr).eval({ partitions: summaries })

describe('ManifestEvaluator', () => {
  it('keeps manifests without summaries', () => {
    expect(evaluator(lt('id', 5)).eval({})).toBe(true)
    expect(evaluator(lt('id', 5)).eval({ partitions: [] })).toBe(true)
    expect(evaluator(lt('id', 5)).eval({ partitions: summaries })).toBe(false)
  })

  it('uses containsNull and missing bounds for null predicates', () => {
    expect(mightMatch(isNull('id'))).toBe(false)
    expect(mightMatch(isNull('all_nulls'))).toBe(true)
    expect(mightMatch(notNull('all_nulls'))).toBe(false)
    expect(mightMatch(notNull('some_nulls'))).toBe(true)
    // Without bounds but with NaN, a float column still has non-null values.
    expect(mightMatch(notNull('both_nan_and_null'))).toBe(true)
  })

  it('uses containsNaN for NaN predicates', () => {
    expect(mightMatch(isNaNPredicate('float'))).toBe(false)
    expect(mightMatch(isNaNPredicate('all_nans'))).toBe(true)
    expect(mightMatch(isNaNPredicate('no_nan_or_null'))).toBe(false)
    expect(mightMatch(notNaN('all_nans'))).toBe(false)
    expect(mightMatch(notNaN('both_nan_and_null'))).toBe(true)
    expect(mightMatch(notNaN('float'))).toBe(true)
  })

  it('compares literals with the bounds', () => {
    const cases: [Expression, boolean][] = [
      [lt('id', 30), false],
      [lt('id', 31), true],
      [ltEq('id', 29), false],
      [ltEq('id', 30), true],
      [gt('id', 79), false],
      [gt('id', 78), true],
      [gtEq('id', 80), false],
      [gtEq('id', 79), true],
      [eq('id', 29), false],
      [eq('id', 30), true],
      [eq('id', 80), false],
      [notEq('id', 30), true],
      [isIn('id', [1, 2]), false],
      [isIn('id', [1, 30]), true],
      [notIn('id', [30, 31]), true],
      [lt('all_nulls', 'a'), false],
      [eq('all_nans', 1), false],
      [gt('float', 20), false],
      [lt('no_nan_or_null', 1), true],
    ]
    for (const [expr, expected] of cases) expect(mightMatch(expr), JSON.stringify(expr)).toBe(expected)
  })

  it('checks prefixes against the bounds', () => {
    expect(mightMatch(startsWith('all_nulls', 'a'))).toBe(false)
    expect(mightMatch(startsWith('some_nulls', 'a'))).toBe(true)
    expect(mightMatch(startsWith('some_nulls', 'abd'))).toBe(false)
    expect(mightMatch(startsWith('no_nulls', 'ab'))).toBe(true)
    expect(mightMatch(startsWith('no_nulls', 'b'))).toBe(false)
    expect(mightMatch(notStartsWith('no_nulls', 'ab'))).toBe(false)
    expect(mightMatch(notStartsWith('no_nulls', 'abc'))).toBe(true)
    expect(mightMatch(notStartsWith('some_nulls', 'a'))).toBe(true)
  })
})

describe('evaluatePartition', () => {
  it('evaluates a projected filter on a file partition tuple', () => {
    const projected = inclusiveProjection(bind(schema, gtEq('id', 40)), spec)
    expect(evaluatePartition(projected, [40, null, null, null, null, null, null, null])).toBe(true)
    expect(evaluatePartition(projected, [39, null, null, null, null, null, null, null])).toBe(false)
    expect(evaluatePartition(projected, [null, null, null, null, null, null, null, null])).toBe(false)
  })
})
