import { UnsupportedError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { Schema } from '../spec/schema.js'
import { type IcebergType, Types } from '../spec/types.js'
import { decimalBytes, leaves, parquetSchema } from './parquet-schema.js'

const column = (type: IcebergType, required = false) =>
  parquetSchema(new Schema([{ id: 7, name: 'c', required, type }]))[1]

describe('parquetSchema', () => {
  it('maps every primitive type as the spec’s Parquet appendix does', () => {
    expect(column(Types.boolean)).toEqual({
      name: 'c',
      repetition_type: 'OPTIONAL',
      field_id: 7,
      type: 'BOOLEAN',
    })
    expect(column(Types.int, true)).toMatchObject({ repetition_type: 'REQUIRED', type: 'INT32' })
    expect(column(Types.long)).toMatchObject({ type: 'INT64' })
    expect(column(Types.float)).toMatchObject({ type: 'FLOAT' })
    expect(column(Types.double)).toMatchObject({ type: 'DOUBLE' })
    expect(column(Types.date)).toMatchObject({
      type: 'INT32',
      converted_type: 'DATE',
      logical_type: { type: 'DATE' },
    })
    expect(column(Types.time)).toEqual({
      name: 'c',
      repetition_type: 'OPTIONAL',
      field_id: 7,
      type: 'INT64',
      logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' },
    })
    expect(column(Types.timestamp)).toMatchObject({
      type: 'INT64',
      converted_type: 'TIMESTAMP_MICROS',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' },
    })
    expect(column(Types.timestamptz)).toMatchObject({
      type: 'INT64',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
    })
    expect(column(Types.string)).toMatchObject({
      type: 'BYTE_ARRAY',
      converted_type: 'UTF8',
      logical_type: { type: 'STRING' },
    })
    expect(column(Types.uuid)).toMatchObject({
      type: 'FIXED_LEN_BYTE_ARRAY',
      type_length: 16,
      logical_type: { type: 'UUID' },
    })
    expect(column(Types.fixed(5))).toEqual({
      name: 'c',
      repetition_type: 'OPTIONAL',
      field_id: 7,
      type: 'FIXED_LEN_BYTE_ARRAY',
      type_length: 5,
    })
    expect(column(Types.binary)).toEqual({
      name: 'c',
      repetition_type: 'OPTIONAL',
      field_id: 7,
      type: 'BYTE_ARRAY',
    })
  })

  it('stores decimals in INT32 up to precision 9, INT64 up to 18, and the fewest fixed bytes beyond', () => {
    const decimal = (p: number, s: number) => ({
      converted_type: 'DECIMAL',
      precision: p,
      scale: s,
      logical_type: { type: 'DECIMAL', precision: p, scale: s },
    })
    expect(column(Types.decimal(9, 2))).toMatchObject({ type: 'INT32', ...decimal(9, 2) })
    expect(column(Types.decimal(10, 0))).toMatchObject({ type: 'INT64', ...decimal(10, 0) })
    expect(column(Types.decimal(18, 3))).toMatchObject({ type: 'INT64', ...decimal(18, 3) })
    expect(column(Types.decimal(19, 4))).toMatchObject({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: 9 })
    expect(column(Types.decimal(38, 10))).toMatchObject({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16 })
    // Java's TypeUtil.decimalRequiredBytes: the highest precision each byte length holds.
    const maxPrecision = [2, 4, 6, 9, 11, 14, 16, 18, 21, 23, 26, 28, 31, 33, 35, 38]
    for (let p = 1; p <= 38; p++) expect(decimalBytes(p)).toBe(maxPrecision.findIndex((max) => p <= max) + 1)
  })

  it('writes structs as groups, lists as list/element and maps as key_value/key/value, ids on Iceberg fields only', () => {
    const schema = new Schema([
      {
        id: 1,
        name: 'point',
        required: true,
        type: Types.struct([
          { id: 2, name: 'x', required: true, type: Types.double },
          { id: 3, name: 'tags', required: false, type: Types.list(4, Types.string, true) },
        ]),
      },
      { id: 5, name: 'attrs', required: false, type: Types.map(6, Types.string, 7, Types.long) },
    ])
    expect(parquetSchema(schema)).toEqual([
      { name: 'table', num_children: 2 },
      { name: 'point', repetition_type: 'REQUIRED', num_children: 2, field_id: 1 },
      { name: 'x', repetition_type: 'REQUIRED', field_id: 2, type: 'DOUBLE' },
      {
        name: 'tags',
        repetition_type: 'OPTIONAL',
        num_children: 1,
        converted_type: 'LIST',
        logical_type: { type: 'LIST' },
        field_id: 3,
      },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      {
        name: 'element',
        repetition_type: 'REQUIRED',
        field_id: 4,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
      },
      {
        name: 'attrs',
        repetition_type: 'OPTIONAL',
        num_children: 1,
        converted_type: 'MAP',
        logical_type: { type: 'MAP' },
        field_id: 5,
      },
      { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
      {
        name: 'key',
        repetition_type: 'REQUIRED',
        field_id: 6,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
      },
      { name: 'value', repetition_type: 'OPTIONAL', field_id: 7, type: 'INT64' },
    ])
    expect(leaves(schema).map((l) => [l.field.id, l.path.join('.'), l.repeated])).toEqual([
      [2, 'point.x', false],
      [4, 'point.tags.list.element', true],
      [6, 'attrs.key_value.key', true],
      [7, 'attrs.key_value.value', true],
    ])
  })

  it('refuses a struct without fields, which Parquet cannot store', () => {
    const schema = new Schema([{ id: 1, name: 'empty', required: false, type: Types.struct([]) }])
    expect(() => parquetSchema(schema)).toThrow(UnsupportedError)
    expect(() => parquetSchema(new Schema([]))).toThrow(UnsupportedError)
  })
})
