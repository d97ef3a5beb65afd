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
  not,
  notEq,
  notIn,
  notNaN,
  notNull,
  notStartsWith,
  or,
  startsWith,
} from './expressions.js'
import { InclusiveMetricsEvaluator } from './metrics-evaluator.js'

// After iceberg-java's TestInclusiveMetricsEvaluator: a 50-row file with one column per case.
const schema = new Schema([
  { id: 1, name: 'id', required: true, type: Types.int },
  { id: 2, name: 'no_stats', required: false, type: Types.int },
  { id: 3, name: 'required', required: true, type: Types.string },
  { id: 4, name: 'all_nulls', required: false, type: Types.string },
  { id: 5, name: 'some_nulls', required: false, type: Types.string },
  { id: 6, name: 'no_nulls', required: false, type: Types.string },
  { id: 7, name: 'all_nans', required: false, type: Types.double },
  { id: 8, name: 'some_nans', required: false, type: Types.float },
  { id: 9, name: 'no_nans', required: false, type: Types.float },
  { id: 10, name: 'all_nulls_double', required: false, type: Types.double },
  { id: 11, name: 'nan_bounds', required: false, type: Types.float },
  { id: 12, name: 'nan_and_null_only', required: false, type: Types.double },
  { id: 13, name: 'truncated', required: false, type: Types.string },
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
  valueCounts: counts([
    [1, 50],
    [3, 50],
    [4, 50],
    [5, 50],
    [6, 50],
    [7, 50],
    [8, 50],
    [9, 50],
    [10, 50],
    [11, 50],
    [12, 50],
    [13, 50],
  ]),
  nullValueCounts: counts([
    [1, 0],
    [3, 0],
    [4, 50],
    [5, 10],
    [6, 0],
    [7, 0],
    [8, 0],
    [9, 0],
    [10, 50],
    [11, 0],
    [12, 49],
    [13, 0],
  ]),
  nanValueCounts: counts([
    [7, 50],
    [8, 25],
    [9, 0],
    [12, 1],
  ]),
  lowerBounds: new Map([
    [1, toBytes(Types.int, 30)],
    [3, toBytes(Types.string, 'a')],
    [5, toBytes(Types.string, 'bbb')],
    [6, toBytes(Types.string, 'bbb')],
    [8, toBytes(Types.float, 7)],
    [9, toBytes(Types.float, 7)],
    [11, toBytes(Types.float, Number.NaN)],
    // Values 'abcdef'…'abcxyz', the bounds truncated to three characters.
    [13, toBytes(Types.string, 'abc')],
  ]),
  upperBounds: new Map([
    [1, toBytes(Types.int, 79)],
    [3, toBytes(Types.string, 'z')],
    [5, toBytes(Types.string, 'eee')],
    [6, toBytes(Types.string, 'bbbz')],
    [8, toBytes(Types.float, 22)],
    [9, toBytes(Types.float, 22)],
    [11, toBytes(Types.float, Number.NaN)],
    [13, toBytes(Types.string, 'abd')],
  ]),
}

const mightMatch = (expr: Expression, f: DataFile = file): boolean =>
  new InclusiveMetricsEvaluator(bind(schema, expr)).eval(f)

describe('InclusiveMetricsEvaluator', () => {
  it('never prunes on a column without stats', () => {
    for (const expr of [lt('no_stats', 5), eq('no_stats', 5), isNull('no_stats'), notNull('no_stats')]) {
      expect(mightMatch(expr)).toBe(true)
    }
  })

  it('prunes an empty file and keeps one of unknown size', () => {
    expect(mightMatch(notNull('no_stats'), { ...file, recordCount: 0n })).toBe(false)
    expect(mightMatch(lt('id', 5), { ...file, recordCount: -1n })).toBe(true)
  })

  it('uses null counts for isNull and notNull', () => {
    expect(mightMatch(notNull('all_nulls'))).toBe(false)
    expect(mightMatch(notNull('some_nulls'))).toBe(true)
    expect(mightMatch(isNull('all_nulls'))).toBe(true)
    expect(mightMatch(isNull('no_nulls'))).toBe(false)
    expect(mightMatch(isNull('some_nulls'))).toBe(true)
  })

  it('prunes comparisons on a column of nulls only', () => {
    for (const expr of [
      lt('all_nulls', 'a'),
      ltEq('all_nulls', 'a'),
      gt('all_nulls', 'a'),
      gtEq('all_nulls', 'a'),
      eq('all_nulls', 'a'),
      isIn('all_nulls', ['a', 'b']),
      startsWith('all_nulls', 'a'),
      lt('all_nulls_double', 1),
      isNaNPredicate('all_nulls_double'),
    ]) {
      expect(mightMatch(expr)).toBe(false)
    }
    expect(mightMatch(notEq('all_nulls', 'a'))).toBe(true)
  })

  it('uses NaN counts for isNaN and notNaN', () => {
    expect(mightMatch(isNaNPredicate('all_nans'))).toBe(true)
    expect(mightMatch(isNaNPredicate('some_nans'))).toBe(true)
    expect(mightMatch(isNaNPredicate('no_nans'))).toBe(false)
    expect(mightMatch(notNaN('all_nans'))).toBe(false)
    expect(mightMatch(notNaN('some_nans'))).toBe(true)
    expect(mightMatch(notNaN('nan_and_null_only'))).toBe(true)
    expect(mightMatch(isNaNPredicate('nan_and_null_only'))).toBe(true)
  })

  it('prunes comparisons on a column of NaN only', () => {
    for (const expr of [
      lt('all_nans', 1),
      gtEq('all_nans', 1),
      eq('all_nans', 1),
      isIn('all_nans', [1, 2]),
    ]) {
      expect(mightMatch(expr)).toBe(false)
    }
    expect(mightMatch(notEq('all_nans', 1))).toBe(true)
  })

  it('ignores NaN bounds, which say nothing about the other values', () => {
    expect(mightMatch(lt('nan_bounds', 1))).toBe(true)
    expect(mightMatch(gt('nan_bounds', 1))).toBe(true)
    expect(mightMatch(eq('nan_bounds', 1))).toBe(true)
    expect(mightMatch(isIn('nan_bounds', [1, 2]))).toBe(true)
  })

  it('uses bounds of a float column with some NaN', () => {
    expect(mightMatch(lt('some_nans', 7))).toBe(false)
    expect(mightMatch(ltEq('some_nans', 7))).toBe(true)
    expect(mightMatch(gt('some_nans', 22))).toBe(false)
    expect(mightMatch(eq('some_nans', 10))).toBe(true)
  })

  it('compares integers with the bounds', () => {
    const cases: [Expression, boolean][] = [
      [lt('id', 5), false],
      [lt('id', 30), false],
      [lt('id', 31), true],
      [ltEq('id', 29), false],
      [ltEq('id', 30), true],
      [gt('id', 79), false],
      [gt('id', 78), true],
      [gtEq('id', 80), false],
      [gtEq('id', 79), true],
      [eq('id', 5), false],
      [eq('id', 29), false],
      [eq('id', 30), true],
      [eq('id', 79), true],
      [eq('id', 80), false],
      [notEq('id', 5), true],
      [notEq('id', 30), true],
      [not(eq('id', 30)), true],
      [not(lt('id', 80)), false],
      [isIn('id', [5, 6]), false],
      [isIn('id', [29, 30]), true],
      [isIn('id', [79, 80]), true],
      [isIn('id', [80, 81]), false],
      [notIn('id', [30, 31]), true],
      [and(lt('id', 5), gt('id', 6)), false],
      [or(lt('id', 5), gtEq('id', 79)), true],
    ]
    for (const [expr, expected] of cases) expect(mightMatch(expr), JSON.stringify(expr)).toBe(expected)
  })

  it('does not check in sets larger than the limit', () => {
    const below = Array.from({ length: 201 }, (_, i) => i - 300)
    expect(mightMatch(isIn('id', below.slice(0, 200)))).toBe(false)
    expect(mightMatch(isIn('id', below))).toBe(true)
  })

  it('checks prefixes against bounds cut to the prefix length', () => {
    const cases: [string, boolean][] = [
      ['a', true],
      ['aa', false],
      ['b', false],
      ['ab', true],
      ['abc', true],
      ['abcx', true],
      ['abd', true],
      ['abe', false],
    ]
    for (const [prefix, expected] of cases)
      expect(mightMatch(startsWith('truncated', prefix)), prefix).toBe(expected)
    expect(mightMatch(startsWith('some_nulls', 'c'))).toBe(true)
    expect(mightMatch(startsWith('some_nulls', 'f'))).toBe(false)
    expect(mightMatch(startsWith('required', 'z'))).toBe(true)
    // Every value is at most 'z', so none starts with 'zz'.
    expect(mightMatch(startsWith('required', 'zz'))).toBe(false)
  })

  it('prunes notStartsWith only when both bounds start with the prefix and no value is null', () => {
    expect(mightMatch(notStartsWith('no_nulls', 'bbb'))).toBe(false)
    expect(mightMatch(notStartsWith('no_nulls', 'bb'))).toBe(false)
    expect(mightMatch(notStartsWith('no_nulls', 'bbbz'))).toBe(true)
    expect(mightMatch(notStartsWith('some_nulls', 'b'))).toBe(true)
    expect(mightMatch(notStartsWith('truncated', 'abc'))).toBe(true)
    expect(mightMatch(notStartsWith('truncated', 'ab'))).toBe(false)
    expect(mightMatch(notStartsWith('required', 'a'))).toBe(true)
  })
})
