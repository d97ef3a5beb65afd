import { NotFoundError } from '@lake/errors'
import {
  Schema as ArrowSchema,
  Binary,
  Bool,
  type Data,
  type DataType,
  DateDay,
  Decimal,
  Dictionary,
  Field,
  FixedSizeBinary,
  Float32,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Struct,
  TimeMicrosecond,
  TimestampMicrosecond,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { uuidToBytes } from '../spec/conversions.js'
import { Schema } from '../spec/schema.js'
import { type IcebergType, type NestedField, Types } from '../spec/types.js'
import { bindReference } from './bind.js'
import { evaluateBatch, evaluateRow } from './evaluator.js'
import { and, type BoundExpression, type BoundPredicate, type BoundReference, or } from './expressions.js'

const schema = new Schema([
  { id: 1, name: 'i', required: false, type: Types.int },
  { id: 2, name: 'l', required: false, type: Types.long },
  { id: 3, name: 'd', required: false, type: Types.double },
  { id: 4, name: 's', required: false, type: Types.string },
  { id: 5, name: 'dt', required: false, type: Types.date },
  { id: 6, name: 'ts', required: false, type: Types.timestamptz },
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
  { id: 11, name: 'u', required: false, type: Types.uuid },
  { id: 12, name: 'b', required: false, type: Types.boolean },
])

const ref = (name: string): BoundReference => bindReference(schema, name)
const lit = (op: BoundPredicate['op'], name: string, literal: unknown): BoundPredicate =>
  ({ kind: 'literal', op, term: ref(name), literal }) as BoundPredicate
const set = (op: 'in' | 'notIn', name: string, literals: unknown[]): BoundPredicate => ({
  kind: 'set',
  op,
  term: ref(name),
  literals,
})
const unary = (op: 'isNull' | 'notNull' | 'isNaN' | 'notNaN', name: string): BoundPredicate => ({
  kind: 'unary',
  op,
  term: ref(name),
})

describe('evaluateRow', () => {
  it('compares with the column type ordering', () => {
    const row = { l: 5n, s: 'abc', dec: 1050n, dt: 19_000 }
    expect(evaluateRow(lit('lt', 'l', 6n), row)).toBe(true)
    expect(evaluateRow(lit('gtEq', 'l', 6n), row)).toBe(false)
    expect(evaluateRow(lit('eq', 'dec', 1050n), row)).toBe(true)
    expect(evaluateRow(lit('startsWith', 's', 'ab'), row)).toBe(true)
    expect(evaluateRow(lit('notStartsWith', 's', 'ab'), row)).toBe(false)
    expect(evaluateRow(set('in', 'dt', [1, 19_000]), row)).toBe(true)
    expect(evaluateRow(set('notIn', 'dt', [1, 19_000]), row)).toBe(false)
  })

  it('matches no comparison on null, and every negation, as Iceberg Java and PyIceberg do', () => {
    const row = { l: null }
    for (const op of ['lt', 'ltEq', 'gt', 'gtEq', 'eq'] as const) {
      expect(evaluateRow(lit(op, 'l', 1n), row)).toBe(false)
    }
    expect(evaluateRow(set('in', 'l', [1n, 2n]), row)).toBe(false)
    expect(evaluateRow(lit('startsWith', 's', 'a'), {})).toBe(false)
    // A negation is exactly not(positive): true for null, where SQL's `<>` would be unknown.
    expect(evaluateRow(lit('notEq', 'l', 1n), row)).toBe(true)
    expect(evaluateRow(set('notIn', 'l', [1n, 2n]), row)).toBe(true)
    expect(evaluateRow(lit('notStartsWith', 's', 'a'), {})).toBe(true)
    expect(evaluateRow(lit('notEq', 'loc.lat', 1), { loc: null })).toBe(true)
    expect(evaluateRow(unary('isNull', 'l'), row)).toBe(true)
    expect(evaluateRow(unary('notNull', 'l'), row)).toBe(false)
    expect(evaluateRow(unary('notNaN', 'd'), row)).toBe(true)
  })

  it('treats NaN as equal to nothing and ordered against nothing', () => {
    const row = { d: Number.NaN }
    for (const op of ['lt', 'ltEq', 'gt', 'gtEq', 'eq'] as const) {
      expect(evaluateRow(lit(op, 'd', 1), row)).toBe(false)
    }
    expect(evaluateRow(lit('notEq', 'd', 1), row)).toBe(true)
    expect(evaluateRow(set('in', 'd', [1, 2]), row)).toBe(false)
    expect(evaluateRow(set('notIn', 'd', [1, 2]), row)).toBe(true)
    expect(evaluateRow(unary('isNaN', 'd'), row)).toBe(true)
    expect(evaluateRow(unary('notNaN', 'd'), row)).toBe(false)
  })

  it('reads nested fields as null when the parent struct is null', () => {
    expect(evaluateRow(lit('gt', 'loc.lat', 1), { loc: { lat: 2 } })).toBe(true)
    expect(evaluateRow(unary('isNull', 'loc.lat'), { loc: null })).toBe(true)
    expect(evaluateRow(lit('gt', 'loc.lat', 1), { loc: null })).toBe(false)
  })

  it('evaluates a partition tuple by position', () => {
    const term: BoundReference = {
      fieldId: 1000,
      name: 'ts_day',
      type: Types.date,
      path: [0],
      producesNull: true,
    }
    const pred: BoundExpression = { kind: 'literal', op: 'gtEq', term, literal: 10 }
    expect(evaluateRow(pred, [10])).toBe(true)
    expect(evaluateRow(pred, [9])).toBe(false)
    expect(evaluateRow(pred, [null])).toBe(false)
  })
})

describe('evaluateBatch', () => {
  const rows = [
    {
      i: 1,
      l: 10n,
      d: 1.5,
      s: 'apple',
      dt: 1,
      ts: 1_000_000n,
      dec: 199n,
      loc: { lat: 1, name: 'x' },
      b: true,
    },
    { i: 2, l: null, d: Number.NaN, s: 'banana', dt: -1, ts: -1n, dec: -5n, loc: null, b: false },
    {
      i: null,
      l: 30n,
      d: null,
      s: null,
      dt: null,
      ts: null,
      dec: null,
      loc: { lat: 3, name: null },
      b: null,
    },
    {
      i: 4,
      l: -40n,
      d: -0,
      s: 'apricot',
      dt: 4,
      ts: 4n,
      dec: 400n,
      loc: { lat: 4, name: 'y' },
      u: '123e4567-e89b-12d3-a456-426614174000',
    },
  ]
  const batch = batchOf(schema, rows)

  it('returns a mask of the rows that match', () => {
    const expr = or(and(lit('startsWith', 's', 'ap'), lit('gt', 'l', 0n)), unary('isNaN', 'd'))
    expect([...evaluateBatch(expr, batch)]).toEqual([1, 1, 0, 0])
    expect([...evaluateBatch(lit('lt', 'dec', 0n), batch)]).toEqual([0, 1, 0, 0])
    expect([...evaluateBatch(lit('gtEq', 'ts', 4n), batch)]).toEqual([1, 0, 0, 1])
    expect([...evaluateBatch(lit('eq', 'u', '123e4567-e89b-12d3-a456-426614174000'), batch)]).toEqual([
      0, 0, 0, 1,
    ])
    expect([...evaluateBatch(lit('eq', 'b', false), batch)]).toEqual([0, 1, 0, 0])
  })

  it('matches nulls with the negations only, as rows do', () => {
    expect([...evaluateBatch(lit('notStartsWith', 's', 'ap'), batch)]).toEqual([0, 1, 1, 0])
    expect([...evaluateBatch(lit('startsWith', 's', 'ap'), batch)]).toEqual([1, 0, 0, 1])
    expect([...evaluateBatch(lit('notEq', 'loc.lat', 3), batch)]).toEqual([1, 1, 0, 1])
    expect([...evaluateBatch(set('notIn', 'loc.lat', [3, 4]), batch)]).toEqual([1, 1, 0, 0])
    expect([...evaluateBatch(lit('lt', 'loc.lat', 3), batch)]).toEqual([1, 0, 0, 0])
    for (const [i, row] of rows.entries()) {
      expect(evaluateRow(lit('notEq', 'loc.lat', 3), row)).toBe(i !== 2)
    }
  })

  it('reads nested fields as null where the parent struct is null', () => {
    expect([...evaluateBatch(unary('isNull', 'loc.lat'), batch)]).toEqual([0, 1, 0, 0])
    expect([...evaluateBatch(unary('isNull', 'loc.name'), batch)]).toEqual([0, 1, 1, 0])
    expect([...evaluateBatch(lit('gt', 'loc.lat', 2), batch)]).toEqual([0, 0, 1, 1])
  })

  it('matches columns by field id, whatever their name', () => {
    const renamed = new Schema(schema.fields.map((f) => ({ ...f, name: `${f.name}_old` })))
    const old = batchOf(
      renamed,
      rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [`${k}_old`, v]))),
    )
    expect([...evaluateBatch(lit('gt', 'l', 0n), old)]).toEqual([1, 0, 1, 0])
  })

  it('falls back to names when the batch carries no field ids', () => {
    const plain = batchOf(schema, rows, false)
    expect([...evaluateBatch(lit('gt', 'loc.lat', 2), plain)]).toEqual([0, 0, 1, 1])
  })

  it('refuses a batch without the column', () => {
    const small = batchOf(new Schema([schema.fields[0]!]), [{ i: 1 }])
    expect(() => evaluateBatch(lit('gt', 'l', 0n), small)).toThrow(NotFoundError)
  })

  it('reads timestamps of any unit and dictionary-encoded strings as internal values', () => {
    const ms = makeData({
      type: new TimestampMillisecond(),
      length: 2,
      nullCount: 0,
      data: BigInt64Array.of(1n, -1n),
    })
    const dictionary = vectorFromArray(['a', 'b'], new Utf8())
    const dictType = new Dictionary(new Utf8(), new Int32())
    const strings = makeData({
      type: dictType,
      length: 2,
      nullCount: 0,
      data: Int32Array.of(1, 0),
      dictionary,
    })
    const fields = [
      new Field('ts', new TimestampMillisecond(), true, new Map([['PARQUET:field_id', '6']])),
      new Field('s', dictType, true, new Map([['PARQUET:field_id', '4']])),
    ]
    const data = makeData({
      type: new Struct(fields),
      length: 2,
      nullCount: 0,
      children: [ms, strings as Data],
    })
    const b = new RecordBatch(new ArrowSchema(fields), data)
    expect([...evaluateBatch(lit('eq', 'ts', 1000n), b)]).toEqual([1, 0])
    expect([...evaluateBatch(lit('eq', 'ts', -1000n), b)]).toEqual([0, 1])
    expect([...evaluateBatch(lit('eq', 's', 'b'), b)]).toEqual([1, 0])
  })

  it('agrees with the row evaluator on every row', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 20 }), exprArb, (rs, expr) => {
        const mask = evaluateBatch(expr, batchOf(schema, rs))
        expect([...mask]).toEqual(rs.map((r) => (evaluateRow(expr, r) ? 1 : 0)))
      }),
      { numRuns: 300 },
    )
  })
})

