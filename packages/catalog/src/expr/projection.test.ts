import { describe, expect, it } from 'vitest'
import type { PartitionField, PartitionSpec } from '../spec/partition-spec.js'
import { Schema } from '../spec/schema.js'
import { parseTransform } from '../spec/transform.js'
import { applyTransform } from '../spec/transforms.js'
import { Types } from '../spec/types.js'
import { coerceValue } from '../spec/values.js'
import { bind } from './bind.js'
import {
  and,
  type Expression,
  eq,
  expressionToString,
  gt,
  gtEq,
  isIn,
  isNull,
  lt,
  ltEq,
  notEq,
  notIn,
  notNull,
  notStartsWith,
  or,
  startsWith,
} from './expressions.js'
import { inclusiveProjection, strictProjection } from './projection.js'

const schema = new Schema([
  { id: 1, name: 'id', required: false, type: Types.long },
  { id: 2, name: 'data', required: false, type: Types.string },
  { id: 3, name: 'ts', required: false, type: Types.timestamptz },
  { id: 4, name: 'dt', required: false, type: Types.date },
  { id: 5, name: 'n', required: false, type: Types.int },
  { id: 6, name: 'price', required: false, type: Types.decimal(9, 2) },
])

function specOf(...fields: [string, number, string][]): PartitionSpec {
  return {
    specId: 1,
    fields: fields.map(
      ([name, sourceId, transform], i): PartitionField => ({
        sourceId,
        fieldId: 1000 + i,
        name,
        transform: parseTransform(transform),
      }),
    ),
  }
}

const inclusive = (spec: PartitionSpec, expr: Expression): string =>
  expressionToString(inclusiveProjection(bind(schema, expr), spec))
const strict = (spec: PartitionSpec, expr: Expression): string =>
  expressionToString(strictProjection(bind(schema, expr), spec))
const day = (text: string): number => coerceValue(Types.date, text, 'day') as number

describe('inclusiveProjection', () => {
  it('keeps every predicate through identity', () => {
    const spec = specOf(['id', 1, 'identity'])
    expect(inclusive(spec, and(gtEq('id', 5), notIn('id', [7, 8])))).toBe('(id >= 5 and id not in (7, 8))')
    expect(inclusive(spec, or(isNull('id'), notEq('id', 3)))).toBe('(id is null or id != 3)')
  })

  it('projects only eq and in through bucket', () => {
    const spec = specOf(['id_bucket', 1, 'bucket[16]'])
    const b = (v: bigint): unknown => applyTransform({ kind: 'bucket', numBuckets: 16 }, Types.long, v)
    expect(inclusive(spec, eq('id', 34))).toBe(`id_bucket = ${b(34n)}`)
    expect(inclusive(spec, isIn('id', [34, 35]))).toMatch(/^id_bucket (in \(\d+, \d+\)|= \d+)$/)
    expect(inclusive(spec, lt('id', 34))).toBe('true')
    expect(inclusive(spec, notEq('id', 34))).toBe('true')
    expect(inclusive(spec, notNull('id'))).toBe('id_bucket is not null')
  })

  it('turns strict comparisons into inclusive ones on truncated integers', () => {
    const spec = specOf(['n_trunc', 5, 'truncate[10]'])
    expect(inclusive(spec, lt('n', 100))).toBe('n_trunc <= 90')
    expect(inclusive(spec, ltEq('n', 100))).toBe('n_trunc <= 100')
    expect(inclusive(spec, gt('n', 100))).toBe('n_trunc >= 100')
    expect(inclusive(spec, gtEq('n', 100))).toBe('n_trunc >= 100')
    expect(inclusive(spec, eq('n', 99))).toBe('n_trunc = 90')
    expect(inclusive(spec, lt('n', -1))).toBe('n_trunc <= -10')
    expect(inclusive(spec, notEq('n', 99))).toBe('true')
  })

  it('steps decimals by one unscaled unit', () => {
    const spec = specOf(['price_trunc', 6, 'truncate[100]'])
    // 10.00 is 1000 unscaled; < 10.00 means <= 9.99, which truncates to 9.00.
    expect(inclusive(spec, lt('price', '10.00'))).toBe('price_trunc <= 900')
    expect(inclusive(spec, gt('price', '9.99'))).toBe('price_trunc >= 1000')
  })

  it('projects prefixes and comparisons through truncated strings', () => {
    const spec = specOf(['data_trunc', 2, 'truncate[2]'])
    expect(inclusive(spec, startsWith('data', 'abc'))).toBe("data_trunc starts with 'ab'")
    expect(inclusive(spec, startsWith('data', 'a'))).toBe("data_trunc starts with 'a'")
    expect(inclusive(spec, notStartsWith('data', 'ab'))).toBe("data_trunc not starts with 'ab'")
    expect(inclusive(spec, notStartsWith('data', 'abc'))).toBe('true')
    expect(inclusive(spec, lt('data', 'abc'))).toBe("data_trunc <= 'ab'")
    expect(inclusive(spec, gt('data', 'abc'))).toBe("data_trunc >= 'ab'")
    expect(inclusive(spec, eq('data', '😀😀😀'))).toBe("data_trunc = '😀😀'")
  })

  it('projects timestamp ranges onto days as in the spec', () => {
    const spec = specOf(['ts_day', 3, 'day'])
    const march1 = day('2024-03-01')
    expect(inclusive(spec, gt('ts', '2024-03-01T10:00:00Z'))).toBe(`ts_day >= ${march1}`)
    // The last microsecond of February is the only value before midnight.
    expect(inclusive(spec, lt('ts', '2024-03-01T00:00:00Z'))).toBe(`ts_day <= ${march1 - 1}`)
    expect(inclusive(spec, ltEq('ts', '2024-03-01T00:00:00Z'))).toBe(`ts_day <= ${march1}`)
    expect(inclusive(spec, eq('ts', '2024-03-01T10:00:00Z'))).toBe(`ts_day = ${march1}`)
  })

  it('widens projections before 1970 for files of writers with the old transform bug', () => {
    const spec = specOf(['ts_day', 3, 'day'])
    expect(inclusive(spec, eq('ts', '1969-12-31T10:00:00Z'))).toBe('ts_day in (-1, 0)')
    expect(inclusive(spec, ltEq('ts', '1969-12-30T10:00:00Z'))).toBe('ts_day <= -1')
    // day of a date never had the bug.
    expect(inclusive(specOf(['dt_day', 4, 'day']), eq('dt', '1969-12-31'))).toBe('dt_day = -1')
  })

  it('projects dates onto months and years', () => {
    expect(inclusive(specOf(['dt_month', 4, 'month']), gtEq('dt', '2024-03-15'))).toBe('dt_month >= 650')
    expect(inclusive(specOf(['dt_year', 4, 'year']), lt('dt', '2024-01-01'))).toBe('dt_year <= 53')
  })

  it('projects nothing through void and ignores unpartitioned columns', () => {
    expect(inclusive(specOf(['id_null', 1, 'void']), eq('id', 1))).toBe('true')
    expect(inclusive(specOf(['n', 5, 'identity']), and(eq('id', 1), eq('n', 2)))).toBe('n = 2')
    expect(inclusive(specOf(['n', 5, 'identity']), or(eq('id', 1), eq('n', 2)))).toBe('true')
  })

  it('requires every partition field of a column', () => {
    const spec = specOf(['ts_day', 3, 'day'], ['ts_hour', 3, 'hour'])
    const text = inclusive(spec, eq('ts', '1970-01-02T01:30:00Z'))
    expect(text).toBe('(ts_day = 1 and ts_hour = 25)')
  })
})

