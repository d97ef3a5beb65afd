import { ColumnBuilder, isTypedColumn, Schema, type TypedColumn, Types, typedValues } from '@lake/catalog'
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

describe('migrateBatch of typed columns', () => {
  const flat = new Schema(
    [
      { id: 1, name: 'id', required: true, type: Types.long },
      { id: 2, name: 'n', required: false, type: Types.int },
      { id: 3, name: 'x', required: false, type: Types.float },
      { id: 4, name: 'tags', required: false, type: Types.list(5, Types.string) },
    ],
    0,
  )
  const wider = new Schema(
    [
      { id: 1, name: 'id', required: true, type: Types.long },
      { id: 2, name: 'n', required: false, type: Types.long },
      { id: 3, name: 'x', required: false, type: Types.double },
      { id: 4, name: 'tags', required: false, type: Types.list(5, Types.string) },
      { id: 6, name: 'note', required: false, type: Types.string },
      { id: 7, name: 'more', required: false, type: Types.list(8, Types.int) },
    ],
    1,
  )
  const builder = new ColumnBuilder(flat, { typed: true })
  const ns = [5, null, -(2 ** 31), 2 ** 31 - 1]
  for (const [i, n] of ns.entries()) builder.add({ id: i, n, x: i === 1 ? 0.5 : null, tags: ['a'] })
  const typed = builder.take()

  it('widens typed ints to typed longs and floats to doubles, sharing the columns that stay', () => {
    const migrated = migrateBatch(typed, flat, wider)!
    const [id, n, x, tags, note, more] = migrated.columns
    expect(id).toBe(typed.columns[0])
    expect(tags).toBe(typed.columns[3])
    expect(isTypedColumn(n!) && n.kind).toBe('int64')
    expect(typedValues(n as TypedColumn, Types.long)).toEqual(ns.map((v) => (v === null ? null : BigInt(v))))
    expect(isTypedColumn(x!) && x.kind).toBe('float64')
    expect(typedValues(x as TypedColumn, Types.double)).toEqual([null, 0.5, null, null])
    // A new flat field of a typed batch is a typed column of nulls; other new fields arrays of them.
    expect(isTypedColumn(note!) && typedValues(note, Types.string)).toEqual([null, null, null, null])
    expect(more).toEqual([null, null, null, null])
  })

  it('gives an untyped batch arrays of nulls for new flat fields', () => {
    const plain = new ColumnBuilder(flat)
    plain.add({ id: 1 })
    expect(migrateBatch(plain.take(), flat, wider)!.columns.slice(4)).toEqual([[null], [null]])
  })
})