// Small domains, so that literals often meet row values.
const valueArbs: Record<string, fc.Arbitrary<unknown>> = {
  i: fc.integer({ min: -3, max: 3 }),
  l: fc.bigInt({ min: -3n, max: 3n }),
  d: fc.constantFrom(-1.5, -0, 0, 1, 2.5, Number.NaN, Number.POSITIVE_INFINITY),
  s: fc.constantFrom('', 'a', 'ab', 'abc', 'b', 'ba', 'é', '😀', 'a😀'),
  dt: fc.integer({ min: -3, max: 3 }),
  ts: fc.bigInt({ min: -3n, max: 3n }),
  dec: fc.bigInt({ min: -300n, max: 300n }),
  'loc.lat': fc.constantFrom(-1, 0, 1.5, Number.NaN),
  'loc.name': fc.constantFrom('a', 'ab', 'b'),
  u: fc.constantFrom('00000000-0000-0000-0000-000000000001', 'ffffffff-0000-0000-0000-000000000000'),
  b: fc.boolean(),
}

const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null, freq: 4 })

const rowArb = fc.record({
  i: nullable(valueArbs.i!),
  l: nullable(valueArbs.l!),
  d: nullable(valueArbs.d!),
  s: nullable(valueArbs.s!),
  dt: nullable(valueArbs.dt!),
  ts: nullable(valueArbs.ts!),
  dec: nullable(valueArbs.dec!),
  loc: nullable(fc.record({ lat: valueArbs['loc.lat']!, name: nullable(valueArbs['loc.name']!) })),
  u: nullable(valueArbs.u!),
  b: nullable(valueArbs.b!),
})

