import { CorruptFileError, ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import {
  assignPartitionFieldIds,
  buildPartitionSpec,
  hasSequentialIds,
  isPartitioned,
  lastAssignedFieldId,
  type PartitionSpec,
  partitionSpecFromJson,
  partitionSpecFromV1Fields,
  partitionSpecsEqual,
  partitionSpecToJson,
  partitionType,
  specCompatible,
  UNPARTITIONED,
  unboundPartitionSpecFromJson,
  validatePartitionSpec,
} from './partition-spec.js'
import { Schema } from './schema.js'
import { Types } from './types.js'

const schema = new Schema([
  { id: 1, name: 'id', required: true, type: Types.long },
  { id: 2, name: 'data', required: false, type: Types.string },
  { id: 3, name: 'ts', required: false, type: Types.timestamptz },
  { id: 4, name: 'flag', required: false, type: Types.boolean },
  {
    id: 5,
    name: 'location',
    required: false,
    type: Types.struct([{ id: 6, name: 'city', required: false, type: Types.string }]),
  },
  { id: 7, name: 'tags', required: false, type: Types.list(8, Types.string) },
])

const bucket = (numBuckets: number) => ({ kind: 'bucket' as const, numBuckets })
const identity = { kind: 'identity' as const }
const day = { kind: 'day' as const }

describe('partition spec JSON', () => {
  it('writes fields in the key order of Java’s PartitionSpecParser', () => {
    const spec: PartitionSpec = {
      specId: 1,
      fields: [
        { sourceId: 1, fieldId: 1000, name: 'id', transform: identity },
        { sourceId: 2, fieldId: 1001, name: 'data_bucket', transform: bucket(16) },
        { sourceId: 2, fieldId: 1002, name: 'data_trunc', transform: { kind: 'truncate', width: 4 } },
      ],
    }
    const json = partitionSpecToJson(spec)
    expect(json).toEqual({
      'spec-id': 1,
      fields: [
        { name: 'id', transform: 'identity', 'source-id': 1, 'field-id': 1000 },
        { name: 'data_bucket', transform: 'bucket[16]', 'source-id': 2, 'field-id': 1001 },
        { name: 'data_trunc', transform: 'truncate[4]', 'source-id': 2, 'field-id': 1002 },
      ],
    })
    expect(Object.keys((json.fields as object[])[0]!)).toEqual(['name', 'transform', 'source-id', 'field-id'])
    expect(partitionSpecFromJson(json)).toEqual(spec)
  })

  it('numbers v1 fields without ids from 1000 by position', () => {
    const spec = partitionSpecFromV1Fields([
      { name: 'x', transform: 'identity', 'source-id': 1 },
      { name: 'y', transform: 'bucket[4]', 'source-id': 2 },
    ])
    expect(spec.specId).toBe(0)
    expect(spec.fields.map((f) => f.fieldId)).toEqual([1000, 1001])
    expect(partitionSpecFromV1Fields(undefined)).toEqual(UNPARTITIONED)
  })

  it('keeps ids unassigned in an unbound spec, as REST add-spec sends it', () => {
    const unbound = unboundPartitionSpecFromJson({
      fields: [{ name: 'x', transform: 'day', 'source-id': 3 }],
    })
    expect(unbound).toEqual({ fields: [{ name: 'x', transform: day, sourceId: 3 }] })
    expect(partitionSpecToJson(unbound)).toEqual({
      fields: [{ name: 'x', transform: 'day', 'source-id': 3 }],
    })
  })

  it('reports unknown transforms and missing members as a corrupt file', () => {
    expect(() =>
      partitionSpecFromJson(
        { 'spec-id': 0, fields: [{ name: 'x', transform: 'zorder', 'source-id': 1 }] },
        'f.json',
      ),
    ).toThrow(CorruptFileError)
    expect(() => partitionSpecFromJson({ fields: [] }, 'f.json')).toThrow(
      /'spec-id' must be an integer in f\.json/,
    )
  })
})

describe('partitionType', () => {
  it('types each field by its transform’s result, all optional', () => {
    const spec = buildPartitionSpec(schema, [
      { sourceId: 1, transform: identity },
      { sourceId: 2, transform: bucket(8) },
      { sourceId: 2, transform: { kind: 'truncate', width: 3 } },
    ])
    expect(partitionType(spec, schema)).toEqual(
      Types.struct([
        { id: 1000, name: 'id', required: false, type: Types.long },
        { id: 1001, name: 'data_bucket', required: false, type: Types.int },
        { id: 1002, name: 'data_trunc', required: false, type: Types.string },
      ]),
    )
    expect(partitionType(UNPARTITIONED, schema)).toEqual(Types.struct([]))
  })

  it('refuses a field whose source column is gone', () => {
    const spec: PartitionSpec = {
      specId: 0,
      fields: [{ sourceId: 99, fieldId: 1000, name: 'x', transform: identity }],
    }
    expect(() => partitionType(spec, schema)).toThrow(ValidationError)
  })
})

describe('buildPartitionSpec', () => {
  it('names fields as Java does and numbers them from 1000', () => {
    const spec = buildPartitionSpec(schema, [
      { sourceId: 1, transform: identity },
      { sourceId: 3, transform: day },
      { sourceId: 2, transform: bucket(16) },
      { sourceId: 2, transform: { kind: 'truncate', width: 2 } },
      { sourceId: 6, transform: identity },
      { sourceId: 4, transform: { kind: 'void' } },
    ])
    expect(spec.specId).toBe(0)
    expect(spec.fields.map((f) => [f.fieldId, f.name])).toEqual([
      [1000, 'id'],
      [1001, 'ts_day'],
      [1002, 'data_bucket'],
      [1003, 'data_trunc'],
      [1004, 'location.city'],
      [1005, 'flag_null'],
    ])
  })

  it('numbers after lastAssignedFieldId and keeps explicit names and ids', () => {
    const spec = buildPartitionSpec(
      schema,
      [
        { sourceId: 3, transform: day, name: 'day', fieldId: 1000 },
        { sourceId: 1, transform: bucket(4), name: 'shard' },
      ],
      { specId: 2, lastAssignedFieldId: 1003 },
    )
    expect(spec).toEqual({
      specId: 2,
      fields: [
        { sourceId: 3, fieldId: 1000, name: 'day', transform: day },
        { sourceId: 1, fieldId: 1004, name: 'shard', transform: bucket(4) },
      ],
    })
  })

  it.each([
    ['a missing source column', [{ sourceId: 42, transform: identity }], /Cannot find source column 42/],
    ['a struct source', [{ sourceId: 5, transform: identity }], /non-primitive column 'location'/],
    [
      'a transform that does not suit the source',
      [{ sourceId: 2, transform: day }],
      /Cannot apply day to column 'data'/,
    ],
    ['an element of a list', [{ sourceId: 8, transform: identity }], /inside a list or map/],
    ['an empty name', [{ sourceId: 1, transform: bucket(2), name: '' }], /empty partition name/],
    [
      'a name used twice',
      [
        { sourceId: 1, transform: bucket(2), name: 'p' },
        { sourceId: 2, transform: bucket(2), name: 'p' },
      ],
      /'p' more than once/,
    ],
    [
      'a transform named like a column',
      [{ sourceId: 1, transform: bucket(2), name: 'data' }],
      /a schema column has that name/,
    ],
    [
      'an identity named like another column',
      [{ sourceId: 1, transform: identity, name: 'data' }],
      /different column/,
    ],
    [
      'two time transforms of one column',
      [
        { sourceId: 3, transform: day },
        { sourceId: 3, transform: { kind: 'hour' as const } },
      ],
      /redundant partition field 'ts_hour'/,
    ],
    [
      'one transform twice',
      [
        { sourceId: 2, transform: bucket(4), name: 'a' },
        { sourceId: 2, transform: bucket(4), name: 'b' },
      ],
      /redundant/,
    ],
    [
      'one field id twice',
      [
        { sourceId: 1, transform: identity, fieldId: 1000 },
        { sourceId: 2, transform: identity, fieldId: 1000 },
      ],
      /id 1000 is used twice/,
    ],
  ])('refuses %s', (_, fields, message) => {
    expect(() => buildPartitionSpec(schema, fields)).toThrow(ValidationError)
    expect(() => buildPartitionSpec(schema, fields)).toThrow(message)
  })

  it('allows different buckets of one column', () => {
    const spec = buildPartitionSpec(schema, [
      { sourceId: 2, transform: bucket(4) },
      { sourceId: 2, transform: bucket(8), name: 'data_bucket_8' },
    ])
    expect(spec.fields).toHaveLength(2)
  })
})

describe('spec helpers', () => {
  const base: PartitionSpec = {
    specId: 0,
    fields: [{ sourceId: 1, fieldId: 1000, name: 'id', transform: identity }],
  }

  it('compares specs with and without their ids', () => {
    const renumbered = { specId: 3, fields: [{ ...base.fields[0]!, fieldId: 1005 }] }
    expect(specCompatible(base, renumbered)).toBe(true)
    expect(partitionSpecsEqual(base, renumbered)).toBe(false)
    expect(partitionSpecsEqual(base, { ...base, fields: [...base.fields] })).toBe(true)
    expect(specCompatible(base, { specId: 0, fields: [{ ...base.fields[0]!, name: 'other' }] })).toBe(false)
    expect(specCompatible(base, { specId: 0, fields: [{ ...base.fields[0]!, transform: bucket(2) }] })).toBe(
      false,
    )
    expect(specCompatible(base, UNPARTITIONED)).toBe(false)
  })

  it('knows the last assigned id, sequential ids and whether data is partitioned', () => {
    expect(lastAssignedFieldId(UNPARTITIONED)).toBe(999)
    expect(lastAssignedFieldId(base)).toBe(1000)
    expect(hasSequentialIds(base)).toBe(true)
    expect(hasSequentialIds({ specId: 0, fields: [{ ...base.fields[0]!, fieldId: 1001 }] })).toBe(false)
    expect(isPartitioned(base)).toBe(true)
    expect(isPartitioned(UNPARTITIONED)).toBe(false)
    expect(isPartitioned({ specId: 1, fields: [{ ...base.fields[0]!, transform: { kind: 'void' } }] })).toBe(
      false,
    )
  })

  it('lets a void field keep a source column that was dropped', () => {
    expect(() =>
      validatePartitionSpec(
        { fields: [{ sourceId: 99, fieldId: 1000, name: 'gone', transform: { kind: 'void' } }] },
        schema,
      ),
    ).not.toThrow()
  })
})

describe('assignPartitionFieldIds', () => {
  const spec0: PartitionSpec = {
    specId: 0,
    fields: [{ sourceId: 1, fieldId: 1000, name: 'id', transform: identity }],
  }
  const spec1: PartitionSpec = {
    specId: 1,
    fields: [{ sourceId: 2, fieldId: 1001, name: 'data_bucket', transform: bucket(10) }],
  }

  it('reuses the id of an equivalent field of any earlier spec and numbers new fields after the last', () => {
    const fields = assignPartitionFieldIds(
      {
        fields: [
          { sourceId: 1, name: 'id', transform: identity },
          { sourceId: 2, name: 'data_bucket', transform: bucket(10) },
          { sourceId: 3, name: 'ts_year', transform: { kind: 'year' } },
          { sourceId: 2, name: 'data_bucket_20', transform: bucket(20) },
        ],
      },
      [spec0, spec1],
      1001,
      2,
    )
    expect(fields.map((f) => f.fieldId)).toEqual([1000, 1001, 1002, 1003])
  })

  it('keeps ids the caller assigned', () => {
    const fields = assignPartitionFieldIds(
      { fields: [{ sourceId: 1, name: 'id', transform: identity, fieldId: 1007 }] },
      [spec0],
      1001,
      2,
    )
    expect(fields[0]!.fieldId).toBe(1007)
  })

  it('numbers v1 fields by position', () => {
    const fields = assignPartitionFieldIds(
      {
        fields: [
          { sourceId: 2, name: 'data_bucket', transform: bucket(10) },
          { sourceId: 1, name: 'id', transform: identity },
        ],
      },
      [spec0, spec1],
      1001,
      1,
    )
    expect(fields.map((f) => f.fieldId)).toEqual([1000, 1001])
  })
})
