/**
 * Row filters as plain immutable data, named as in the Iceberg spec and the Java API
 * (`Expressions.equal`, `lessThan`, …).
 *
 * A filter is first written over column names and JavaScript literals (an {@link Expression}),
 * then bound to a schema (`bind.ts`), which resolves names to field ids, converts literals to
 * internal values and pushes `not` down to the leaves (a {@link BoundExpression}). Every evaluator
 * (rows, Arrow batches, file metrics, partition summaries, residuals) works on bound expressions.
 *
 * @example
 * ```ts
 * const filter = and(gtEq('ts', '2024-01-01T00:00:00Z'), isIn('country', ['FR', 'DE']))
 * expressionToString(filter) // (ts >= '2024-01-01T00:00:00Z' and country in ('FR', 'DE'))
 * ```
 *
 * @module
 */
import { bytesToHex } from '../spec/conversions.js'
import type { IcebergType } from '../spec/types.js'

/** Predicates on a value alone. */
export type UnaryOperation = 'isNull' | 'notNull' | 'isNaN' | 'notNaN'
/** Predicates comparing a value with one literal. */
export type LiteralOperation = 'lt' | 'ltEq' | 'gt' | 'gtEq' | 'eq' | 'notEq' | 'startsWith' | 'notStartsWith'
/** Predicates testing membership in a set of literals. */
export type SetOperation = 'in' | 'notIn'
/** Every predicate operation. */
export type Operation = UnaryOperation | LiteralOperation | SetOperation

/** The filter that keeps every row; what an unfiltered scan uses. */
export interface AlwaysTrue {
  readonly kind: 'true'
}

/** The filter that keeps no row; binding yields it for predicates that cannot hold (`isNull` on a required column). */
export interface AlwaysFalse {
  readonly kind: 'false'
}

/** Both sides must hold. */
export interface And {
  readonly kind: 'and'
  readonly left: Expression
  readonly right: Expression
}

/** Either side may hold. */
export interface Or {
  readonly kind: 'or'
  readonly left: Expression
  readonly right: Expression
}

/** The child must not hold. Only unbound expressions have it: binding pushes it down to the leaves. */
export interface Not {
  readonly kind: 'not'
  readonly child: Expression
}

/** `isNull`, `notNull`, `isNaN` or `notNaN` on a column, by (dotted) name. */
export interface UnboundUnaryPredicate {
  readonly kind: 'unary'
  readonly op: UnaryOperation
  readonly term: string
}

/** A comparison of a column, by (dotted) name, with a JavaScript literal not yet converted. */
export interface UnboundLiteralPredicate {
  readonly kind: 'literal'
  readonly op: LiteralOperation
  readonly term: string
  readonly literal: unknown
}

/** Membership of a column, by (dotted) name, in a list of JavaScript literals not yet converted. */
export interface UnboundSetPredicate {
  readonly kind: 'set'
  readonly op: SetOperation
  readonly term: string
  readonly literals: readonly unknown[]
}

/** A leaf of an unbound expression. */
export type UnboundPredicate = UnboundUnaryPredicate | UnboundLiteralPredicate | UnboundSetPredicate

/** A row filter over column names, as users write it. Bind it with `bind(schema, expr)` before use. */
export type Expression = AlwaysTrue | AlwaysFalse | And | Or | Not | UnboundPredicate

/**
 * A resolved column: what a bound predicate reads. `path` leads from the root of a row to the
 * value: field names through structs for a table row, or a single position for a partition tuple,
 * so that one evaluator serves both.
 */
export interface BoundReference {
  /** The field id (a schema field id, or a partition field id for projected expressions). */
  readonly fieldId: number
  /** The full dotted name, for messages and for matching Arrow columns that carry no field id. */
  readonly name: string
  /** The field's type; primitive for every predicate but `isNull` / `notNull`. */
  readonly type: IcebergType
  /** Struct field names (or a tuple position) from the root of a row to the value. */
  readonly path: readonly (string | number)[]
  /** Whether the value can be null: the field or one of its parent structs is optional. */
  readonly producesNull: boolean
}

/** A bound unary predicate. */
export interface BoundUnaryPredicate {
  readonly kind: 'unary'
  readonly op: UnaryOperation
  readonly term: BoundReference
}

/** A bound comparison; `literal` is an internal value of the term's type (see `types.ts`). */
export interface BoundLiteralPredicate {
  readonly kind: 'literal'
  readonly op: LiteralOperation
  readonly term: BoundReference
  readonly literal: unknown
}

/** A bound membership test; `literals` are distinct internal values, at least two of them. */
export interface BoundSetPredicate {
  readonly kind: 'set'
  readonly op: SetOperation
  readonly term: BoundReference
  readonly literals: readonly unknown[]
}

