import { ValidationError } from '@lake/errors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Schema } from '../spec/schema.js'
import { Types } from '../spec/types.js'
import { ColumnBuilder, columnBatch, concatRanges, takeRows } from './column-batch.js'
import {
  concatTyped,
  isTypedColumn,
  sliceTyped,
  type TypedColumn,
  TypedColumnBuilder,
  takeTyped,
  typedColumnProblem,
  typedValues,
} from './typed-column.js'

const LONG = Types.long
const STRING = Types.string

describe('TypedColumnBuilder', () => {
  it('grows past its capacity, keeping every row', () => {
    const builder = new TypedColumnBuilder('int32', 16)
    for (let r = 0; r < 1000; r++) builder.setNumber(r, r * 3 - 500)
    const column = builder.take()
    expect(column.length).toBe(1000)
    expect(column.valid).toBeUndefined()
    expect(typedValues(column, Types.int)).toEqual(Array.from({ length: 1000 }, (_, r) => r * 3 - 500))
  })

  it('marks rows before the first null valid, and rows after it by what they are', () => {
    const builder = new TypedColumnBuilder('float64', 16)
    for (let r = 0; r < 40; r++) builder.setNumber(r, r + 0.5)
    builder.setNull(40)
    for (let r = 41; r < 100; r++) {
      if (r % 7 === 0) builder.setNull(r)
      else builder.setNumber(r, r + 0.5)
    }
    const column = builder.take()
    expect(column.valid).toBeDefined()
    expect(typedValues(column, Types.double)).toEqual(
      Array.from({ length: 100 }, (_, r) => (r === 40 || (r > 40 && r % 7 === 0) ? null : r + 0.5)),
    )
  })

  it('writes int64 values from numbers, negatives and the largest safe integers included', () => {
    const numbers = [0, 1, -1, 2 ** 32, -(2 ** 32), 2 ** 32 + 5, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1)]
    const builder = new TypedColumnBuilder('int64')
    for (const [r, n] of numbers.entries()) builder.setInt64Number(r, n)
    expect(typedValues(builder.take(), LONG)).toEqual(numbers.map(BigInt))
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger()), (values) => {
        for (const [r, n] of values.entries()) builder.setInt64Number(r, n)
        expect(typedValues(builder.take(), LONG)).toEqual(values.map(BigInt))
      }),
    )
  })

  it('drops truncated byte rows and their bytes, and writes on after them', () => {
    const builder = new TypedColumnBuilder('bytes', 16)
    builder.setString(0, 'first')
    builder.setString(1, 'é and 😀')
    builder.setNull(2)
    builder.setString(3, 'refused')
    builder.truncate(2)
    expect(builder.byteLength).toBe(5 + Buffer.byteLength('é and 😀'))
    const source = new TextEncoder().encode('xxkeptxx')
    builder.setBytes(2, source, 2, 6)
    builder.setString(3, 'x'.repeat(500))
    const column = builder.take()
    expect(typedValues(column, STRING)).toEqual(['first', 'é and 😀', 'kept', 'x'.repeat(500)])
    // The null was truncated with the rows after it: none is left.
    expect(column.valid).toBeUndefined()
    expect(() => builder.truncate(1)).toThrow(ValidationError)
  })

  it('writes byte rows in place: room reserved, the bytes written, the row ended where they end', () => {
    const builder = new TypedColumnBuilder('bytes', 2)
    builder.setString(0, 'ab')
    // More room than the row takes, past the capacity: the data grows, the row keeps its length.
    let at = builder.reserveBytes(1, 1_000)
    for (const byte of new TextEncoder().encode('cde')) builder.data[at++] = byte
    builder.endBytes(1, at)
    builder.setNull(2)
    // A row begun and not ended is dropped by truncate, its bytes with it.
    at = builder.reserveBytes(3, 10)
    builder.data[at] = 120
    builder.truncate(3)
    at = builder.reserveBytes(3, 4)
    builder.data[at] = 102
    builder.endBytes(3, at + 1)
    expect(builder.byteLength).toBe(6)
    expect(typedValues(builder.take(), STRING)).toEqual(['ab', 'cde', null, 'f'])
  })

  it('starts empty after take, and the column taken does not change as the builder is reused', () => {
    const builder = new TypedColumnBuilder('bytes')
    builder.setString(0, 'a')
    builder.setNull(1)
    const first = builder.take()
    expect(builder.length).toBe(0)
    expect(builder.byteLength).toBe(0)
    builder.setString(0, 'bb')
    builder.setString(1, 'c')
    const second = builder.take()
    expect(typedValues(first, STRING)).toEqual(['a', null])
    expect(typedValues(second, STRING)).toEqual(['bb', 'c'])
    expect(second.valid).toBeUndefined()
  })

  it('views its rows without copying them, unchanged as rows are added and the arrays grow, until cleared', () => {
    const builder = new TypedColumnBuilder('bytes', 16)
    builder.setString(0, 'a')
    builder.setNull(1)
    const view = builder.view()
    for (let r = 2; r < 100; r++) builder.setString(r, `value ${r}`)
    expect(typedValues(view, STRING)).toEqual(['a', null])
    const all = builder.view()
    expect(typedValues(all, STRING)).toHaveLength(100)
    builder.clear()
    expect(builder.length).toBe(0)
    expect(builder.byteLength).toBe(0)
    builder.setString(0, 'z')
    // The arrays are filled again: the last view sees its first row written over.
    expect(typedValues(builder.view(), STRING)).toEqual(['z'])
    expect((all as { data: Uint8Array }).data.buffer).toBe(
      (builder.view() as { data: Uint8Array }).data.buffer,
    )
    expect(typedValues(all, STRING)[0]).toBe('z')
  })
})

