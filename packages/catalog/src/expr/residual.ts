/**
 * Residual filters: what is left of a row filter for the rows of one file once its partition
 * values are known. A scan applies the residual, not the whole filter, to each batch it reads.
 *
 * @module
 */
import type { PartitionSpec } from '../spec/partition-spec.js'
import { evaluateRow } from './evaluator.js'
import { alwaysFalse, alwaysTrue, and, type BoundExpression, type BoundPredicate, or } from './expressions.js'
import { partsOf, projectInclusive, projectStrict } from './projection.js'

/**
 * Computes, for one partition spec and one row filter, the residual filter of each partition.
 *
 * A predicate becomes `alwaysTrue()` where the partition proves it for every row (its strict
 * projection holds: `ts >= '2024-03-01T00:00'` in partition `ts_day = 2024-03-01`), and
 * `alwaysFalse()` where the partition rules it out (its inclusive projection fails); otherwise it
 * stays as it is (`ts >= '2024-03-01T12:00'` in that partition). For an unpartitioned spec the
 * residual is the filter itself.
 *
 * @example
 * ```ts
 * const residuals = new ResidualEvaluator(spec, bind(schema, filter))
 * const residual = residuals.residualFor(dataFile.partition)
 * // alwaysTrue(): every row of the file matches; alwaysFalse(): none does
 * ```
 */
export class ResidualEvaluator {
  readonly #spec: PartitionSpec
  readonly #expr: BoundExpression

  /**
   * @param spec the spec the files were written with (`DataFile.specId`).
   * @param expr the row filter bound to the table schema.
   */
  constructor(spec: PartitionSpec, expr: BoundExpression) {
    this.#spec = spec
    this.#expr = expr
  }

  /** The filter still to apply to the rows of a file with this partition tuple. */
  residualFor(partition: readonly unknown[]): BoundExpression {
    if (this.#spec.fields.length === 0) return this.#expr
    return this.#residual(this.#expr, partition)
  }

  #residual(expr: BoundExpression, partition: readonly unknown[]): BoundExpression {
    switch (expr.kind) {
      case 'true':
      case 'false':
        return expr
      case 'and':
        return and(this.#residual(expr.left, partition), this.#residual(expr.right, partition))
      case 'or':
        return or(this.#residual(expr.left, partition), this.#residual(expr.right, partition))
      default:
        return this.#predicate(expr, partition)
    }
  }

  #predicate(pred: BoundPredicate, partition: readonly unknown[]): BoundExpression {
    for (const { field, position } of partsOf(this.#spec, pred)) {
      const strict = projectStrict(field, position, pred)
      if (strict !== undefined && evaluateRow(strict, partition)) return alwaysTrue()
      const inclusive = projectInclusive(field, position, pred)
      if (inclusive !== undefined && !evaluateRow(inclusive, partition)) return alwaysFalse()
    }
    return pred
  }
}
