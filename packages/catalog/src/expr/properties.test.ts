/**
 * Property tests tying the pruning evaluators to the row evaluator: whatever they skip must hold
 * no matching row, and a residual must decide each row as the whole filter does.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toBytes } from '../spec/conversions.js'
import type { DataFile, PartitionFieldSummary } from '../spec/data-file.js'
import type { PartitionField, PartitionSpec } from '../spec/partition-spec.js'
import { Schema } from '../spec/schema.js'
import { parseTransform } from '../spec/transform.js'
import { applyTransform, transformResultType } from '../spec/transforms.js'
import { type PrimitiveType, Types } from '../spec/types.js'
import { compareValues } from '../spec/values.js'
import { bindReference } from './bind.js'
import { evaluateRow, readPath } from './evaluator.js'
import {
  and,
  type BoundExpression,
  type BoundPredicate,
  type BoundReference,
  expressionToString,
  or,
} from './expressions.js'
import { codePointLength, isNaNValue, truncateCodePoints, valueKey } from './literals.js'
import { evaluatePartition, ManifestEvaluator } from './manifest-evaluator.js'
import { InclusiveMetricsEvaluator } from './metrics-evaluator.js'
import { inclusiveProjection, strictProjection } from './projection.js'
import { ResidualEvaluator } from './residual.js'
import { StrictMetricsEvaluator } from './strict-metrics-evaluator.js'

const schema = new Schema([
  { id: 1, name: 'i', required: false, type: Types.int },
  { id: 2, name: 'l', required: false, type: Types.long },
  { id: 3, name: 'd', required: false, type: Types.double },
  { id: 4, name: 's', required: false, type: Types.string },
  { id: 5, name: 'dt', required: false, type: Types.date },
  { id: 6, name: 'ts', required: false, type: Types.timestamp },
  { id: 7, name: 'dec', required: false, type: Types.decimal(9, 2) },
  {
    id: 8,
    name: 'loc',
    required: false,
    type: Types.struct([
      { id: 9, name: 'lat', required: true, type: Types.double },
      { id: 10, name: 'name', required: false, type: Types.string },
    ]),
  },
  { id: 11, name: 'bin', required: false, type: Types.binary },
])

const HOUR = 3_600_000_000n
const DAY = 24n * HOUR

// Small domains with the edges that matter (zero, day, month and year boundaries, NaN, -0,
// surrogate pairs), so that literals often meet row values.
const values: Record<string, fc.Arbitrary<unknown>> = {
  i: fc.integer({ min: -30, max: 30 }),
  l: fc.bigInt({ min: -30n, max: 30n }),
  d: fc.constantFrom(-1.5, -0, 0, 1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  s: fc.array(fc.constantFrom('a', 'b', 'é', '😀'), { maxLength: 4 }).map((cs) => cs.join('')),
  dt: fc.oneof(
    fc.integer({ min: -800, max: 800 }),
    fc.constantFrom(-366, -365, -32, -31, -1, 0, 1, 31, 59, 365),
  ),
  ts: fc
    .tuple(
      fc.constantFrom(0n, HOUR, -HOUR, DAY, -DAY, 31n * DAY, -31n * DAY, 59n * DAY, 365n * DAY, -365n * DAY),
      fc.oneof(fc.constantFrom(-1n, 0n, 1n), fc.bigInt({ min: -2n * HOUR, max: 2n * HOUR })),
    )
    .map(([base, offset]) => base + offset),
  dec: fc.bigInt({ min: -2000n, max: 2000n }),
  'loc.lat': fc.constantFrom(-1, 0, 1.5, Number.NaN),
  'loc.name': fc.constantFrom('', 'a', 'ab', 'b', 'é'),
  bin: fc.array(fc.constantFrom(0, 1, 255), { maxLength: 3 }).map((bs) => Uint8Array.from(bs)),
}
const columns = Object.keys(values)

const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null, freq: 5 })

const rowArb: fc.Arbitrary<Record<string, unknown>> = fc.record({
  i: nullable(values.i!),
  l: nullable(values.l!),
  d: nullable(values.d!),
  s: nullable(values.s!),
  dt: nullable(values.dt!),
  ts: nullable(values.ts!),
  dec: nullable(values.dec!),
  loc: nullable(fc.record({ lat: values['loc.lat']!, name: nullable(values['loc.name']!) })),
  bin: nullable(values.bin!),
})

const refs = new Map(columns.map((c) => [c, bindReference(schema, c)]))
const ref = (column: string): BoundReference => refs.get(column)!
const typeOf = (column: string): PrimitiveType => ref(column).type as PrimitiveType
const literalOf = (column: string): fc.Arbitrary<unknown> => values[column]!.filter((v) => !isNaNValue(v))

const leafArb: fc.Arbitrary<BoundExpression> = fc.constantFrom(...columns).chain((column) => {
  const term = ref(column)
  const kind = term.type.kind
  const arbs: fc.Arbitrary<BoundExpression>[] = [
    fc.constantFrom('isNull' as const, 'notNull' as const).map((op) => ({ kind: 'unary', op, term })),
    fc
      .tuple(
        fc.constantFrom('lt', 'ltEq', 'gt', 'gtEq', 'eq', 'notEq') as fc.Arbitrary<'lt'>,
        literalOf(column),
      )
      .map(([op, literal]) => ({ kind: 'literal', op, term, literal })),
    fc
      .tuple(
        fc.constantFrom('in' as const, 'notIn' as const),
        fc.uniqueArray(literalOf(column), { minLength: 2, maxLength: 4, selector: valueKey }),
      )
      .map(([op, literals]) => ({ kind: 'set', op, term, literals })),
  ]
  if (kind === 'double') {
    arbs.push(fc.constantFrom('isNaN' as const, 'notNaN' as const).map((op) => ({ kind: 'unary', op, term })))
  }
  if (kind === 'string') {
    arbs.push(
      fc
        .tuple(fc.constantFrom('startsWith' as const, 'notStartsWith' as const), literalOf(column))
        .map(([op, literal]) => ({ kind: 'literal', op, term, literal })),
    )
  }
  return fc.oneof(...arbs)
})

const exprArb: fc.Arbitrary<BoundExpression> = fc.letrec<{ expr: BoundExpression }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => and(a, b)),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => or(a, b)),
  ),
})).expr

const RUNS = 400

// ---------------------------------------------------------------------------------------------
// (a) metrics

/** Which statistics a writer kept, and whether it truncated string and binary bounds. */
interface MetricsOptions {
  keep: boolean[]
  truncate: boolean
  nanBounds: boolean
}