/** A leaf of a bound expression. */
export type BoundPredicate = BoundUnaryPredicate | BoundLiteralPredicate | BoundSetPredicate

/** Both sides of a bound expression must hold. */
export interface BoundAnd {
  readonly kind: 'and'
  readonly left: BoundExpression
  readonly right: BoundExpression
}

/** Either side of a bound expression may hold. */
export interface BoundOr {
  readonly kind: 'or'
  readonly left: BoundExpression
  readonly right: BoundExpression
}

/**
 * A filter resolved against a schema (or a partition spec): field ids, internal literals, and no
 * `not` nodes, since every evaluator's pruning rule is only sound for the leaf operations.
 */
export type BoundExpression = AlwaysTrue | AlwaysFalse | BoundAnd | BoundOr | BoundPredicate

const TRUE: AlwaysTrue = Object.freeze({ kind: 'true' })
const FALSE: AlwaysFalse = Object.freeze({ kind: 'false' })

/** The filter that keeps every row. */
export function alwaysTrue(): AlwaysTrue {
  return TRUE
}

/** The filter that keeps no row. */
export function alwaysFalse(): AlwaysFalse {
  return FALSE
}

/**
 * All of the filters must hold. Constants are folded away (`and(alwaysTrue(), x)` is `x`) so that
 * pruning code never has to look at them; no argument means no restriction.
 */
export function and(...exprs: Expression[]): Expression
export function and(...exprs: BoundExpression[]): BoundExpression
export function and(...exprs: (Expression | BoundExpression)[]): Expression | BoundExpression {
  let result = TRUE as Expression | BoundExpression
  for (const expr of exprs) {
    if (expr.kind === 'false' || result.kind === 'false') return FALSE
    if (expr.kind === 'true') continue
    result =
      result.kind === 'true' ? expr : (Object.freeze({ kind: 'and', left: result, right: expr }) as And)
  }
  return result
}

/** Any of the filters may hold. Constants are folded away; no argument means no row. */
export function or(...exprs: Expression[]): Expression
export function or(...exprs: BoundExpression[]): BoundExpression
export function or(...exprs: (Expression | BoundExpression)[]): Expression | BoundExpression {
  let result = FALSE as Expression | BoundExpression
  for (const expr of exprs) {
    if (expr.kind === 'true' || result.kind === 'true') return TRUE
    if (expr.kind === 'false') continue
    result = result.kind === 'false' ? expr : (Object.freeze({ kind: 'or', left: result, right: expr }) as Or)
  }
  return result
}

/**
 * The filter must not hold. Binding pushes it down as Iceberg's `RewriteNot` does
 * (`not(lt(a, 5))` becomes `gtEq(a, 5)`, `not(eq(a, 5))` becomes `notEq(a, 5)`), so a row whose
 * value is null or NaN matches neither `lt(a, 5)` nor `not(lt(a, 5))`, while a null matches
 * `not(eq(a, 5))`, as the negations hold for null.
 */
export function not(child: Expression): Expression {
  if (child.kind === 'true') return FALSE
  if (child.kind === 'false') return TRUE
  if (child.kind === 'not') return child.child
  return Object.freeze({ kind: 'not', child })
}

function unary(op: UnaryOperation, term: string): UnboundUnaryPredicate {
  return Object.freeze({ kind: 'unary', op, term })
}

function literal(op: LiteralOperation, term: string, value: unknown): UnboundLiteralPredicate {
  return Object.freeze({ kind: 'literal', op, term, literal: value })
}

function set(op: SetOperation, term: string, values: Iterable<unknown>): UnboundSetPredicate {
  return Object.freeze({ kind: 'set', op, term, literals: Object.freeze([...values]) })
}

/** Rows where the column is null (or a parent struct is). */
export function isNull(column: string): UnboundUnaryPredicate {
  return unary('isNull', column)
}

/** Rows where the column has a value. */
export function notNull(column: string): UnboundUnaryPredicate {
  return unary('notNull', column)
}

/** Rows where a float or double column is NaN: the only way to select NaN, since NaN equals nothing. */
// biome-ignore lint/suspicious/noShadowRestrictedNames: the name of the predicate in the Iceberg API; callers may alias it on import
export function isNaN(column: string): UnboundUnaryPredicate {
  return unary('isNaN', column)
}

/** Rows where a float or double column is not NaN (nulls included). */
export function notNaN(column: string): UnboundUnaryPredicate {
  return unary('notNaN', column)
}

/** Rows where the column is less than the literal. */
export function lt(column: string, value: unknown): UnboundLiteralPredicate {
  return literal('lt', column, value)
}

/** Rows where the column is less than or equal to the literal. */
export function ltEq(column: string, value: unknown): UnboundLiteralPredicate {
  return literal('ltEq', column, value)
}

