import { CorruptFileError, ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { Schema } from './schema.js'
import {
  isUnsorted,
  type SortOrder,
  sameSortOrder,
  sortField,
  sortOrderFromJson,
  sortOrderToJson,
  UNSORTED_ORDER,
  validateSortOrder,
} from './sort-order.js'
import { Types } from './types.js'

// The order of the spec's TableMetadataV2Valid.json example.
const specExample = {
  'order-id': 3,
  fields: [
    { transform: 'identity', 'source-id': 2, direction: 'asc', 'null-order': 'nulls-first' },
    { transform: 'bucket[4]', 'source-id': 3, direction: 'desc', 'null-order': 'nulls-last' },
  ],
}

const order: SortOrder = {
  orderId: 3,
  fields: [
    { sourceId: 2, transform: { kind: 'identity' }, direction: 'asc', nullOrder: 'nulls-first' },
    { sourceId: 3, transform: { kind: 'bucket', numBuckets: 4 }, direction: 'desc', nullOrder: 'nulls-last' },
  ],
}

describe('sort order JSON', () => {
  it('reads the spec’s example and writes it back in Java’s key order', () => {
    expect(sortOrderFromJson(specExample)).toEqual(order)
    const json = sortOrderToJson(order)
    expect(json).toEqual(specExample)
    expect(Object.keys((json.fields as object[])[0]!)).toEqual([
      'transform',
      'source-id',
      'direction',
      'null-order',
    ])
  })

  it('reads direction and null order case-insensitively, as Java does', () => {
    const parsed = sortOrderFromJson({
      'order-id': 1,
      fields: [{ transform: 'identity', 'source-id': 1, direction: 'DESC', 'null-order': 'NULLS_FIRST' }],
    })
    expect(parsed.fields[0]).toMatchObject({ direction: 'desc', nullOrder: 'nulls-first' })
  })

  it('round-trips the unsorted order', () => {
    expect(sortOrderToJson(UNSORTED_ORDER)).toEqual({ 'order-id': 0, fields: [] })
    expect(sortOrderFromJson({ 'order-id': 0, fields: [] })).toEqual(UNSORTED_ORDER)
    expect(isUnsorted(UNSORTED_ORDER)).toBe(true)
    expect(isUnsorted(order)).toBe(false)
  })

  it.each([
    [{ 'order-id': 0, fields: specExample.fields }, /reserved for unsorted/],
    [{ 'order-id': 2, fields: [] }, /must have id 0/],
    [{ 'order-id': 1, fields: [{ ...specExample.fields[0], direction: 'up' }] }, /Unknown sort direction/],
    [
      { 'order-id': 1, fields: [{ ...specExample.fields[0], 'null-order': 'nulls-middle' }] },
      /Unknown null order/,
    ],
    [{ 'order-id': 1, fields: [{ ...specExample.fields[0], transform: 'zorder' }] }, /Unknown transform/],
  ])('refuses %j', (json, message) => {
    expect(() => sortOrderFromJson(json, 'f.json')).toThrow(CorruptFileError)
    expect(() => sortOrderFromJson(json, 'f.json')).toThrow(message)
  })
})

describe('sort order helpers', () => {
  it('defaults like Java: identity, ascending, nulls first; descending puts nulls last', () => {
    expect(sortField(1)).toEqual({
      sourceId: 1,
      transform: { kind: 'identity' },
      direction: 'asc',
      nullOrder: 'nulls-first',
    })
    expect(sortField(1, { direction: 'desc' }).nullOrder).toBe('nulls-last')
    expect(sortField(1, { direction: 'desc', nullOrder: 'nulls-first' }).nullOrder).toBe('nulls-first')
  })

  it('compares orders ignoring their ids', () => {
    expect(sameSortOrder(order, { ...order, orderId: 7 })).toBe(true)
    expect(sameSortOrder(order, { orderId: 3, fields: order.fields.slice(0, 1) })).toBe(false)
    expect(
      sameSortOrder(order, {
        orderId: 3,
        fields: [order.fields[0]!, { ...order.fields[1]!, nullOrder: 'nulls-first' }],
      }),
    ).toBe(false)
  })

  it('validates source columns against a schema', () => {
    const schema = new Schema([
      { id: 1, name: 'id', required: true, type: Types.long },
      {
        id: 2,
        name: 's',
        required: false,
        type: Types.struct([{ id: 3, name: 'x', required: false, type: Types.int }]),
      },
    ])
    expect(() =>
      validateSortOrder({ orderId: 1, fields: [sortField(1), sortField(3)] }, schema),
    ).not.toThrow()
    expect(() => validateSortOrder({ orderId: 1, fields: [sortField(9)] }, schema)).toThrow(ValidationError)
    expect(() => validateSortOrder({ orderId: 1, fields: [sortField(2)] }, schema)).toThrow(/non-primitive/)
  })
})