const metricsOptionsArb: fc.Arbitrary<MetricsOptions> = fc.record({
  keep: fc.array(fc.constantFrom(true, true, true, false), { minLength: 60, maxLength: 60 }),
  truncate: fc.boolean(),
  nanBounds: fc.boolean(),
})

/** The metrics a writer would record for `rows`, as the spec defines them. */
function dataFileOf(rows: readonly Record<string, unknown>[], options: MetricsOptions): DataFile {
  const file: DataFile = {
    content: 0,
    filePath: 'f.parquet',
    fileFormat: 'PARQUET',
    partition: [],
    specId: 0,
    recordCount: BigInt(rows.length),
    fileSizeInBytes: 1n,
    valueCounts: new Map(),
    nullValueCounts: new Map(),
    nanValueCounts: new Map(),
    lowerBounds: new Map(),
    upperBounds: new Map(),
  }
  columns.forEach((column, c) => {
    const { fieldId, path } = ref(column)
    const type = typeOf(column)
    const vs = rows.map((r) => readPath(r, path))
    const keep = (stat: number): boolean => options.keep[c * 5 + stat]!
    const present = vs.filter((v) => v !== null && !isNaNValue(v))
    const nans = vs.filter(isNaNValue).length
    if (keep(0)) file.valueCounts!.set(fieldId, BigInt(vs.length))
    if (keep(1)) file.nullValueCounts!.set(fieldId, BigInt(vs.filter((v) => v === null).length))
    if (keep(2) && (type.kind === 'double' || type.kind === 'float'))
      file.nanValueCounts!.set(fieldId, BigInt(nans))
    if (type.kind === 'double' && options.nanBounds && nans > 0) {
      // Some ORC writers report NaN bounds when the first value is NaN.
      file.lowerBounds!.set(fieldId, toBytes(type, Number.NaN))
      file.upperBounds!.set(fieldId, toBytes(type, Number.NaN))
      return
    }
    if (present.length === 0) return
    const sorted = [...present].sort((a, b) => compareValues(type, a, b))
    let lower: unknown = sorted[0]
    let upper: unknown = sorted.at(-1)
    if (options.truncate && (type.kind === 'string' || type.kind === 'binary')) {
      lower = truncateLower(lower)
      upper = truncateUpper(upper)
    }
    if (keep(3)) file.lowerBounds!.set(fieldId, toBytes(type, lower))
    if (keep(4) && upper !== undefined) file.upperBounds!.set(fieldId, toBytes(type, upper))
  })
  return file
}

