/**
 * Projection of row filters onto a partition spec, as the spec's "Scan Planning" section
 * describes: a predicate on a source column becomes a predicate on the partition values derived
 * from it.
 *
 * - The *inclusive* projection holds for the partition of every row the filter matches, so files
 *   whose partition does not satisfy it can be skipped (`ts > X` by `day(ts)` becomes
 *   `ts_day >= day(X)`).
 * - The *strict* projection holds only for partitions in which every row matches the filter, so
 *   that a file there needs no row filtering (see `residual.ts`) and can be deleted whole.
 *
 * Projected expressions refer to partition fields: `fieldId` is the partition field id, `type`
 * the transform's result type, and `path` the field's position in the partition tuple
 * (`DataFile.partition`, `ManifestFile.partitions`).
 *
 * @module
 */
import type { PartitionField, PartitionSpec } from '../spec/partition-spec.js'
import { applyTransform, transformResultType } from '../spec/transforms.js'
import type { PrimitiveType } from '../spec/types.js'
import {
  alwaysFalse,
  alwaysTrue,
  and,
  type BoundExpression,
  type BoundPredicate,
  type BoundReference,
  type LiteralOperation,
  or,
  type SetOperation,
} from './expressions.js'
import { codePointLength, truncateCodePoints, valueKey } from './literals.js'

/**
 * The inclusive projection of a bound row filter: true for the partition of any row the filter
 * matches. Predicates on columns the spec does not partition by project to `alwaysTrue()`; when
 * several partition fields derive from one column, all their projections must hold.
 *
 * @example
 * ```ts
 * const partitionFilter = inclusiveProjection(bind(schema, gt('ts', '2024-03-01T10:00:00Z')), spec)
 * // ts_day >= 2024-03-01, over the partition tuple
 * ```
 */
export function inclusiveProjection(expr: BoundExpression, spec: PartitionSpec): BoundExpression {
  switch (expr.kind) {
    case 'true':
    case 'false':
      return expr
    case 'and':
      return and(inclusiveProjection(expr.left, spec), inclusiveProjection(expr.right, spec))
    case 'or':
      return or(inclusiveProjection(expr.left, spec), inclusiveProjection(expr.right, spec))
    default:
      return and(
        ...partsOf(spec, expr).map(
          ({ field, position }) => projectInclusive(field, position, expr) ?? alwaysTrue(),
        ),
      )
  }
}

/**
 * The strict projection of a bound row filter: true only for partitions in which every row
 * matches the filter. Predicates that no partition field decides project to `alwaysFalse()`.
 */
export function strictProjection(expr: BoundExpression, spec: PartitionSpec): BoundExpression {
  switch (expr.kind) {
    case 'true':
    case 'false':
      return expr
    case 'and':
      return and(strictProjection(expr.left, spec), strictProjection(expr.right, spec))
    case 'or':
      return or(strictProjection(expr.left, spec), strictProjection(expr.right, spec))
    default:
      return or(
        ...partsOf(spec, expr).map(
          ({ field, position }) => projectStrict(field, position, expr) ?? alwaysFalse(),
        ),
      )
  }
}

/** The partition fields derived from the predicate's column, with their tuple positions. */
export function partsOf(
  spec: PartitionSpec,
  pred: BoundPredicate,
): { field: PartitionField; position: number }[] {
  const parts: { field: PartitionField; position: number }[] = []
  spec.fields.forEach((field, position) => {
    if (field.sourceId === pred.term.fieldId) parts.push({ field, position })
  })
  return parts
}

/** The reference to partition field `field` at `position` of the tuple, for a source of type `sourceType`. */
export function partitionReference(
  field: PartitionField,
  position: number,
  sourceType: PrimitiveType,
): BoundReference {
  return Object.freeze({
    fieldId: field.fieldId,
    name: field.name,
    type: transformResultType(field.transform, sourceType),
    path: Object.freeze([position]),
    producesNull: true,
  })
}

type Mode = 'inclusive' | 'strict'

/**
 * The inclusive projection of one predicate through one partition field, or `undefined` when the
 * transform keeps nothing the predicate could use (e.g. `lt` through `bucket`).
 */
export function projectInclusive(
  field: PartitionField,
  position: number,
  pred: BoundPredicate,
): BoundPredicate | undefined {
  return project(field, position, pred, 'inclusive')
}

/**
 * The strict projection of one predicate through one partition field, or `undefined` when no
 * partition value proves the predicate for all its rows (e.g. `eq` through `day`).
 */
