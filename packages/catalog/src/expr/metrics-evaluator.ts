/**
 * File pruning with column metrics: the value, null and NaN counts and the lower and upper bounds
 * a manifest stores for each data (or delete) file.
 *
 * @module
 */
import { fromBytes } from '../spec/conversions.js'
import type { DataFile } from '../spec/data-file.js'
import type { PrimitiveType } from '../spec/types.js'
import { compareValues } from '../spec/values.js'
import type {
  BoundExpression,
  BoundLiteralPredicate,
  BoundPredicate,
  BoundReference,
  BoundSetPredicate,
} from './expressions.js'
import { codePointLength, isNaNValue, truncateCodePoints } from './literals.js'

/**
 * Above this many values, an `in` predicate is not checked against bounds: the check would cost
 * more than reading the file might (the limit Java and pyiceberg use).
 */
export const IN_PREDICATE_LIMIT = 200

/**
 * Tells whether a data file may contain rows matching a filter, from its metrics alone.
 *
 * `eval` returns `false` only when no row of the file can match, so a scan may skip the file;
 * `true` means "might match" (missing metrics never prune). Bounds may be truncated (strings and
 * binary are, by default, to 16 characters) and are only assumed to enclose the values; NaN is
 * never inside bounds and is tracked by the NaN counts.
 *
 * @example
 * ```ts
 * const evaluator = new InclusiveMetricsEvaluator(bind(schema, filter))
 * const files = entries.map((e) => e.dataFile).filter((f) => evaluator.eval(f))
 * ```
 */
export class InclusiveMetricsEvaluator {
  readonly #expr: BoundExpression

  /** @param expr a filter bound to the table schema the files' metrics are keyed by (field ids). */
  constructor(expr: BoundExpression) {
    this.#expr = expr
  }

