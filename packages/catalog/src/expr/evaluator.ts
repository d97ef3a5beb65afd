/**
 * Evaluation of bound expressions on values: one row (or partition tuple) at a time, and
 * column-at-a-time on Arrow record batches, which is how a scan applies a file's residual filter.
 *
 * Semantics, shared by every evaluator so that pruning never disagrees with filtering, and the
 * row semantics of Iceberg's reference evaluators (Java's `Evaluator`, PyIceberg's
 * `expression_evaluator`), so that a delete by Lake removes the rows a delete by Java, Trino or
 * PyIceberg with the same expression would:
 * - a comparison (`eq`, `lt`, `ltEq`, `gt`, `gtEq`), `in` and `startsWith` are false when the
 *   value is null;
 * - their negations `notEq`, `notIn` and `notStartsWith` are true when the value is null: each is
 *   exactly `not` of its positive, unlike SQL, where `x <> 'a'` is unknown (so false) for a null
 *   `x`. Java and PyIceberg agree on this; they differ only on `lt` / `ltEq` for null, which Java's
 *   nulls-first comparator makes true and PyIceberg (and Lake) false;
 * - NaN equals nothing and is ordered against nothing, so `eq`, `lt`, `gtEq`, `in`, … are false for
 *   it and `notEq`, `notIn` are true; `isNaN` / `notNaN` select it (`notNaN` holds for null);
 * - other values are ordered by `compareValues`, the spec's ordering for the type.
 *
 * @module
 */
import { NotFoundError } from '@lake/errors'
import { type Data, DataType, makeVector, type RecordBatch, TimeUnit, type Vector } from 'apache-arrow'
import { floorDiv, uuidFromBytes } from '../spec/conversions.js'
import type { IcebergType, PrimitiveType } from '../spec/types.js'
import { compareValues } from '../spec/values.js'
import { type BoundExpression, type BoundPredicate, type BoundReference, isNegation } from './expressions.js'
import { isNaNValue, type LiteralIndex, literalIndex } from './literals.js'

/** A row as internal values by field name (nested structs as records), or a partition tuple. */
export type Row = Readonly<Record<string, unknown>> | readonly unknown[]

/**
 * Whether `row` matches `expr`. Rows hold internal values (see `types.ts`) by field name; a
 * partition tuple (`DataFile.partition`) works too with an expression projected on its spec.
 */
export function evaluateRow(expr: BoundExpression, row: Row): boolean {
  switch (expr.kind) {
    case 'true':
      return true
    case 'false':
      return false
    case 'and':
      return evaluateRow(expr.left, row) && evaluateRow(expr.right, row)
    case 'or':
      return evaluateRow(expr.left, row) || evaluateRow(expr.right, row)
    default:
      return predicateHolds(expr, readPath(row, expr.term.path))
  }
}

/** The value at `path` in a row, or null when it or a parent struct is missing. */
export function readPath(row: Row, path: readonly (string | number)[]): unknown {
  let value: unknown = row
  for (const key of path) {
    if (value === null || value === undefined) return null
    value = (value as Record<string | number, unknown>)[key]
  }
  return value ?? null
}

const indexes = new WeakMap<BoundPredicate, LiteralIndex>()

/** Whether one leaf predicate holds for one internal value (null for a missing value). */
export function predicateHolds(pred: BoundPredicate, value: unknown): boolean {
  if (pred.kind === 'unary') {
    switch (pred.op) {
      case 'isNull':
        return value === null || value === undefined
      case 'notNull':
        return value !== null && value !== undefined
      case 'isNaN':
        return isNaNValue(value)
      case 'notNaN':
        return !isNaNValue(value)
    }
  }
  if (value === null || value === undefined) return isNegation(pred.op)
  if (isNaNValue(value)) return pred.op === 'notEq' || pred.op === 'notIn'
  const type = pred.term.type as PrimitiveType
  if (pred.kind === 'set') {
    let index = indexes.get(pred)
    if (index === undefined) {
      index = literalIndex(type, pred.literals)
      indexes.set(pred, index)
    }
    return index(value) === (pred.op === 'in')
  }
  switch (pred.op) {
    case 'startsWith':
      return (value as string).startsWith(pred.literal as string)
    case 'notStartsWith':
      return !(value as string).startsWith(pred.literal as string)
    default:
      return compareHolds(pred.op, compareValues(type, value, pred.literal))
  }
}