const schema = new Schema([
  { id: 1, name: 'id', required: true, type: Types.long },
  { id: 2, name: 'name', required: false, type: Types.string },
  { id: 3, name: 'price', required: false, type: Types.decimal(9, 2) },
  { id: 4, name: 'big', required: false, type: Types.decimal(18, 2) },
  { id: 5, name: 'at', required: false, type: Types.timestamptz },
  { id: 6, name: 'ok', required: false, type: Types.boolean },
  { id: 7, name: 'ratio', required: false, type: Types.float },
  { id: 8, name: 'tags', required: false, type: Types.list(9, Types.string) },
  { id: 10, name: 'blob', required: false, type: Types.binary },
])

const inputs = [
  {
    id: 1,
    name: 'a',
    price: '2.50',
    big: '12345678901.25',
    at: '2024-01-05T13:00:00Z',
    ok: true,
    ratio: 0.5,
  },
  { id: 2, tags: ['x', null], blob: new Uint8Array([1, 2]) },
  { id: -3, name: 'ünï', price: -1, ok: false, ratio: -0, blob: new Uint8Array() },
]

/** A batch's columns as arrays of internal values, typed ones read out. */
const values = (batch: { columns: readonly (readonly unknown[] | TypedColumn)[] }) =>
  batch.columns.map((column, c) =>
    isTypedColumn(column) ? typedValues(column, schema.fields[c]!.type) : [...column],
  )

describe('ColumnBuilder typed', () => {
  it('holds the same values as an untyped builder, flat fields in typed columns', () => {
    const typed = new ColumnBuilder(schema, { typed: true })
    const plain = new ColumnBuilder(schema)
    for (const input of inputs) {
      typed.add(input)
      plain.add(input)
    }
    const batch = typed.take()
    expect(batch.columns.map((c) => (isTypedColumn(c) ? c.kind : 'array'))).toEqual([
      'int64',
      'bytes',
      'int32',
      'int64',
      'int64',
      'boolean',
      'float32',
      'array',
      'bytes',
    ])
    expect(values(batch)).toEqual(plain.take().columns)
  })

  it('adds nothing of a refused row and drops truncated rows', () => {
    const typed = new ColumnBuilder(schema, { typed: true })
    const plain = new ColumnBuilder(schema)
    for (const builder of [typed, plain]) {
      builder.add(inputs[0])
      expect(() => builder.add({ id: 4, name: 'kept?', price: 'cheap' })).toThrow(ValidationError)
      builder.add(inputs[1])
      builder.addValues([9n, 'z', 1n, 2n, 3n, true, 1.5, null, null])
      builder.truncate(2)
      builder.add(inputs[2])
    }
    expect(values(typed.take())).toEqual(plain.take().columns)
  })

  it('views the rows added, keeps them while more are added, refuses to truncate them, and starts over when cleared', () => {
    const typed = new ColumnBuilder(schema, { typed: true })
    const plain = new ColumnBuilder(schema)
    typed.add(inputs[0])
    typed.add(inputs[1])
    const view = typed.view()
    typed.add(inputs[2])
    expect(() => typed.truncate(1)).toThrow(/of which 2 are viewed/)
    typed.truncate(2)
    typed.add(inputs[2])
    plain.add(inputs[0])
    plain.add(inputs[1])
    expect(view.rowCount).toBe(2)
    expect(values(view)).toEqual(plain.take().columns)
    expect(typed.view().rowCount).toBe(3)
    typed.clear()
    expect(typed.rowCount).toBe(0)
    typed.add(inputs[1])
    typed.truncate(0)
    typed.add(inputs[2])
    plain.add(inputs[2])
    expect(values(typed.take())).toEqual(plain.take().columns)
  })
})