describe('strictProjection', () => {
  it('projects comparisons that whole partitions satisfy', () => {
    const spec = specOf(['n_trunc', 5, 'truncate[10]'])
    expect(strict(spec, lt('n', 100))).toBe('n_trunc < 100')
    expect(strict(spec, ltEq('n', 100))).toBe('n_trunc < 100')
    expect(strict(spec, gt('n', 100))).toBe('n_trunc > 100')
    expect(strict(spec, gtEq('n', 100))).toBe('n_trunc > 90')
    expect(strict(spec, notEq('n', 100))).toBe('n_trunc != 100')
    expect(strict(spec, eq('n', 100))).toBe('false')
  })

  it('projects only negations through bucket', () => {
    const spec = specOf(['id_bucket', 1, 'bucket[16]'])
    expect(strict(spec, eq('id', 34))).toBe('false')
    expect(strict(spec, notEq('id', 34))).toMatch(/^id_bucket != \d+$/)
  })

  it('projects prefixes no longer than the truncation width', () => {
    const spec = specOf(['data_trunc', 2, 'truncate[2]'])
    expect(strict(spec, startsWith('data', 'ab'))).toBe("data_trunc starts with 'ab'")
    expect(strict(spec, startsWith('data', 'abc'))).toBe('false')
    expect(strict(spec, notStartsWith('data', 'abc'))).toBe("data_trunc not starts with 'ab'")
  })

  it('projects timestamp ranges onto whole days', () => {
    const spec = specOf(['ts_day', 3, 'day'])
    const march1 = day('2024-03-01')
    expect(strict(spec, gtEq('ts', '2024-03-01T00:00:00Z'))).toBe(`ts_day > ${march1 - 1}`)
    expect(strict(spec, lt('ts', '2024-03-01T00:00:00Z'))).toBe(`ts_day < ${march1}`)
    expect(strict(spec, eq('ts', '2024-03-01T00:00:00Z'))).toBe('false')
  })

  it('is false for columns no partition field derives from', () => {
    expect(strict(specOf(['n', 5, 'identity']), or(eq('id', 1), eq('n', 2)))).toBe('n = 2')
    expect(strict(specOf(['n', 5, 'identity']), and(eq('id', 1), eq('n', 2)))).toBe('false')
  })
})