function compareHolds(op: 'lt' | 'ltEq' | 'gt' | 'gtEq' | 'eq' | 'notEq', cmp: number): boolean {
  switch (op) {
    case 'lt':
      return cmp < 0
    case 'ltEq':
      return cmp <= 0
    case 'gt':
      return cmp > 0
    case 'gtEq':
      return cmp >= 0
    case 'eq':
      return cmp === 0
    case 'notEq':
      return cmp !== 0
  }
}

// ---------------------------------------------------------------------------------------------
// Arrow record batches

/** The Arrow field metadata key holding the Iceberg field id (as written by pyiceberg and Lake). */
const FIELD_ID_KEY = 'PARQUET:field_id'

/**
 * Evaluates `expr` on every row of `batch` and returns a mask with 1 for the rows that match, so
 * that the scan can filter a batch without building row objects.
 *
 * Columns are matched by the Iceberg field id in their Arrow metadata (`PARQUET:field_id`), and by
 * name when the batch carries no ids. Arrow values are read as internal values whatever the
 * physical type chosen by the reader (e.g. timestamps in any unit, dictionary-encoded strings).
 *
 * @throws NotFoundError when a column the expression reads is not in the batch.
 */
export function evaluateBatch(expr: BoundExpression, batch: RecordBatch): Uint8Array {
  switch (expr.kind) {
    case 'true':
      return new Uint8Array(batch.numRows).fill(1)
    case 'false':
      return new Uint8Array(batch.numRows)
    case 'and': {
      const left = evaluateBatch(expr.left, batch)
      const right = evaluateBatch(expr.right, batch)
      for (let i = 0; i < left.length; i++) left[i]! &= right[i]!
      return left
    }
    case 'or': {
      const left = evaluateBatch(expr.left, batch)
      const right = evaluateBatch(expr.right, batch)
      for (let i = 0; i < left.length; i++) left[i]! |= right[i]!
      return left
    }
    default:
      return evaluatePredicateOnBatch(expr, batch)
  }
}

function evaluatePredicateOnBatch(pred: BoundPredicate, batch: RecordBatch): Uint8Array {
  const mask = new Uint8Array(batch.numRows)
  const { vector, parents } = findColumn(batch, pred.term)
  const parentValid = parents.length === 0 ? undefined : validity(parents, batch.numRows)
  forEachValue(vector, pred.term.type, (i, value) => {
    mask[i] = predicateHolds(pred, parentValid === undefined || parentValid[i] ? value : null) ? 1 : 0
  })
  return mask
}

function validity(vectors: readonly Vector[], length: number): Uint8Array {
  const valid = new Uint8Array(length).fill(1)
  for (const vector of vectors) {
    for (let i = 0; i < length; i++) if (valid[i] && !vector.isValid(i)) valid[i] = 0
  }
  return valid
}

interface Column {
  vector: Vector
  /** The struct vectors above the column, whose nulls make the column null. */
  parents: Vector[]
}

function findColumn(batch: RecordBatch, ref: BoundReference): Column {
  const byId = findById(batch.schema.fields, (i) => batch.getChildAt(i)!, ref.fieldId, [])
  if (byId !== undefined) return byId
  const byName = findByPath(batch, ref.path)
  if (byName !== undefined) return byName
  throw new NotFoundError(`Column '${ref.name}' (field id ${ref.fieldId}) is not in the record batch`, {
    context: { field: ref.name },
  })
}

interface ArrowField {
  readonly name: string
  readonly type: DataType
  readonly metadata: Map<string, string>
}

function findById(
  fields: readonly ArrowField[],
  child: (i: number) => Vector,
  fieldId: number,
  parents: Vector[],
): Column | undefined {
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!
    if (field.metadata.get(FIELD_ID_KEY) === String(fieldId)) return { vector: child(i), parents }
  }
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!
    if (DataType.isStruct(field.type)) {
      const vector = child(i)
      const found = findById(field.type.children, (j) => vector.getChildAt(j)!, fieldId, [...parents, vector])
      if (found !== undefined) return found
    }
  }
  return undefined
}

