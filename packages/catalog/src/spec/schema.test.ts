import { ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { Schema, schemaFromJson, schemaToJson } from './schema.js'
import { Types } from './types.js'

const specExample = {
  type: 'struct',
  'schema-id': 3,
  'identifier-field-ids': [1],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'amount', required: false, type: 'decimal(9, 2)', doc: 'in EUR' },
    { id: 3, name: 'hash', required: false, type: 'fixed[16]' },
    {
      id: 4,
      name: 'location',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 5, name: 'lat', required: true, type: 'double' },
          { id: 6, name: 'lon', required: true, type: 'double' },
        ],
      },
    },
    {
      id: 7,
      name: 'tags',
      required: false,
      type: { type: 'list', 'element-id': 8, 'element-required': true, element: 'string' },
    },
    {
      id: 9,
      name: 'props',
      required: false,
      type: {
        type: 'map',
        'key-id': 10,
        key: 'string',
        'value-id': 11,
        'value-required': false,
        value: 'timestamptz',
      },
    },
  ],
}

describe('Schema JSON', () => {
  it('round-trips the spec form exactly', () => {
    const schema = schemaFromJson(specExample)
    expect(schemaToJson(schema)).toEqual(specExample)
  })

  it('indexes nested fields by id and dotted name', () => {
    const schema = schemaFromJson(specExample)
    expect(schema.findField(6)?.name).toBe('lon')
    expect(schema.findColumnName(6)).toBe('location.lon')
    expect(schema.findFieldByName('tags.element')?.id).toBe(8)
    expect(schema.findFieldByName('props.value')?.type).toEqual(Types.timestamptz)
    expect(schema.findFieldByName('LOCATION.LAT', false)?.id).toBe(5)
    expect(schema.parentId(5)).toBe(4)
    expect(schema.highestFieldId()).toBe(11)
  })

  it('reads v1 schemas that have no schema-id', () => {
    const { 'schema-id': _, ...v1 } = specExample
    expect(schemaFromJson(v1).schemaId).toBe(0)
  })

  it('rejects a field id used twice', () => {
    expect(
      () =>
        new Schema([
          { id: 1, name: 'a', required: true, type: Types.int },
          { id: 1, name: 'b', required: true, type: Types.int },
        ]),
    ).toThrow(ValidationError)
  })

  it('reports an unknown type with the file it came from', () => {
    expect(() =>
      schemaFromJson(
        { type: 'struct', fields: [{ id: 1, name: 'a', required: true, type: 'varchar' }] },
        'v1.metadata.json',
      ),
    ).toThrow(/Unknown type 'varchar' in v1.metadata.json/)
  })
})