const int = (values: (number | null)[]): TypedColumn => {
  const builder = new TypedColumnBuilder('int32')
  for (const [r, v] of values.entries()) {
    if (v === null) builder.setNull(r)
    else builder.setNumber(r, v)
  }
  return builder.take()
}
const strings = (values: (string | null)[]): TypedColumn => {
  const builder = new TypedColumnBuilder('bytes')
  for (const [r, v] of values.entries()) {
    if (v === null) builder.setNull(r)
    else builder.setString(r, v)
  }
  return builder.take()
}

describe('typed column ranges', () => {
  it('concatenate into one column, with a validity array only where a row taken is null', () => {
    const a = strings(['a', null, 'ccc'])
    const b = strings(['dd', 'e'])
    const joined = concatTyped([
      { column: a, start: 2, end: 3 },
      { column: b, start: 0, end: 2 },
    ])
    expect(typedValues(joined, STRING)).toEqual(['ccc', 'dd', 'e'])
    expect(joined.valid).toBeUndefined()
    const nulls = concatTyped([
      { column: b, start: 1, end: 2 },
      { column: a, start: 0, end: 3 },
    ])
    expect(typedValues(nulls, STRING)).toEqual(['e', 'a', null, 'ccc'])
    expect(nulls.kind === 'bytes' && [...nulls.offsets]).toEqual([0, 1, 2, 2, 5])
  })

  it('are taken by index and sliced as copies of their rows alone', () => {
    const column = int([5, null, 7, 8])
    expect(typedValues(takeTyped(column, [3, 2, 2, 0]), Types.int)).toEqual([8, 7, 7, 5])
    expect(takeTyped(column, [3, 0]).valid).toBeUndefined()
    expect(typedValues(takeTyped(column, [1, 0]), Types.int)).toEqual([null, 5])
    const slice = sliceTyped(column, 2)
    expect(typedValues(slice, Types.int)).toEqual([7, 8])
    expect(slice.kind !== 'bytes' && slice.values.buffer.byteLength).toBe(8)
    const text = strings(['x', null, 'yz', 'w'])
    expect(typedValues(takeTyped(text, [2, 1, 3]), STRING)).toEqual(['yz', null, 'w'])
  })

  it('stay typed through takeRows and concatRanges, and become values where batches mix', () => {
    const small = new Schema([{ id: 1, name: 'n', required: false, type: Types.int }])
    const typed = { rowCount: 3, columns: [int([1, null, 3])] }
    const taken = takeRows(typed, [2, 0])
    expect(isTypedColumn(taken.columns[0]!)).toBe(true)
    expect(typedValues(taken.columns[0] as TypedColumn, Types.int)).toEqual([3, 1])
    const types = small.fields.map((f) => f.type)
    expect(concatRanges([{ batch: typed, start: 0, end: 3 }], types)[0]).toBe(typed.columns[0])
    const both = concatRanges(
      [
        { batch: typed, start: 1, end: 3 },
        { batch: typed, start: 0, end: 1 },
      ],
      types,
    )[0]!
    expect(isTypedColumn(both) && typedValues(both, Types.int)).toEqual([null, 3, 1])
    const mixed = concatRanges(
      [
        { batch: typed, start: 0, end: 2 },
        { batch: columnBatch(small, [{ n: 9 }]), start: 0, end: 1 },
      ],
      types,
    )[0]!
    expect(mixed).toEqual([1, null, 9])
  })
})

describe('typedColumnProblem', () => {
  it('accepts what a builder takes and names what is wrong with other columns', () => {
    expect(typedColumnProblem(int([1, null]), 'int32')).toBeUndefined()
    expect(typedColumnProblem(int([1]), 'int64')).toMatch(/int32 values, not int64/)
    expect(
      typedColumnProblem({ kind: 'int32', length: 3, valid: undefined, values: new Int32Array(2) }, 'int32'),
    ).toMatch(/2 values for 3 rows/)
    expect(
      typedColumnProblem(
        { kind: 'int32', length: 1, valid: new Uint8Array([2]), values: new Int32Array(1) },
        'int32',
      ),
    ).toMatch(/validity byte/)
    expect(
      typedColumnProblem(
        {
          kind: 'bytes',
          length: 2,
          valid: undefined,
          offsets: new Int32Array([0, 3, 1]),
          data: new Uint8Array(3),
        },
        'bytes',
      ),
    ).toMatch(/falling offset/)
    expect(
      typedColumnProblem(
        {
          kind: 'bytes',
          length: 1,
          valid: undefined,
          offsets: new Int32Array([0, 4]),
          data: new Uint8Array(3),
        },
        'bytes',
      ),
    ).toMatch(/outside its data/)
    expect(
      typedColumnProblem(
        { kind: 'boolean', length: 1, valid: undefined, values: new Uint8Array([2]) },
        'boolean',
      ),
    ).toMatch(/boolean/)
  })
})