  /** False when the file certainly holds no matching row; true when it might. */
  eval(file: DataFile): boolean {
    if (file.recordCount === 0n) return false
    // Files imported without a record count report -1: nothing is known about them.
    if (file.recordCount < 0n) return true
    return visit(this.#expr, new FileMetrics(file))
  }
}

function visit(expr: BoundExpression, metrics: FileMetrics): boolean {
  switch (expr.kind) {
    case 'true':
      return true
    case 'false':
      return false
    case 'and':
      return visit(expr.left, metrics) && visit(expr.right, metrics)
    case 'or':
      return visit(expr.left, metrics) || visit(expr.right, metrics)
    default:
      return predicateMightMatch(expr, metrics)
  }
}

function predicateMightMatch(pred: BoundPredicate, m: FileMetrics): boolean {
  const id = pred.term.fieldId
  switch (pred.op) {
    case 'isNull':
      return m.mayContainNull(id)
    case 'notNull':
      return !m.containsNullsOnly(id)
    case 'isNaN':
      return !m.containsNullsOnly(id) && !m.containsNoNaNs(id)
    case 'notNaN':
      return !m.containsNaNsOnly(id)
    case 'notEq':
    case 'notIn':
      // The bounds need not be values of the column, so they never prove that every value is X.
      return true
    case 'startsWith':
      return startsWithMightMatch(pred as BoundLiteralPredicate, m)
    case 'notStartsWith':
      return notStartsWithMightMatch(pred as BoundLiteralPredicate, m)
    case 'in':
      return inMightMatch(pred as BoundSetPredicate, m)
    default:
      return comparisonMightMatch(pred as BoundLiteralPredicate, m)
  }
}

function comparisonMightMatch(pred: BoundLiteralPredicate, m: FileMetrics): boolean {
  const id = pred.term.fieldId
  if (m.containsNullsOnly(id) || m.containsNaNsOnly(id)) return false
  const type = pred.term.type as PrimitiveType
  const cmp = (bound: unknown): number => compareValues(type, bound, pred.literal)
  // A NaN bound (written by some ORC writers) says nothing about the other values.
  const lower = m.lowerBound(pred.term)
  const upper = m.upperBound(pred.term)
  const hasLower = lower !== undefined && !isNaNValue(lower)
  const hasUpper = upper !== undefined && !isNaNValue(upper)
  switch (pred.op) {
    case 'lt':
      return !(hasLower && cmp(lower) >= 0)
    case 'ltEq':
      return !(hasLower && cmp(lower) > 0)
    case 'gt':
      return !(hasUpper && cmp(upper) <= 0)
    case 'gtEq':
      return !(hasUpper && cmp(upper) < 0)
    default:
      return !((hasLower && cmp(lower) > 0) || (hasUpper && cmp(upper) < 0))
  }
}

function inMightMatch(pred: BoundSetPredicate, m: FileMetrics): boolean {
  const id = pred.term.fieldId
  if (m.containsNullsOnly(id) || m.containsNaNsOnly(id)) return false
  if (pred.literals.length > IN_PREDICATE_LIMIT) return true
  const type = pred.term.type as PrimitiveType
  const lower = m.lowerBound(pred.term)
  const upper = m.upperBound(pred.term)
  return pred.literals.some(
    (literal) =>
      (lower === undefined || isNaNValue(lower) || compareValues(type, lower, literal) <= 0) &&
      (upper === undefined || isNaNValue(upper) || compareValues(type, upper, literal) >= 0),
  )
}

function startsWithMightMatch(pred: BoundLiteralPredicate, m: FileMetrics): boolean {
  if (m.containsNullsOnly(pred.term.fieldId)) return false
  return prefixInRange(
    pred.term.type as PrimitiveType,
    pred.literal as string,
    m.lowerBound(pred.term) as string | undefined,
    m.upperBound(pred.term) as string | undefined,
  )
}

/**
 * Whether a value starting with `prefix` can lie between the bounds: each bound is cut to the
 * prefix's length, because a truncated bound still orders the prefixes of all values.
 */
export function prefixInRange(
  type: PrimitiveType,
  prefix: string,
  lower: string | undefined,
  upper: string | undefined,
): boolean {
  const length = codePointLength(prefix)
  if (lower !== undefined && compareValues(type, truncateCodePoints(lower, length), prefix) > 0) return false
  if (upper !== undefined && compareValues(type, truncateCodePoints(upper, length), prefix) < 0) return false
  return true
}

function notStartsWithMightMatch(pred: BoundLiteralPredicate, m: FileMetrics): boolean {
  if (m.mayContainNull(pred.term.fieldId)) return true
  return !boundsSharePrefix(
    pred.literal as string,
    m.lowerBound(pred.term) as string | undefined,
    m.upperBound(pred.term) as string | undefined,
  )
}

/**
 * True when both bounds exist and start with `prefix`, so that every value between them does too
 * (a bound shorter than the prefix cannot start with it).
 */
export function boundsSharePrefix(
  prefix: string,
  lower: string | undefined,
  upper: string | undefined,
): boolean {
  return lower !== undefined && upper !== undefined && lower.startsWith(prefix) && upper.startsWith(prefix)
}

/** Metric lookups on one file, decoding each bound at most once. */
/**
 * A file's metrics by field id, with bounds decoded once: the view both the inclusive and the
 * strict metrics evaluators read.
 */
export class FileMetrics {
  readonly #file: DataFile
  readonly #lower = new Map<number, unknown>()
  readonly #upper = new Map<number, unknown>()

  constructor(file: DataFile) {
    this.#file = file
  }

  nullCount(id: number): bigint | undefined {
    return this.#file.nullValueCounts?.get(id)
  }

  nanCount(id: number): bigint | undefined {
    return this.#file.nanValueCounts?.get(id)
  }

  mayContainNull(id: number): boolean {
    const nulls = this.#file.nullValueCounts?.get(id)
    return nulls === undefined || nulls !== 0n
  }

  containsNullsOnly(id: number): boolean {
    const values = this.#file.valueCounts?.get(id)
    const nulls = this.#file.nullValueCounts?.get(id)
    return values !== undefined && nulls !== undefined && values - nulls === 0n
  }

  containsNoNaNs(id: number): boolean {
    return this.#file.nanValueCounts?.get(id) === 0n
  }

  containsNaNsOnly(id: number): boolean {
    const nans = this.#file.nanValueCounts?.get(id)
    const values = this.#file.valueCounts?.get(id)
    return nans !== undefined && values !== undefined && nans === values
  }

  lowerBound(ref: BoundReference): unknown {
    return this.#bound(ref, this.#file.lowerBounds, this.#lower)
  }

  upperBound(ref: BoundReference): unknown {
    return this.#bound(ref, this.#file.upperBounds, this.#upper)
  }

  #bound(
    ref: BoundReference,
    bounds: Map<number, Uint8Array> | undefined,
    cache: Map<number, unknown>,
  ): unknown {
    if (cache.has(ref.fieldId)) return cache.get(ref.fieldId)
    const bytes = bounds?.get(ref.fieldId)
    const value = bytes === undefined ? undefined : fromBytes(ref.type as PrimitiveType, bytes)
    cache.set(ref.fieldId, value)
    return value
  }
}