const literalOf = (column: string): fc.Arbitrary<unknown> =>
  valueArbs[column]!.filter((v) => !(typeof v === 'number' && Number.isNaN(v)))

const leafArb: fc.Arbitrary<BoundExpression> = fc.constantFrom(...Object.keys(valueArbs)).chain((column) => {
  const type = ref(column).type
  const floating = type.kind === 'double'
  const ops: fc.Arbitrary<BoundExpression>[] = [
    fc.constantFrom('isNull', 'notNull').map((op) => unary(op, column)),
    fc
      .tuple(
        fc.constantFrom('lt', 'ltEq', 'gt', 'gtEq', 'eq', 'notEq') as fc.Arbitrary<BoundPredicate['op']>,
        literalOf(column),
      )
      .map(([op, v]) => lit(op, column, v)),
    fc
      .tuple(
        fc.constantFrom('in', 'notIn') as fc.Arbitrary<'in' | 'notIn'>,
        fc.uniqueArray(literalOf(column), { minLength: 2, maxLength: 4, selector: String }),
      )
      .map(([op, vs]) => set(op, column, vs)),
  ]
  if (floating) ops.push(fc.constantFrom('isNaN', 'notNaN').map((op) => unary(op, column)))
  if (type.kind === 'string') {
    ops.push(
      fc
        .tuple(
          fc.constantFrom('startsWith', 'notStartsWith') as fc.Arbitrary<BoundPredicate['op']>,
          literalOf(column),
        )
        .map(([op, v]) => lit(op, column, v)),
    )
  }
  return fc.oneof(...ops)
})

