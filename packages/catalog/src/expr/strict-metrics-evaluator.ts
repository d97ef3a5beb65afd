import type { DataFile } from '../spec/data-file.js'
import type { PrimitiveType } from '../spec/types.js'
import { compareValues } from '../spec/values.js'
import {
  type BoundExpression,
  type BoundLiteralPredicate,
  type BoundPredicate,
  type BoundReference,
  type BoundSetPredicate,
  isNegation,
} from './expressions.js'
import { isNaNValue, literalIndex } from './literals.js'
import { boundsSharePrefix, FileMetrics, prefixInRange } from './metrics-evaluator.js'

/**
 * Tells whether every row of a data file matches a filter, from its metrics alone.
 *
 * `eval` returns `true` only when the metrics prove it (so `delete(filter)` may drop the file
 * whole); `false` means "some rows might not match". A comparison, `in` or `startsWith` needs
 * the column's null count (and NaN count for floats) to be zero, since null and NaN rows match
 * none of them; null rows match the negations (`notEq`, `notIn`, `notStartsWith`, see
 * `evaluator.ts`), so a column of nulls only matches those whole, and other nulls do not stand in
 * their way. Missing metrics never prove anything.
 *
 * @example
 * ```ts
 * const allMatch = new StrictMetricsEvaluator(bind(schema, filter))
 * const dropWhole = files.filter((f) => allMatch.eval(f))
 * ```
 */
export class StrictMetricsEvaluator {
  readonly #expr: BoundExpression

  /** @param expr a filter bound to the table schema the files' metrics are keyed by (field ids). */
  constructor(expr: BoundExpression) {
    this.#expr = expr
  }

  /** True when every row of the file certainly matches; false when some might not. */
  eval(file: DataFile): boolean {
    if (file.recordCount === 0n) return true
    // A negative count (imported files) says nothing, and dropping a file wrongly loses data.
    if (file.recordCount < 0n) return false
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
      return predicateMustMatch(expr, metrics)
  }
}

function predicateMustMatch(pred: BoundPredicate, m: FileMetrics): boolean {
  const id = pred.term.fieldId
  switch (pred.op) {
    case 'isNull':
      return m.containsNullsOnly(id)
    case 'notNull':
      return m.nullCount(id) === 0n
    case 'isNaN':
      return m.containsNaNsOnly(id)
    case 'notNaN':
      return m.nanCount(id) === 0n || m.containsNullsOnly(id)
    default:
      break
  }
  // Null rows match the negations only; NaN rows match only notEq and notIn.
  const negative = isNegation(pred.op)
  if (negative && m.containsNullsOnly(id)) return true
  if (!negative && m.nullCount(id) !== 0n) return false
  if (!negative && isFloating(pred.term) && m.nanCount(id) !== 0n) return false
  switch (pred.op) {
    case 'in':
    case 'notIn':
      return setMustMatch(pred as BoundSetPredicate, m)
    case 'startsWith':
    case 'notStartsWith':
      return prefixMustMatch(pred as BoundLiteralPredicate, m)
    default:
      return comparisonMustMatch(pred as BoundLiteralPredicate, m)
  }
}

function comparisonMustMatch(pred: BoundLiteralPredicate, m: FileMetrics): boolean {
  const type = pred.term.type as PrimitiveType
  const lower = m.lowerBound(pred.term)
  const upper = m.upperBound(pred.term)
  const cmp = (bound: unknown): number | undefined =>
    bound === undefined || isNaNValue(bound) ? undefined : compareValues(type, bound, pred.literal)
  const lowerCmp = cmp(lower)
  const upperCmp = cmp(upper)
  switch (pred.op) {
    case 'lt':
      return upperCmp !== undefined && upperCmp < 0
    case 'ltEq':
      return upperCmp !== undefined && upperCmp <= 0
    case 'gt':
      return lowerCmp !== undefined && lowerCmp > 0
    case 'gtEq':
      return lowerCmp !== undefined && lowerCmp >= 0
    case 'eq':
      return lowerCmp === 0 && upperCmp === 0
    default:
      // notEq: the literal lies outside the bounds.
      return (lowerCmp !== undefined && lowerCmp > 0) || (upperCmp !== undefined && upperCmp < 0)
  }
}

function setMustMatch(pred: BoundSetPredicate, m: FileMetrics): boolean {
  const type = pred.term.type as PrimitiveType
  const lower = m.lowerBound(pred.term)
  const upper = m.upperBound(pred.term)
  if (lower === undefined || upper === undefined || isNaNValue(lower) || isNaNValue(upper)) return false
  if (pred.op === 'in') {
    // Only a file of one value: equal bounds cannot both be truncated.
    return compareValues(type, lower, upper) === 0 && literalIndex(type, pred.literals)(lower)
  }
  return pred.literals.every(
    (literal) => compareValues(type, literal, lower) < 0 || compareValues(type, literal, upper) > 0,
  )
}

function prefixMustMatch(pred: BoundLiteralPredicate, m: FileMetrics): boolean {
  const prefix = pred.literal as string
  const lower = m.lowerBound(pred.term) as string | undefined
  const upper = m.upperBound(pred.term) as string | undefined
  if (pred.op === 'startsWith') return boundsSharePrefix(prefix, lower, upper)
  return (
    lower !== undefined &&
    upper !== undefined &&
    !prefixInRange(pred.term.type as PrimitiveType, prefix, lower, upper)
  )
}

function isFloating(ref: BoundReference): boolean {
  return ref.type.kind === 'float' || ref.type.kind === 'double'
}

/** Metric lookups on one file; counts are undefined when the file does not record them. */
