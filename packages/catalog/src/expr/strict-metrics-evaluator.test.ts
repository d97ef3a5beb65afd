import { describe, expect, it } from 'vitest'
import { toBytes } from '../spec/conversions.js'
import type { DataFile } from '../spec/data-file.js'
import { Schema } from '../spec/schema.js'
import { Types } from '../spec/types.js'
import { bind } from './bind.js'
import {
  and,
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
  or,
  startsWith,
} from './expressions.js'
import { StrictMetricsEvaluator } from './strict-metrics-evaluator.js'

// After iceberg-java's TestStrictMetricsEvaluator: a 50-row file with one column per case.
const schema = new Schema([
  { id: 1, name: 'id', required: true, type: Types.int },
  { id: 2, name: 'no_stats', required: false, type: Types.int },
  { id: 3, name: 'all_nulls', required: false, type: Types.string },
  { id: 4, name: 'some_nulls', required: false, type: Types.string },
  { id: 5, name: 'no_nulls', required: false, type: Types.string },
  { id: 6, name: 'all_nans', required: false, type: Types.double },
  { id: 7, name: 'some_nans', required: false, type: Types.float },
  { id: 8, name: 'no_nans', required: false, type: Types.float },
  { id: 9, name: 'one_value', required: false, type: Types.int },
])

const counts = (entries: [number, number][]): Map<number, bigint> =>
  new Map(entries.map(([id, n]) => [id, BigInt(n)]))

const file: DataFile = {
  content: 0,
  filePath: 'file.parquet',
  fileFormat: 'PARQUET',
  partition: [],
  specId: 0,
  recordCount: 50n,
  fileSizeInBytes: 4096n,
  valueCounts: counts([1, 3, 4, 5, 6, 7, 8, 9].map((id) => [id, 50])),
  nullValueCounts: counts([
    [1, 0],
    [3, 50],
    [4, 10],
    [5, 0],
    [6, 0],
    [7, 0],
    [8, 0],
    [9, 0],
  ]),
  nanValueCounts: counts([
    [6, 50],
    [7, 10],
    [8, 0],
  ]),
  lowerBounds: new Map([
    [1, toBytes(Types.int, 30)],
    [4, toBytes(Types.string, 'bbb')],
    [5, toBytes(Types.string, 'abc')],
    [7, toBytes(Types.float, 1)],
    [8, toBytes(Types.float, 1)],
    [9, toBytes(Types.int, 7)],
  ]),
  upperBounds: new Map([
    [1, toBytes(Types.int, 79)],
    [4, toBytes(Types.string, 'eee')],
    [5, toBytes(Types.string, 'abd')],
    [7, toBytes(Types.float, 9)],
    [8, toBytes(Types.float, 9)],
    [9, toBytes(Types.int, 7)],
  ]),
}

const mustMatch = (expr: Expression, f: DataFile = file): boolean =>
  new StrictMetricsEvaluator(bind(schema, expr)).eval(f)

describe('StrictMetricsEvaluator', () => {
  it('proves nothing about a column without stats', () => {
    for (const expr of [lt('no_stats', 5), notEq('no_stats', 5), isNull('no_stats'), notNull('no_stats')]) {
      expect(mustMatch(expr)).toBe(false)
    }
  })

  it('matches every row of an empty file and none of a file of unknown size', () => {
    expect(mustMatch(lt('no_stats', 5), { ...file, recordCount: 0n })).toBe(true)
    expect(mustMatch(notNull('no_nulls'), { ...file, recordCount: -1n })).toBe(false)
    expect(mustMatch(lt('id', 100), { ...file, recordCount: -1n })).toBe(false)
  })

  it('uses null and NaN counts for the unary predicates', () => {
    expect(mustMatch(isNull('all_nulls'))).toBe(true)
    expect(mustMatch(isNull('some_nulls'))).toBe(false)
    expect(mustMatch(notNull('no_nulls'))).toBe(true)
    expect(mustMatch(notNull('some_nulls'))).toBe(false)
    expect(mustMatch(isNaNPredicate('all_nans'))).toBe(true)
    expect(mustMatch(isNaNPredicate('some_nans'))).toBe(false)
    expect(mustMatch(notNaN('no_nans'))).toBe(true)
    expect(mustMatch(notNaN('some_nans'))).toBe(false)
  })

  it('compares the bounds with the literal', () => {
    const cases: [Expression, boolean][] = [
      [lt('id', 79), false],
      [lt('id', 80), true],
      [ltEq('id', 78), false],
      [ltEq('id', 79), true],
      [gt('id', 30), false],
      [gt('id', 29), true],
      [gtEq('id', 31), false],
      [gtEq('id', 30), true],
      [eq('id', 30), false],
      [eq('one_value', 7), true],
      [notEq('id', 30), false],
      [notEq('id', 29), true],
      [notEq('id', 80), true],
      [isIn('id', [30, 79]), false],
      [isIn('one_value', [6, 7]), true],
      [notIn('id', [1, 80]), true],
      [notIn('id', [1, 31]), false],
      [and(gt('id', 29), lt('id', 80)), true],
      [or(lt('id', 30), gtEq('id', 30)), true],
      [or(lt('id', 31), gt('id', 70)), false],
    ]
    for (const [expr, expected] of cases) expect(mustMatch(expr), JSON.stringify(expr)).toBe(expected)
  })

  it('proves no comparison on a column that holds nulls or NaN', () => {
    expect(mustMatch(lt('some_nulls', 'zzz'))).toBe(false)
    expect(mustMatch(startsWith('some_nulls', 'b'))).toBe(false)
    expect(mustMatch(lt('some_nans', 10))).toBe(false)
    expect(mustMatch(lt('no_nans', 10))).toBe(true)
    // NaN is not 0, so NaN rows match notEq.
    expect(mustMatch(notEq('some_nans', 0))).toBe(true)
  })

  it('proves the negations over nulls, which match them', () => {
    // 'a' lies below the bounds of the values, and null rows match notEq.
    expect(mustMatch(notEq('some_nulls', 'a'))).toBe(true)
    expect(mustMatch(notEq('some_nulls', 'bbb'))).toBe(false)
    expect(mustMatch(notIn('some_nulls', ['a', 'b']))).toBe(true)
    expect(mustMatch(notStartsWith('some_nulls', 'a'))).toBe(true)
    expect(mustMatch(notEq('all_nulls', 'a'))).toBe(true)
    expect(mustMatch(notStartsWith('all_nulls', 'a'))).toBe(true)
    expect(mustMatch(eq('all_nulls', 'a'))).toBe(false)
  })

  it('checks prefixes against both bounds', () => {
    expect(mustMatch(startsWith('no_nulls', 'ab'))).toBe(true)
    expect(mustMatch(startsWith('no_nulls', 'abc'))).toBe(false)
    expect(mustMatch(notStartsWith('no_nulls', 'b'))).toBe(true)
    expect(mustMatch(notStartsWith('no_nulls', 'abd'))).toBe(false)
    expect(mustMatch(startsWith('some_nulls', 'b'))).toBe(false)
  })
})