export function projectStrict(
  field: PartitionField,
  position: number,
  pred: BoundPredicate,
): BoundPredicate | undefined {
  return project(field, position, pred, 'strict')
}

function project(
  field: PartitionField,
  position: number,
  pred: BoundPredicate,
  mode: Mode,
): BoundPredicate | undefined {
  const transform = field.transform
  if (transform.kind === 'void') return undefined
  const sourceType = pred.term.type as PrimitiveType
  const term = partitionReference(field, position, sourceType)
  if (transform.kind === 'identity') return { ...pred, term } as BoundPredicate
  if (pred.kind === 'unary') {
    // Every transform but void maps null to null and values to values; NaN is lost by all of them.
    return pred.op === 'isNull' || pred.op === 'notNull' ? { kind: 'unary', op: pred.op, term } : undefined
  }
  const apply = (value: unknown): unknown => applyTransform(transform, sourceType, value)
  const projector = new Projector(term, apply, sourceType)
  switch (transform.kind) {
    case 'bucket':
      return mode === 'inclusive' ? projector.bucketInclusive(pred) : projector.bucketStrict(pred)
    case 'truncate':
      if (sourceType.kind === 'string' || sourceType.kind === 'binary' || sourceType.kind === 'fixed') {
        return mode === 'inclusive'
          ? projector.truncateArrayInclusive(pred, transform.width)
          : projector.truncateArrayStrict(pred, transform.width)
      }
      return mode === 'inclusive' ? projector.orderedInclusive(pred) : projector.orderedStrict(pred)
    default: {
      // year, month, day, hour. Day of a date is the date itself, which old writers got right.
      const fixNegatives = !(transform.kind === 'day' && sourceType.kind === 'date')
      if (mode === 'inclusive') {
        const projected = projector.orderedInclusive(pred)
        return fixNegatives ? fixInclusiveTimeProjection(projected) : projected
      }
      const projected = projector.orderedStrict(pred)
      return fixNegatives ? fixStrictTimeProjection(projected) : projected
    }
  }
}

/** The projection rules per transform family, on one predicate with a literal or a set. */
class Projector {
  constructor(
    readonly term: BoundReference,
    readonly apply: (value: unknown) => unknown,
    readonly sourceType: PrimitiveType,
  ) {}

  literal(op: LiteralOperation, value: unknown): BoundPredicate {
    return { kind: 'literal', op, term: this.term, literal: value }
  }

  set(op: SetOperation, values: readonly unknown[]): BoundPredicate {
    return setPredicate(op, this.term, values)
  }

  /** `value ± 1` in the source's units, for the rules that turn `<` into `<=`. */
  step(value: unknown, delta: 1 | -1): unknown {
    return typeof value === 'bigint' ? value + BigInt(delta) : (value as number) + delta
  }

  bucketInclusive(pred: BoundPredicate): BoundPredicate | undefined {
    if (pred.kind === 'literal' && pred.op === 'eq') return this.literal('eq', this.apply(pred.literal))
    if (pred.kind === 'set' && pred.op === 'in') return this.set('in', pred.literals.map(this.apply))
    return undefined
  }

  bucketStrict(pred: BoundPredicate): BoundPredicate | undefined {
    if (pred.kind === 'literal' && pred.op === 'notEq') return this.literal('notEq', this.apply(pred.literal))
    if (pred.kind === 'set' && pred.op === 'notIn') return this.set('notIn', pred.literals.map(this.apply))
    return undefined
  }

  /** Order-preserving transforms of integers, decimals, dates and timestamps (truncate, year, …). */
  orderedInclusive(pred: BoundPredicate): BoundPredicate | undefined {
    if (pred.kind === 'set')
      return pred.op === 'in' ? this.set('in', pred.literals.map(this.apply)) : undefined
    if (pred.kind !== 'literal') return undefined
    const v = pred.literal
    switch (pred.op) {
      case 'lt':
        return this.literal('ltEq', this.apply(this.step(v, -1)))
      case 'ltEq':
        return this.literal('ltEq', this.apply(v))
      case 'gt':
        return this.literal('gtEq', this.apply(this.step(v, 1)))
      case 'gtEq':
        return this.literal('gtEq', this.apply(v))
      case 'eq':
        return this.literal('eq', this.apply(v))
      default:
        return undefined
    }
  }