const exprArb: fc.Arbitrary<BoundExpression> = fc.letrec<{ expr: BoundExpression }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => and(a, b)),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => or(a, b)),
  ),
})).expr

// ---------------------------------------------------------------------------------------------
// Arrow batches from rows of internal values, with the types Lake's readers produce.

/** A record batch holding `rows` with the Arrow types Lake's readers produce, ids in metadata. */
function batchOf(schema: Schema, rows: readonly Record<string, unknown>[], withIds = true): RecordBatch {
  const fields = schema.fields.map((f) => arrowField(f, withIds))
  const children = schema.fields.map((f) =>
    columnData(
      f.type,
      rows.map((r) => r[f.name] ?? null),
      withIds,
    ),
  )
  const type = new Struct(fields)
  return new RecordBatch(
    new ArrowSchema(fields),
    makeData({ type, length: rows.length, nullCount: 0, children }),
  )
}

function arrowField(field: NestedField, withIds: boolean): Field {
  const metadata = withIds ? new Map([['PARQUET:field_id', String(field.id)]]) : new Map<string, string>()
  return new Field(field.name, arrowType(field.type, withIds), !field.required, metadata)
}

function arrowType(type: IcebergType, withIds: boolean): DataType {
  switch (type.kind) {
    case 'boolean':
      return new Bool()
    case 'int':
      return new Int32()
    case 'long':
      return new Int64()
    case 'float':
      return new Float32()
    case 'double':
      return new Float64()
    case 'date':
      return new DateDay()
    case 'time':
      return new TimeMicrosecond()
    case 'timestamp':
      return new TimestampMicrosecond()
    case 'timestamptz':
      return new TimestampMicrosecond('UTC')
    case 'decimal':
      return new Decimal(type.scale, type.precision, 128)
    case 'string':
      return new Utf8()
    case 'uuid':
      return new FixedSizeBinary(16)
    case 'fixed':
      return new FixedSizeBinary(type.length)
    case 'binary':
      return new Binary()
    case 'struct':
      return new Struct(type.fields.map((f) => arrowField(f, withIds)))
    default:
      throw new Error(`no test support for ${type.kind}`)
  }
}

function nullBitmap(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const bitmap = new Uint8Array(Math.ceil(values.length / 8))
  let nullCount = 0
  values.forEach((v, i) => {
    if (v === null || v === undefined) nullCount++
    else bitmap[i >> 3]! |= 1 << (i & 7)
  })
  return { nullBitmap: bitmap, nullCount }
}

function columnData(type: IcebergType, values: readonly unknown[], withIds: boolean): Data {
  const arrow = arrowType(type, withIds)
  const length = values.length
  const { nullBitmap: bitmap, nullCount } = nullBitmap(values)
  const fixed = <T>(make: (n: number) => T, set: (out: T, i: number, v: unknown) => void): Data => {
    const out = make(length)
    values.forEach((v, i) => {
      if (v !== null && v !== undefined) set(out, i, v)
    })
    return makeData({ type: arrow as never, length, nullCount, nullBitmap: bitmap, data: out as never })
  }
  switch (type.kind) {
    case 'int':
    case 'date':
      return fixed(
        (n) => new Int32Array(n),
        (o, i, v) => {
          o[i] = v as number
        },
      )
    case 'float':
      return fixed(
        (n) => new Float32Array(n),
        (o, i, v) => {
          o[i] = v as number
        },
      )
    case 'double':
      return fixed(
        (n) => new Float64Array(n),
        (o, i, v) => {
          o[i] = v as number
        },
      )
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return fixed(
        (n) => new BigInt64Array(n),
        (o, i, v) => {
          o[i] = v as bigint
        },
      )
    case 'decimal':
      return fixed(
        (n) => new Uint32Array(n * 4),
        (o, i, v) => {
          let rest = BigInt.asUintN(128, v as bigint)
          for (let k = 0; k < 4; k++) {
            o[i * 4 + k] = Number(rest & 0xffffffffn)
            rest >>= 32n
          }
        },
      )
    case 'struct': {
      const children = type.fields.map((f) =>
        columnData(
          f.type,
          values.map((v) => (v === null ? null : ((v as Record<string, unknown>)[f.name] ?? null))),
          withIds,
        ),
      )
      return makeData({ type: arrow as Struct, length, nullCount, nullBitmap: bitmap, children })
    }
    case 'uuid':
      return vectorFromArray(
        values.map((v) => (v === null ? null : uuidToBytes(v as string))),
        arrow as FixedSizeBinary,
      ).data[0]!
    default:
      return vectorFromArray(values as never[], arrow as never).data[0]!
  }
}