function findByPath(batch: RecordBatch, path: readonly (string | number)[]): Column | undefined {
  let fields: readonly ArrowField[] = batch.schema.fields
  let child = (i: number): Vector => batch.getChildAt(i)!
  const parents: Vector[] = []
  for (let depth = 0; depth < path.length; depth++) {
    const index = fields.findIndex((f) => f.name === path[depth])
    if (index < 0) return undefined
    const vector = child(index)
    if (depth === path.length - 1) return { vector, parents }
    const type = fields[index]!.type
    if (!DataType.isStruct(type)) return undefined
    parents.push(vector)
    fields = type.children
    child = (i) => vector.getChildAt(i)!
  }
  return undefined
}

/**
 * Calls `visit` with each row index and the value there as an internal value of `type` (null for
 * nulls), chunk by chunk.
 */
function forEachValue(
  vector: Vector,
  type: IcebergType,
  visit: (index: number, value: unknown) => void,
): void {
  let base = 0
  for (const data of vector.data) {
    const read = dataReader(data, type)
    for (let j = 0; j < data.length; j++) visit(base + j, data.getValid(j) ? read(j) : null)
    base += data.length
  }
}

/** Reads the value at an index of one Arrow `Data` chunk as an internal value. */
export type Reader = (index: number) => unknown

const MICROS_PER_UNIT: Record<TimeUnit, bigint> = {
  [TimeUnit.SECOND]: 1_000_000n,
  [TimeUnit.MILLISECOND]: 1_000n,
  [TimeUnit.MICROSECOND]: 1n,
  [TimeUnit.NANOSECOND]: 0n,
}

/**
 * A reader of one Arrow `Data` chunk of a primitive column as internal values (see `types.ts`),
 * whatever physical type the writer chose: timestamps in any unit, dictionaries, decimals of
 * any width. Nulls are the caller's to check (`data.getValid`). Shared with the scan, which
 * turns batches back into rows when it rewrites a file.
 */
export function dataReader(data: Data, type: IcebergType): Reader {
  const arrow = data.type as DataType
  if (DataType.isDictionary(arrow)) {
    const indices = data.values as ArrayLike<number | bigint>
    const dictionary = data.dictionary!
    const values: unknown[] = []
    forEachValue(dictionary, type, (i, value) => {
      values[i] = value
    })
    return (j) => values[Number(indices[j])]
  }
  const generic = makeVector(data)
  const get = (j: number): unknown => generic.get(j)
  switch (type.kind) {
    case 'int':
    case 'float':
    case 'double':
      return (j) => {
        const value = get(j)
        return typeof value === 'bigint' ? Number(value) : value
      }
    case 'long':
      return (j) => toBigInt(get(j))
    case 'date':
      if (DataType.isDate(arrow)) {
        const values = data.values as Int32Array | BigInt64Array
        if (values instanceof BigInt64Array) return (j) => Number(floorDiv(values[j]!, 86_400_000n))
        return (j) => values[j]
      }
      return (j) => Number(get(j))
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      if (DataType.isTimestamp(arrow) || DataType.isTime(arrow)) {
        const values = data.values as Int32Array | BigInt64Array
        const scale = MICROS_PER_UNIT[arrow.unit]
        return (j) => {
          const raw = BigInt(values[j]!)
          return scale === 0n ? floorDiv(raw, 1000n) : raw * scale
        }
      }
      return (j) => toBigInt(get(j))
    case 'decimal':
      if (DataType.isDecimal(arrow)) {
        const words = data.values as Uint32Array
        const stride = arrow.bitWidth / 32
        return (j) => decimalFromWords(words, j * stride, stride)
      }
      return (j) => toBigInt(get(j))
    case 'uuid':
      return (j) => {
        const value = get(j)
        return value instanceof Uint8Array ? uuidFromBytes(value) : String(value).toLowerCase()
      }
    default:
      return get
  }
}

function toBigInt(value: unknown): bigint {
  return typeof value === 'bigint' ? value : BigInt(value as number)
}

/** A little-endian two's complement integer of `count` 32-bit words. */
function decimalFromWords(words: Uint32Array, start: number, count: number): bigint {
  let value = 0n
  for (let k = count - 1; k >= 0; k--) value = (value << 32n) | BigInt(words[start + k]!)
  return BigInt.asIntN(count * 32, value)
}