const WIDTH = 2

function truncateLower(value: unknown): unknown {
  return typeof value === 'string' ? truncateCodePoints(value, WIDTH) : (value as Uint8Array).slice(0, WIDTH)
}

/** The spec's truncated upper bound: cut, then increment the last unit that can be; none if none can. */
function truncateUpper(value: unknown): unknown {
  if (typeof value === 'string') {
    if (codePointLength(value) <= WIDTH) return value
    const points = [...truncateCodePoints(value, WIDTH)].map((ch) => ch.codePointAt(0)!)
    for (let k = points.length - 1; k >= 0; k--) {
      let next = points[k]! + 1
      if (next >= 0xd800 && next <= 0xdfff) next = 0xe000
      if (next <= 0x10ffff) return String.fromCodePoint(...points.slice(0, k), next)
    }
    return undefined
  }
  const bytes = value as Uint8Array
  if (bytes.length <= WIDTH) return bytes
  for (let k = WIDTH - 1; k >= 0; k--) {
    if (bytes[k]! < 255) return Uint8Array.from([...bytes.slice(0, k), bytes[k]! + 1])
  }
  return undefined
}

describe('InclusiveMetricsEvaluator (property)', () => {
  it('never prunes a file that holds a matching row', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { minLength: 1, maxLength: 12 }),
        metricsOptionsArb,
        exprArb,
        (rows, opts, expr) => {
          const file = dataFileOf(rows, opts)
          if (rows.some((r) => evaluateRow(expr, r))) {
            expect(new InclusiveMetricsEvaluator(expr).eval(file), expressionToString(expr)).toBe(true)
          }
        },
      ),
      { numRuns: RUNS * 2 },
    )
  })
})

