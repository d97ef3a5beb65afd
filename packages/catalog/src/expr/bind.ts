/**
 * Binding: an expression over column names becomes one over field ids with typed literals.
 *
 * Binding happens once per scan, at the boundary, so every mistake in a filter (an unknown column,
 * a literal of the wrong type, `isNaN` on an int) is reported before any file is read, naming the
 * column and the literal. It also puts the expression in the form the evaluators need: `not`
 * pushed down to the leaves, constants folded, `in` sets deduplicated.
 *
 * @module
 */
import { ValidationError } from '@lake/errors'
import type { Schema } from '../spec/schema.js'
import { type IcebergType, isPrimitive, type NestedField, typeToString } from '../spec/types.js'
import { coerceValue } from '../spec/values.js'
import {
  alwaysFalse,
  alwaysTrue,
  and,
  type BoundExpression,
  type BoundReference,
  type Expression,
  type LiteralOperation,
  literalToString,
  negateOperation,
  or,
  type SetOperation,
  type UnboundPredicate,
} from './expressions.js'
import { valueKey } from './literals.js'

/**
 * Resolves `expr` against `schema`.
 *
 * - Columns are found by their dotted name (`location.lat`), case-insensitively when asked; a
 *   column inside a list or map cannot be filtered on, since a row holds many of its values.
 * - Literals are converted with the column type's rules (`coerceValue`), so `'2024-01-01'` works
 *   for a date column and `5` for a long one.
 * - `not` is pushed down to the leaves, `isNull` on a column that cannot be null becomes
 *   `alwaysFalse()`, `in` with one value becomes `eq`, and constants are folded.
 *
 * @throws ValidationError naming the column (and the literal) when the expression does not fit.
 *
 * @example
 * ```ts
 * const filter = bind(table.schema(), and(eq('id', 5), not(isNull('name'))))
 * ```
 */
export function bind(schema: Schema, expr: Expression, caseSensitive = true): BoundExpression {
  return bindNode(schema, expr, caseSensitive, false)
}

function bindNode(
  schema: Schema,
  expr: Expression,
  caseSensitive: boolean,
  negate: boolean,
): BoundExpression {
  switch (expr.kind) {
    case 'true':
      return negate ? alwaysFalse() : alwaysTrue()
    case 'false':
      return negate ? alwaysTrue() : alwaysFalse()
    case 'not':
      return bindNode(schema, expr.child, caseSensitive, !negate)
    case 'and': {
      const left = bindNode(schema, expr.left, caseSensitive, negate)
      const right = bindNode(schema, expr.right, caseSensitive, negate)
      return negate ? or(left, right) : and(left, right)
    }
    case 'or': {
      const left = bindNode(schema, expr.left, caseSensitive, negate)
      const right = bindNode(schema, expr.right, caseSensitive, negate)
      return negate ? and(left, right) : or(left, right)
    }
    default:
      return bindPredicate(schema, expr, caseSensitive, negate)
  }
}

function bindPredicate(
  schema: Schema,
  pred: UnboundPredicate,
  caseSensitive: boolean,
  negate: boolean,
): BoundExpression {
  const term = bindReference(schema, pred.term, caseSensitive)
  switch (pred.kind) {
    case 'unary': {
      const op = negate ? negateOperation(pred.op) : pred.op
      if (op === 'isNull' || op === 'notNull') {
        if (!term.producesNull) return op === 'isNull' ? alwaysFalse() : alwaysTrue()
        return Object.freeze({ kind: 'unary', op, term })
      }
      if (term.type.kind !== 'float' && term.type.kind !== 'double') {
        throw new ValidationError(
          `${op} needs a float or double column, but '${term.name}' is ${typeToString(term.type)}`,
          { context: { field: term.name } },
        )
      }
      return Object.freeze({ kind: 'unary', op, term })
    }
    case 'literal': {
      const op: LiteralOperation = negate ? negateOperation(pred.op) : pred.op
      const literal = bindLiteral(term, op, pred.literal)
      return Object.freeze({ kind: 'literal', op, term, literal })
    }
    case 'set': {
      const op: SetOperation = negate ? negateOperation(pred.op) : pred.op
      const seen = new Map<string, unknown>()
      for (const value of pred.literals) {
        const literal = bindLiteral(term, op, value)
        seen.set(valueKey(literal), literal)
      }
      const literals = [...seen.values()]
      if (literals.length === 0) return op === 'in' ? alwaysFalse() : alwaysTrue()
      if (literals.length === 1) {
        const single: LiteralOperation = op === 'in' ? 'eq' : 'notEq'
        return Object.freeze({ kind: 'literal', op: single, term, literal: literals[0] })
      }
      return Object.freeze({ kind: 'set', op, term, literals: Object.freeze(literals) })
    }
  }
}

/**
 * Resolves a dotted column name to a reference with its path through structs. Exported for the
 * scan, which binds projected columns the same way.
 */
export function bindReference(schema: Schema, name: string, caseSensitive = true): BoundReference {
  const field = schema.findFieldByName(name, caseSensitive)
  if (field === undefined) {
    throw new ValidationError(`Cannot find column '${name}' in the schema`, { context: { field: name } })
  }
  const chain: NestedField[] = [field]
  for (let id = schema.parentId(field.id); id !== undefined; id = schema.parentId(id)) {
    chain.unshift(schema.findField(id)!)
  }
  const fullName = schema.findColumnName(field.id) ?? name
  for (const ancestor of chain.slice(0, -1)) {
    if (ancestor.type.kind !== 'struct') {
      throw new ValidationError(
        `Cannot filter on '${fullName}': it is inside the ${ancestor.type.kind} '${schema.findColumnName(ancestor.id)}'`,
        { context: { field: fullName } },
      )
    }
  }
  return Object.freeze({
    fieldId: field.id,
    name: fullName,
    type: field.type,
    path: Object.freeze(chain.map((f) => f.name)),
    producesNull: chain.some((f) => !f.required),
  })
}

function bindLiteral(term: BoundReference, op: LiteralOperation | SetOperation, value: unknown): unknown {
  const type: IcebergType = term.type
  if (!isPrimitive(type)) {
    throw new ValidationError(
      `Cannot compare '${term.name}' (${typeToString(type)}) with a literal; only isNull and notNull apply`,
      { context: { field: term.name } },
    )
  }
  if (value === null || value === undefined) {
    throw new ValidationError(
      `Cannot compare '${term.name}' with ${String(value)}: use isNull or notNull for nulls`,
      { context: { field: term.name, literal: String(value) } },
    )
  }
  if (op === 'startsWith' || op === 'notStartsWith') {
    if (type.kind !== 'string' || typeof value !== 'string') {
      throw new ValidationError(
        `${op} needs a string column and a string prefix, not '${term.name}' (${typeToString(type)}) and ${literalToString(value)}`,
        { context: { field: term.name, literal: literalToString(value) } },
      )
    }
    return value
  }
  let converted: unknown
  try {
    converted = coerceValue(type, value, term.name)
  } catch (cause) {
    throw new ValidationError(
      `Literal ${literalToString(value)} is not a valid ${typeToString(type)} for column '${term.name}'`,
      { context: { field: term.name, literal: literalToString(value) }, cause },
    )
  }
  if (typeof converted === 'number' && Number.isNaN(converted)) {
    throw new ValidationError(`Cannot compare '${term.name}' with NaN: use isNaN or notNaN`, {
      context: { field: term.name, literal: 'NaN' },
    })
  }
  return converted
}