/** Rows where the column is greater than the literal. */
export function gt(column: string, value: unknown): UnboundLiteralPredicate {
  return literal('gt', column, value)
}

/** Rows where the column is greater than or equal to the literal. */
export function gtEq(column: string, value: unknown): UnboundLiteralPredicate {
  return literal('gtEq', column, value)
}

/** Rows where the column equals the literal. Use {@link isNull} / {@link isNaN} for null and NaN. */
export function eq(column: string, value: unknown): UnboundLiteralPredicate {
  return literal('eq', column, value)
}

/**
 * Rows where the column is not equal to the literal, null rows included: `not(eq(…))`, as in
 * Iceberg Java and PyIceberg (SQL's `<>` would leave null rows out; add `notNull` for that).
 */
export function notEq(column: string, value: unknown): UnboundLiteralPredicate {
  return literal('notEq', column, value)
}

/** Rows where a string column starts with the prefix. */
export function startsWith(column: string, prefix: string): UnboundLiteralPredicate {
  return literal('startsWith', column, prefix)
}

/** Rows where a string column does not start with the prefix, null rows included: `not(startsWith(…))`. */
export function notStartsWith(column: string, prefix: string): UnboundLiteralPredicate {
  return literal('notStartsWith', column, prefix)
}

/** Rows where the column equals one of the literals (`in` is a reserved word, hence the name). */
export function isIn(column: string, values: Iterable<unknown>): UnboundSetPredicate {
  return set('in', column, values)
}

/** Rows where the column is none of the literals, null rows included: `not(isIn(…))`. */
export function notIn(column: string, values: Iterable<unknown>): UnboundSetPredicate {
  return set('notIn', column, values)
}

/**
 * Whether `op` is a negation (`notEq`, `notIn`, `notStartsWith`): exactly `not` of its positive,
 * so it holds for null values, as in Iceberg Java's and PyIceberg's row evaluators.
 */
export function isNegation(op: Operation): boolean {
  return op === 'notEq' || op === 'notIn' || op === 'notStartsWith'
}

/** The operation that holds exactly where `op` does not, for non-null, non-NaN values. */
export function negateOperation<O extends Operation>(op: O): O {
  return NEGATIONS[op] as O
}

const NEGATIONS: Record<Operation, Operation> = {
  isNull: 'notNull',
  notNull: 'isNull',
  isNaN: 'notNaN',
  notNaN: 'isNaN',
  lt: 'gtEq',
  ltEq: 'gt',
  gt: 'ltEq',
  gtEq: 'lt',
  eq: 'notEq',
  notEq: 'eq',
  startsWith: 'notStartsWith',
  notStartsWith: 'startsWith',
  in: 'notIn',
  notIn: 'in',
}

const SYMBOLS: Record<LiteralOperation | SetOperation, string> = {
  lt: '<',
  ltEq: '<=',
  gt: '>',
  gtEq: '>=',
  eq: '=',
  notEq: '!=',
  startsWith: 'starts with',
  notStartsWith: 'not starts with',
  in: 'in',
  notIn: 'not in',
}

const UNARY_TEXT: Record<UnaryOperation, string> = {
  isNull: 'is null',
  notNull: 'is not null',
  isNaN: 'is nan',
  notNaN: 'is not nan',
}

/**
 * A one-line, SQL-like form of an expression for logs and error messages, e.g.
 * `(ts >= 1704067200000000 and country in ('FR', 'DE'))`. Bound expressions print their column
 * names and internal literals.
 */
export function expressionToString(expr: Expression | BoundExpression): string {
  switch (expr.kind) {
    case 'true':
      return 'true'
    case 'false':
      return 'false'
    case 'and':
      return `(${expressionToString(expr.left)} and ${expressionToString(expr.right)})`
    case 'or':
      return `(${expressionToString(expr.left)} or ${expressionToString(expr.right)})`
    case 'not':
      return `not(${expressionToString(expr.child)})`
    case 'unary':
      return `${termName(expr.term)} ${UNARY_TEXT[expr.op]}`
    case 'literal':
      return `${termName(expr.term)} ${SYMBOLS[expr.op]} ${literalToString(expr.literal)}`
    case 'set':
      return `${termName(expr.term)} ${SYMBOLS[expr.op]} (${expr.literals.map(literalToString).join(', ')})`
  }
}

function termName(term: string | BoundReference): string {
  return typeof term === 'string' ? term : term.name
}

/** A literal as it appears in {@link expressionToString} and in error messages. */
export function literalToString(value: unknown): string {
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return `X'${bytesToHex(value)}'`
  if (value instanceof Date)
    return `'${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()}'`
  if (typeof value === 'number' && Object.is(value, -0)) return '-0'
  if (value === undefined) return 'undefined'
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
    } catch {
      return String(value)
    }
  }
  return String(value)
}
