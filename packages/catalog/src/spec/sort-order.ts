/**
 * Sort orders, as the spec's "Sorting" section describes them: how writers should order rows
 * within files. Order id 0 is reserved for "unsorted".
 *
 * @module
 */
import { checkTransformSource, readTransform } from './partition-spec.js'
import type { Schema } from './schema.js'
import { JsonFieldReader, type JsonObject } from './snapshot.js'
import { type Transform, transformToString } from './transform.js'

/** Ascending or descending. */
export type SortDirection = 'asc' | 'desc'

/** Where nulls sort. */
export type NullOrder = 'nulls-first' | 'nulls-last'

/** One key of a sort order: a transform of a source column, a direction and a null order. */
export interface SortField {
  readonly sourceId: number
  readonly transform: Transform
  readonly direction: SortDirection
  readonly nullOrder: NullOrder
}

/** A sort order under a table-unique `orderId`; no fields means unsorted. */
export interface SortOrder {
  readonly orderId: number
  readonly fields: readonly SortField[]
}

/** The id reserved for the unsorted order. */
export const UNSORTED_ORDER_ID = 0

/** The order of a table that does not sort its rows. */
export const UNSORTED_ORDER: SortOrder = Object.freeze({
  orderId: UNSORTED_ORDER_ID,
  fields: Object.freeze([]),
})

/** True when the order sorts nothing. */
export function isUnsorted(order: SortOrder): boolean {
  return order.fields.length === 0
}

/**
 * A sort field with Java's defaults: identity transform, ascending, and nulls first when
 * ascending but last when descending (so nulls sort as the smallest value either way).
 */
export function sortField(
  sourceId: number,
  options: { transform?: Transform; direction?: SortDirection; nullOrder?: NullOrder } = {},
): SortField {
  const direction = options.direction ?? 'asc'
  return {
    sourceId,
    transform: options.transform ?? { kind: 'identity' },
    direction,
    nullOrder: options.nullOrder ?? (direction === 'asc' ? 'nulls-first' : 'nulls-last'),
  }
}

/**
 * True when both orders sort the same way, whatever their ids (Java's `SortOrder.sameOrder`): a
 * table reuses the existing order instead of adding an equal one.
 */
export function sameSortOrder(a: SortOrder, b: SortOrder): boolean {
  return (
    a.fields.length === b.fields.length &&
    a.fields.every((f, i) => {
      const g = b.fields[i]!
      return (
        f.sourceId === g.sourceId &&
        f.direction === g.direction &&
        f.nullOrder === g.nullOrder &&
        transformToString(f.transform) === transformToString(g.transform)
      )
    })
  )
}

/**
 * Checks that an order can sort rows of `schema` (Java's `SortOrder.checkCompatibility`): every
 * source column exists, is primitive and suits its transform.
 */
export function validateSortOrder(order: SortOrder, schema: Schema): void {
  for (const field of order.fields) checkTransformSource(schema, field.sourceId, field.transform)
}

/** Serialises an order as Java's `SortOrderParser` does. */
export function sortOrderToJson(order: SortOrder): JsonObject {
  return {
    'order-id': order.orderId,
    fields: order.fields.map((f) => ({
      transform: transformToString(f.transform),
      'source-id': f.sourceId,
      direction: f.direction,
      'null-order': f.nullOrder,
    })),
  }
}

/**
 * Parses an order. Direction and null order are read case-insensitively, as Java reads them;
 * an order id that contradicts the fields (0 with fields, or no fields under another id) is
 * refused.
 */
export function sortOrderFromJson(json: unknown, where?: string): SortOrder {
  const r = new JsonFieldReader(json, 'a sort order', where)
  const orderId = r.int('order-id')
  const fields = r.array('fields').map((f) => sortFieldFromJson(f, where))
  if (orderId === UNSORTED_ORDER_ID && fields.length > 0)
    throw r.error('Sort order id 0 is reserved for unsorted')
  if (orderId !== UNSORTED_ORDER_ID && fields.length === 0) throw r.error('An unsorted order must have id 0')
  return { orderId, fields }
}

function sortFieldFromJson(json: unknown, where?: string): SortField {
  const r = new JsonFieldReader(json, 'a sort field', where)
  const direction = r.string('direction').toLowerCase()
  if (direction !== 'asc' && direction !== 'desc') throw r.error(`Unknown sort direction '${direction}'`)
  const nullOrder = r.string('null-order').toLowerCase().replace('_', '-')
  if (nullOrder !== 'nulls-first' && nullOrder !== 'nulls-last')
    throw r.error(`Unknown null order '${nullOrder}'`)
  return { sourceId: r.int('source-id'), transform: readTransform(r), direction, nullOrder }
}