describe('StrictMetricsEvaluator (property)', () => {
  it('claims that every row matches only when every row does', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { minLength: 1, maxLength: 6 }),
        metricsOptionsArb,
        exprArb,
        (rows, opts, expr) => {
          if (new StrictMetricsEvaluator(expr).eval(dataFileOf(rows, opts))) {
            for (const row of rows) expect(evaluateRow(expr, row), expressionToString(expr)).toBe(true)
          }
        },
      ),
      { numRuns: RUNS * 2 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// (b) projection and manifests, (c) residuals

const candidates: [string, string][] = [
  ['i', 'identity'],
  ['i', 'bucket[4]'],
  ['i', 'truncate[5]'],
  ['l', 'truncate[5]'],
  ['l', 'bucket[3]'],
  ['l', 'void'],
  ['d', 'identity'],
  ['s', 'identity'],
  ['s', 'truncate[2]'],
  ['s', 'bucket[3]'],
  ['dt', 'year'],
  ['dt', 'month'],
  ['dt', 'day'],
  ['dt', 'bucket[5]'],
  ['ts', 'year'],
  ['ts', 'month'],
  ['ts', 'day'],
  ['ts', 'hour'],
  ['ts', 'identity'],
  ['dec', 'truncate[100]'],
  ['loc.name', 'identity'],
  ['loc.lat', 'identity'],
  ['bin', 'truncate[2]'],
  ['bin', 'identity'],
]

const specArb: fc.Arbitrary<PartitionSpec> = fc
  .shuffledSubarray(candidates, { minLength: 1, maxLength: 5 })
  .map((picked) => ({
    specId: 1,
    fields: picked.map(
      ([column, transform], i): PartitionField => ({
        sourceId: ref(column).fieldId,
        fieldId: 1000 + i,
        name: `${column}_${i}`,
        transform: parseTransform(transform),
      }),
    ),
  }))

function sourceOf(field: PartitionField): BoundReference {
  return ref(columns.find((c) => ref(c).fieldId === field.sourceId)!)
}

function partitionOf(spec: PartitionSpec, row: Record<string, unknown>): unknown[] {
  return spec.fields.map((f) => {
    const source = sourceOf(f)
    return applyTransform(f.transform, source.type as PrimitiveType, readPath(row, source.path))
  })
}

/** The `partitions` summaries a writer would record for files with these partition tuples. */
function summariesOf(spec: PartitionSpec, tuples: readonly unknown[][]): PartitionFieldSummary[] {
  return spec.fields.map((f, k) => {
    const type = transformResultType(f.transform, sourceOf(f).type as PrimitiveType)
    const vs = tuples.map((t) => t[k])
    const present = vs.filter((v) => v !== null && !isNaNValue(v)).sort((a, b) => compareValues(type, a, b))
    const summary: PartitionFieldSummary = {
      containsNull: vs.some((v) => v === null),
      containsNaN: vs.some(isNaNValue),
    }
    if (present.length > 0) {
      summary.lowerBound = toBytes(type, present[0])
      summary.upperBound = toBytes(type, present.at(-1))
    }
    return summary
  })
}

describe('projection (property)', () => {
  it('is inclusive: the partition of a matching row satisfies the projection', () => {
    fc.assert(
      fc.property(rowArb, specArb, exprArb, (row, spec, expr) => {
        if (!evaluateRow(expr, row)) return
        const projected = inclusiveProjection(expr, spec)
        expect(evaluatePartition(projected, partitionOf(spec, row)), expressionToString(projected)).toBe(true)
      }),
      { numRuns: RUNS * 2 },
    )
  })

  it('is strict: a row whose partition satisfies the strict projection matches', () => {
    fc.assert(
      fc.property(rowArb, specArb, exprArb, (row, spec, expr) => {
        const projected = strictProjection(expr, spec)
        if (evaluatePartition(projected, partitionOf(spec, row))) {
          expect(evaluateRow(expr, row), expressionToString(projected)).toBe(true)
        }
      }),
      { numRuns: RUNS * 2 },
    )
  })

  it('never prunes a manifest that lists a partition with a matching row', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 8 }), specArb, exprArb, (rows, spec, expr) => {
        if (!rows.some((r) => evaluateRow(expr, r))) return
        const partitions = summariesOf(
          spec,
          rows.map((r) => partitionOf(spec, r)),
        )
        const evaluator = new ManifestEvaluator(inclusiveProjection(expr, spec))
        expect(evaluator.eval({ partitions }), expressionToString(expr)).toBe(true)
      }),
      { numRuns: RUNS * 2 },
    )
  })
})

describe('ResidualEvaluator (property)', () => {
  it('decides every row of the partition as the whole filter does', () => {
    fc.assert(
      fc.property(rowArb, specArb, exprArb, (row, spec, expr) => {
        const residual = new ResidualEvaluator(spec, expr).residualFor(partitionOf(spec, row))
        expect(evaluateRow(residual, row), expressionToString(residual)).toBe(evaluateRow(expr, row))
      }),
      { numRuns: RUNS * 2 },
    )
  })
})

// Guards the generators themselves: a property that never meets a match proves nothing.
describe('generators', () => {
  it('produce filters that match some rows and not others', () => {
    let matched = 0
    let missed = 0
    fc.assert(
      fc.property(rowArb, exprArb, (row, expr) => {
        if (evaluateRow(expr, row)) matched++
        else missed++
      }),
      { numRuns: 500 },
    )
    expect(matched).toBeGreaterThan(50)
    expect(missed).toBeGreaterThan(50)
  })

  it('cover every predicate kind', () => {
    const ops = new Set<string>()
    const collect = (e: BoundExpression): void => {
      if (e.kind === 'and' || e.kind === 'or') {
        collect(e.left)
        collect(e.right)
      } else if (e.kind !== 'true' && e.kind !== 'false') ops.add((e as BoundPredicate).op)
    }
    for (const e of fc.sample(exprArb, 500)) collect(e)
    expect(ops.size).toBe(14)
  })
})
