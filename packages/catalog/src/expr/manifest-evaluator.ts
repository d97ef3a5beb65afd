/**
 * Manifest and partition pruning with a filter projected on a partition spec (see
 * `projection.ts`): first whole manifests by their partition field summaries, then the files of a
 * manifest by their partition tuples.
 *
 * @module
 */
import { fromBytes } from '../spec/conversions.js'
import type { ManifestFile, PartitionFieldSummary } from '../spec/data-file.js'
import type { PrimitiveType } from '../spec/types.js'
import { compareValues } from '../spec/values.js'
import { evaluateRow } from './evaluator.js'
import type {
  BoundExpression,
  BoundLiteralPredicate,
  BoundPredicate,
  BoundSetPredicate,
} from './expressions.js'
import { boundsSharePrefix, IN_PREDICATE_LIMIT, prefixInRange } from './metrics-evaluator.js'

/**
 * Tells whether a manifest may list files matching a partition filter, from the
 * `ManifestFile.partitions` summaries (null / NaN flags and bounds of each partition field).
 *
 * `eval` returns `false` only when no file of the manifest can match; a manifest without
 * summaries always might.
 *
 * @example
 * ```ts
 * const evaluator = new ManifestEvaluator(inclusiveProjection(bind(schema, filter), spec))
 * const manifests = manifestList.filter((m) => evaluator.eval(m))
 * ```
 */
export class ManifestEvaluator {
  readonly #expr: BoundExpression

  /** @param partitionFilter a filter over the partition tuple of the manifest's spec, e.g. from `inclusiveProjection`. */
  constructor(partitionFilter: BoundExpression) {
    this.#expr = partitionFilter
  }

  /** False when no file of the manifest can match; true when some might. */
  eval(manifest: Pick<ManifestFile, 'partitions'>): boolean {
    const summaries = manifest.partitions
    if (summaries === undefined || summaries.length === 0) return true
    return visit(this.#expr, summaries)
  }
}

/**
 * Whether a file's partition tuple (`DataFile.partition`) satisfies a partition filter, e.g. the
 * inclusive projection of a row filter: false means no row of the file can match.
 */
export function evaluatePartition(partitionFilter: BoundExpression, partition: readonly unknown[]): boolean {
  return evaluateRow(partitionFilter, partition)
}

function visit(expr: BoundExpression, summaries: readonly PartitionFieldSummary[]): boolean {
  switch (expr.kind) {
    case 'true':
      return true
    case 'false':
      return false
    case 'and':
      return visit(expr.left, summaries) && visit(expr.right, summaries)
    case 'or':
      return visit(expr.left, summaries) || visit(expr.right, summaries)
    default: {
      const summary = summaries[expr.term.path[0] as number]
      return summary === undefined ? true : predicateMightMatch(expr, new Summary(summary, expr))
    }
  }
}

function predicateMightMatch(pred: BoundPredicate, s: Summary): boolean {
  switch (pred.op) {
    case 'isNull':
      return s.summary.containsNull
    case 'notNull':
      return !s.allNull()
    case 'isNaN':
      return s.summary.containsNaN !== false
    case 'notNaN':
      // Only NaN: some NaN, no null, and no bound since bounds exclude NaN.
      return !(
        s.summary.containsNaN === true &&
        !s.summary.containsNull &&
        s.summary.lowerBound === undefined
      )
    case 'notEq':
    case 'notIn':
      return true
    case 'in':
      return inMightMatch(pred as BoundSetPredicate, s)
    case 'startsWith': {
      // No lower bound: every value is null (or NaN), and neither starts with anything.
      if (s.summary.lowerBound === undefined) return false
      return prefixInRange(
        s.type,
        (pred as BoundLiteralPredicate).literal as string,
        s.lower() as string | undefined,
        s.upper() as string | undefined,
      )
    }
    case 'notStartsWith':
      if (s.summary.containsNull) return true
      return !boundsSharePrefix(
        (pred as BoundLiteralPredicate).literal as string,
        s.lower() as string | undefined,
        s.upper() as string | undefined,
      )
    default:
      return comparisonMightMatch(pred as BoundLiteralPredicate, s)
  }
}

function comparisonMightMatch(pred: BoundLiteralPredicate, s: Summary): boolean {
  // Without a lower bound every partition value is null or NaN, which no comparison matches.
  if (s.summary.lowerBound === undefined) return false
  const lower = s.lower()
  const upper = s.upper()
  const cmp = (bound: unknown): number => compareValues(s.type, bound, pred.literal)
  switch (pred.op) {
    case 'lt':
      return cmp(lower) < 0
    case 'ltEq':
      return cmp(lower) <= 0
    case 'gt':
      return upper === undefined || cmp(upper) > 0
    case 'gtEq':
      return upper === undefined || cmp(upper) >= 0
    default:
      return cmp(lower) <= 0 && (upper === undefined || cmp(upper) >= 0)
  }
}

function inMightMatch(pred: BoundSetPredicate, s: Summary): boolean {
  if (s.summary.lowerBound === undefined) return false
  if (pred.literals.length > IN_PREDICATE_LIMIT) return true
  const lower = s.lower()
  const upper = s.upper()
  return pred.literals.some(
    (literal) =>
      compareValues(s.type, lower, literal) <= 0 &&
      (upper === undefined || compareValues(s.type, upper, literal) >= 0),
  )
}

/** One partition field's summary with its bounds decoded on demand. */
class Summary {
  readonly type: PrimitiveType

  constructor(
    readonly summary: PartitionFieldSummary,
    pred: BoundPredicate,
  ) {
    this.type = pred.term.type as PrimitiveType
  }

  lower(): unknown {
    const bytes = this.summary.lowerBound
    return bytes === undefined ? undefined : fromBytes(this.type, bytes)
  }

  upper(): unknown {
    const bytes = this.summary.upperBound
    return bytes === undefined ? undefined : fromBytes(this.type, bytes)
  }

  /** Every partition value is null: nulls seen, no bound, and (for floats) no NaN either. */
  allNull(): boolean {
    const { containsNull, lowerBound, containsNaN } = this.summary
    if (!containsNull || lowerBound !== undefined) return false
    const floating = this.type.kind === 'float' || this.type.kind === 'double'
    return floating ? containsNaN === false : true
  }
}