  orderedStrict(pred: BoundPredicate): BoundPredicate | undefined {
    if (pred.kind === 'set')
      return pred.op === 'notIn' ? this.set('notIn', pred.literals.map(this.apply)) : undefined
    if (pred.kind !== 'literal') return undefined
    const v = pred.literal
    switch (pred.op) {
      case 'lt':
        return this.literal('lt', this.apply(v))
      case 'ltEq':
        return this.literal('lt', this.apply(this.step(v, 1)))
      case 'gt':
        return this.literal('gt', this.apply(v))
      case 'gtEq':
        return this.literal('gt', this.apply(this.step(v, -1)))
      case 'notEq':
        return this.literal('notEq', this.apply(v))
      default:
        return undefined
    }
  }

  /** Truncation of strings and byte arrays, where `<` cannot be turned into `<=` by a step. */
  truncateArrayInclusive(pred: BoundPredicate, width: number): BoundPredicate | undefined {
    if (pred.kind === 'set')
      return pred.op === 'in' ? this.set('in', pred.literals.map(this.apply)) : undefined
    if (pred.kind !== 'literal') return undefined
    const v = pred.literal
    switch (pred.op) {
      case 'lt':
      case 'ltEq':
        return this.literal('ltEq', this.apply(v))
      case 'gt':
      case 'gtEq':
        return this.literal('gtEq', this.apply(v))
      case 'eq':
        return this.literal('eq', this.apply(v))
      case 'startsWith':
        return this.literal('startsWith', this.apply(v))
      case 'notStartsWith':
        return codePointLength(v as string) <= width ? this.literal('notStartsWith', v) : undefined
      default:
        return undefined
    }
  }

  truncateArrayStrict(pred: BoundPredicate, width: number): BoundPredicate | undefined {
    if (pred.kind === 'set')
      return pred.op === 'notIn' ? this.set('notIn', pred.literals.map(this.apply)) : undefined
    if (pred.kind !== 'literal') return undefined
    const v = pred.literal
    switch (pred.op) {
      case 'lt':
      case 'ltEq':
        return this.literal('lt', this.apply(v))
      case 'gt':
      case 'gtEq':
        return this.literal('gt', this.apply(v))
      case 'notEq':
        return this.literal('notEq', this.apply(v))
      case 'startsWith':
        return codePointLength(v as string) <= width ? this.literal('startsWith', v) : undefined
      case 'notStartsWith':
        return this.literal('notStartsWith', truncateCodePoints(v as string, width))
      default:
        return undefined
    }
  }
}

/** A set predicate over distinct values; one value makes it `eq` / `notEq`, as binding does. */
function setPredicate(op: SetOperation, term: BoundReference, values: readonly unknown[]): BoundPredicate {
  const distinct = new Map<string, unknown>()
  for (const value of values) distinct.set(valueKey(value), value)
  const literals = [...distinct.values()]
  if (literals.length === 1)
    return { kind: 'literal', op: op === 'in' ? 'eq' : 'notEq', term, literal: literals[0] }
  return { kind: 'set', op, term, literals }
}

/**
 * Java's correction for files written by Iceberg 0.10 and earlier, whose date and time transforms
 * put values before 1970 one partition too high: a partition value `x < 0` may also hold rows of
 * `x - 1`, so the inclusive projection widens to include them.
 */
function fixInclusiveTimeProjection(pred: BoundPredicate | undefined): BoundPredicate | undefined {
  if (pred === undefined || pred.kind === 'unary') return pred
  if (pred.kind === 'set') {
    const values = pred.literals as number[]
    return values.some((v) => v < 0)
      ? setPredicate(pred.op, pred.term, [...values, ...plusOne(values)])
      : pred
  }
  const value = pred.literal as number
  if (value >= 0) return pred
  switch (pred.op) {
    case 'lt':
    case 'ltEq':
      return { ...pred, literal: value + 1 }
    case 'eq':
      return setPredicate('in', pred.term, [value, value + 1])
    default:
      return pred
  }
}

/** The strict counterpart of {@link fixInclusiveTimeProjection}: narrows where old files may disagree. */
function fixStrictTimeProjection(pred: BoundPredicate | undefined): BoundPredicate | undefined {
  if (pred === undefined || pred.kind === 'unary') return pred
  if (pred.kind === 'set') {
    const values = pred.literals as number[]
    return values.some((v) => v < 0)
      ? setPredicate(pred.op, pred.term, [...values, ...plusOne(values)])
      : pred
  }
  const value = pred.literal as number
  switch (pred.op) {
    case 'gt':
    case 'gtEq':
      return value <= 0 ? { ...pred, literal: value + 1 } : pred
    case 'notEq':
      return value < 0 ? setPredicate('notIn', pred.term, [value, value + 1]) : pred
    default:
      return pred
  }
}

function plusOne(values: readonly number[]): number[] {
  return values.filter((v) => v < 0).map((v) => v + 1)
}
