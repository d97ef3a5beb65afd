import { describe, expect, it } from 'vitest'
import type { PartitionSpec } from '../spec/partition-spec.js'
import { Schema } from '../spec/schema.js'
import { Types } from '../spec/types.js'
import { coerceValue } from '../spec/values.js'
import { bind } from './bind.js'
import {
  alwaysFalse,
  alwaysTrue,
  and,
  type Expression,
  eq,
  expressionToString,
  gtEq,
  isIn,
  lt,
  notEq,
  notIn,
  or,
} from './expressions.js'
import { ResidualEvaluator } from './residual.js'

const schema = new Schema([
  { id: 1, name: 'id', required: false, type: Types.long },
  { id: 2, name: 'ts', required: false, type: Types.timestamptz },
  { id: 3, name: 'data', required: false, type: Types.string },
])

const spec: PartitionSpec = {
  specId: 1,
  fields: [
    { sourceId: 2, fieldId: 1000, name: 'ts_day', transform: { kind: 'day' } },
    { sourceId: 1, fieldId: 1001, name: 'id', transform: { kind: 'identity' } },
  ],
}

const day = (text: string): number => coerceValue(Types.date, text, 'day') as number
const residual = (expr: Expression, partition: unknown[], s: PartitionSpec = spec): string =>
  expressionToString(new ResidualEvaluator(s, bind(schema, expr)).residualFor(partition))

describe('ResidualEvaluator', () => {
  const march1 = day('2024-03-01')

  it('drops a predicate the partition proves for whole days', () => {
    expect(residual(gtEq('ts', '2024-03-01T00:00:00Z'), [march1, 1n])).toBe('true')
    expect(residual(lt('ts', '2024-03-02T00:00:00Z'), [march1, 1n])).toBe('true')
  })

  it('keeps a predicate that cuts through the partition', () => {
    expect(residual(gtEq('ts', '2024-03-01T12:00:00Z'), [march1, 1n])).toBe('ts >= 1709294400000000')
  })

  it('turns a predicate the partition rules out into false', () => {
    expect(residual(gtEq('ts', '2024-03-01T12:00:00Z'), [march1 - 1, 1n])).toBe('false')
    expect(residual(eq('id', 5), [march1, 6n])).toBe('false')
  })

  it('decides identity predicates entirely', () => {
    expect(residual(eq('id', 5), [march1, 5n])).toBe('true')
    expect(residual(notEq('id', 5), [march1, 6n])).toBe('true')
    expect(residual(isIn('id', [5, 6]), [march1, 7n])).toBe('false')
  })

  it('decides a null partition as its rows are decided: the negations hold, nothing else does', () => {
    expect(residual(notEq('id', 5), [march1, null])).toBe('true')
    expect(residual(notIn('id', [5, 6]), [march1, null])).toBe('true')
    expect(residual(eq('id', 5), [march1, null])).toBe('false')
    expect(residual(isIn('id', [5, 6]), [march1, null])).toBe('false')
    expect(residual(lt('id', 5), [march1, null])).toBe('false')
  })

  it('folds what remains', () => {
    const filter = or(and(eq('id', 5), eq('data', 'x')), and(eq('id', 6), gtEq('ts', '2024-03-01T12:00:00Z')))
    expect(residual(filter, [march1, 5n])).toBe("data = 'x'")
    expect(residual(filter, [march1, 6n])).toBe('ts >= 1709294400000000')
    expect(residual(filter, [march1, 7n])).toBe('false')
  })

  it('keeps predicates on columns the spec does not partition by', () => {
    expect(residual(eq('data', 'x'), [march1, 5n])).toBe("data = 'x'")
  })

  it('returns the filter itself for an unpartitioned spec', () => {
    const unpartitioned: PartitionSpec = { specId: 0, fields: [] }
    const bound = bind(schema, eq('id', 5))
    expect(new ResidualEvaluator(unpartitioned, bound).residualFor([])).toBe(bound)
    expect(new ResidualEvaluator(unpartitioned, alwaysTrue()).residualFor([])).toBe(alwaysTrue())
    expect(new ResidualEvaluator(spec, alwaysFalse()).residualFor([march1, 1n])).toBe(alwaysFalse())
  })

  it('treats a null partition value as null rows', () => {
    expect(residual(eq('id', 5), [march1, null])).toBe('false')
    expect(residual(gtEq('ts', '2024-03-01T00:00:00Z'), [null, 1n])).toBe('false')
  })
})
