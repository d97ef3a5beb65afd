import { Schema, Types } from '@lake/catalog'
import { describe, expect, it } from 'vitest'
import { migrateBatch } from './migrate.js'

const device = (fields: { id: number; name: string; type: typeof Types.string }[]) =>
  Types.struct(fields.map((f) => ({ ...f, required: false })))

const before = new Schema(
  [
    { id: 1, name: 'id', required: true, type: Types.long },
    { id: 2, name: 'n', required: false, type: Types.int },
    { id: 3, name: 'device', required: false, type: device([{ id: 4, name: 'os', type: Types.string }]) },
    {
      id: 5,
      name: 'items',
      required: false,
      type: Types.list(6, device([{ id: 7, name: 'sku', type: Types.string }])),
    },
  ],
  0,
)

const after = new Schema(
  [
    { id: 1, name: 'id', required: true, type: Types.long },
    { id: 2, name: 'n', required: false, type: Types.long },
    {
      id: 3,
      name: 'device',
      required: false,
      type: device([
        { id: 4, name: 'os', type: Types.string },
        { id: 8, name: 'model', type: Types.string },
      ]),
    },
    {
      id: 5,
      name: 'items',
      required: false,
      type: Types.list(
        6,
        device([
          { id: 7, name: 'sku', type: Types.string },
          { id: 9, name: 'qty', type: Types.long },
        ]),
      ),
    },
    { id: 10, name: 'country', required: false, type: Types.string },
  ],
  1,
)

const batch = {
  rowCount: 2,
  columns: [
    [1n, 2n],
    [5, null],
    [{ os: 'ios' }, null],
    [[{ sku: 'a' }], null],
  ],
}

describe('migrateBatch', () => {
  it('carries rows over to added optional columns (null), nested fields (null) and widened ints (bigint)', () => {
    expect(migrateBatch(batch, before, after)).toEqual({
      rowCount: 2,
      columns: [
        [1n, 2n],
        [5n, null],
        [{ os: 'ios', model: null }, null],
        [[{ sku: 'a', qty: null }], null],
        [null, null],
      ],
    })
  })

  it('shares the columns that do not change', () => {
    expect(migrateBatch(batch, before, after)!.columns[0]).toBe(batch.columns[0])
  })

  it('refuses a schema that dropped, renamed or required a column', () => {
    const renamed = new Schema(
      before.fields.map((f) => (f.id === 2 ? { ...f, name: 'm' } : f)),
      1,
    )
    const dropped = new Schema(before.fields.slice(1), 1)
    const required = new Schema(
      [...before.fields, { id: 9, name: 'x', required: true, type: Types.string }],
      1,
    )
    for (const to of [renamed, dropped, required]) expect(migrateBatch(batch, before, to)).toBeUndefined()
  })
})
