import { UnsupportedError, ValidationError } from '@lake/errors'
import {
  Schema as ArrowSchema,
  Dictionary,
  Field,
  FixedSizeBinary,
  Int8,
  Int32,
  LargeUtf8,
  List,
  Map_,
  Struct,
  TimestampMillisecond,
  TimestampNanosecond,
  Uint32,
  Uint64,
  Utf8,
} from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ARROW_EXTENSION_NAME_KEY,
  PARQUET_FIELD_ID_KEY,
  schemaFromArrow,
  schemaToArrow,
  typeToArrow,
} from './arrow-schema.js'
import { Schema, schemaToJson } from './schema.js'
import { type IcebergType, type NestedField, type PrimitiveType, Types } from './types.js'

const every: NestedField[] = [
  { id: 1, name: 'bool', required: true, type: Types.boolean },
  { id: 2, name: 'int', required: false, type: Types.int },
  { id: 3, name: 'long', required: false, type: Types.long },
  { id: 4, name: 'float', required: false, type: Types.float },
  { id: 5, name: 'double', required: false, type: Types.double },
  { id: 6, name: 'dec', required: false, type: Types.decimal(38, 10) },
  { id: 7, name: 'date', required: false, type: Types.date },
  { id: 8, name: 'time', required: false, type: Types.time },
  { id: 9, name: 'ts', required: false, type: Types.timestamp },
  { id: 10, name: 'tstz', required: false, type: Types.timestamptz },
  { id: 11, name: 'str', required: false, type: Types.string, doc: 'a doc' },
  { id: 12, name: 'uuid', required: false, type: Types.uuid },
  { id: 13, name: 'fixed', required: false, type: Types.fixed(16) },
  { id: 14, name: 'bin', required: false, type: Types.binary },
  {
    id: 15,
    name: 'point',
    required: false,
    type: Types.struct([
      { id: 16, name: 'x', required: true, type: Types.double },
      { id: 17, name: 'y', required: false, type: Types.double },
    ]),
  },
  { id: 18, name: 'tags', required: false, type: Types.list(19, Types.string, true) },
  { id: 20, name: 'attrs', required: true, type: Types.map(21, Types.string, 22, Types.long, false) },
]

describe('schemaToArrow', () => {
  it('maps every Iceberg type to its Arrow type', () => {
    const arrow = schemaToArrow(new Schema(every))
    expect(arrow.fields.map((f) => String(f.type))).toEqual([
      'Bool',
      'Int32',
      'Int64',
      'Float32',
      'Float64',
      'Decimal[38e+10]',
      'Date32<DAY>',
      'Time64<MICROSECOND>',
      'Timestamp<MICROSECOND>',
      'Timestamp<MICROSECOND, UTC>',
      'Utf8',
      'FixedSizeBinary[16]',
      'FixedSizeBinary[16]',
      'Binary',
      'Struct<{x:Float64, y:Float64}>',
      'List<Utf8>',
      'Map<{key:Utf8, value:Int64}>',
    ])
  })

  it('puts the field id in PARQUET:field_id metadata at every depth', () => {
    const arrow = schemaToArrow(new Schema(every))
    const id = (f: Field) => f.metadata.get(PARQUET_FIELD_ID_KEY)
    expect(arrow.fields.map(id)).toEqual(every.map((f) => String(f.id)))
    const point = arrow.fields[14]!.type as Struct
    expect(point.children.map(id)).toEqual(['16', '17'])
    const tags = arrow.fields[15]!.type as List
    expect(tags.children[0]!.name).toBe('element')
    expect(id(tags.children[0]!)).toBe('19')
    const attrs = arrow.fields[16]!.type as Map_
    const entries = attrs.children[0]!
    expect(entries.name).toBe('key_value')
    expect(entries.nullable).toBe(false)
    const [key, value] = (entries.type as Struct).children
    expect([key!.name, id(key!), key!.nullable]).toEqual(['key', '21', false])
    expect([value!.name, id(value!), value!.nullable]).toEqual(['value', '22', true])
  })

  it('makes required fields non-nullable and optional fields nullable', () => {
    const arrow = schemaToArrow(new Schema(every))
    expect(arrow.fields.map((f) => f.nullable)).toEqual(every.map((f) => !f.required))
    expect(((arrow.fields[14]!.type as Struct).children[0] as Field).nullable).toBe(false)
    expect(((arrow.fields[15]!.type as List).children[0] as Field).nullable).toBe(false)
  })

  it('marks uuid columns as the arrow.uuid extension, and only those', () => {
    const arrow = schemaToArrow(new Schema(every))
    expect(arrow.fields[11]!.metadata.get(ARROW_EXTENSION_NAME_KEY)).toBe('arrow.uuid')
    expect(arrow.fields[12]!.metadata.has(ARROW_EXTENSION_NAME_KEY)).toBe(false)
  })

  it('keeps doc strings', () => {
    expect(schemaToArrow(new Schema(every)).fields[10]!.metadata.get('doc')).toBe('a doc')
  })
})

describe('schemaFromArrow', () => {
  it('reads back the schema schemaToArrow wrote, ids and all', () => {
    const schema = new Schema(every)
    expect(schemaToJson(schemaFromArrow(schemaToArrow(schema)))).toEqual(schemaToJson(schema))
  })

  it('assigns fresh ids to a schema without ids: each struct level first, then nested fields', () => {
    const arrow = new ArrowSchema([
      new Field('a', new Int32(), false),
      new Field(
        'b',
        new Struct([
          new Field('c', new Utf8(), true),
          new Field('d', new List(new Field('item', new Int32(), false)), true),
        ]),
        true,
      ),
      new Field(
        'e',
        new Map_(
          new Field(
            'entries',
            new Struct([new Field('k', new Utf8(), false), new Field('v', new Int32(), true)]),
          ) as never,
        ),
        true,
      ),
    ])
    const schema = schemaFromArrow(arrow)
    expect(schemaToJson(schema)).toEqual({
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'a', required: true, type: 'int' },
        {
          id: 2,
          name: 'b',
          required: false,
          type: {
            type: 'struct',
            fields: [
              { id: 4, name: 'c', required: false, type: 'string' },
              {
                id: 5,
                name: 'd',
                required: false,
                type: { type: 'list', 'element-id': 6, 'element-required': true, element: 'int' },
              },
            ],
          },
        },
        {
          id: 3,
          name: 'e',
          required: false,
          type: {
            type: 'map',
            'key-id': 7,
            key: 'string',
            'value-id': 8,
            'value-required': false,
            value: 'int',
          },
        },
      ],
    })
  })

  it('starts fresh ids where asked', () => {
    const schema = schemaFromArrow(new ArrowSchema([new Field('a', new Int32())]), { firstFieldId: 100 })
    expect(schema.fields[0]!.id).toBe(100)
  })

  it('refuses a schema where only some fields carry ids', () => {
    const arrow = new ArrowSchema([
      new Field('a', new Int32(), true, new Map([[PARQUET_FIELD_ID_KEY, '1']])),
      new Field('b', new Int32()),
    ])
    expect(() => schemaFromArrow(arrow)).toThrow(ValidationError)
  })

  it('widens narrow and unsigned integers and reads large and dictionary types as their Iceberg types', () => {
    const schema = schemaFromArrow(
      new ArrowSchema([
        new Field('i8', new Int8()),
        new Field('u32', new Uint32()),
        new Field('big', new LargeUtf8()),
        new Field('dict', new Dictionary(new Utf8(), new Int32())),
        new Field('ms', new TimestampMillisecond('Europe/Paris')),
        new Field('fixed16', new FixedSizeBinary(16)),
      ]),
    )
    expect(schema.fields.map((f) => f.type.kind)).toEqual([
      'int',
      'long',
      'string',
      'string',
      'timestamptz',
      'fixed',
    ])
  })

  it('refuses types Iceberg cannot hold', () => {
    expect(() => schemaFromArrow(new ArrowSchema([new Field('u', new Uint64())]))).toThrow(UnsupportedError)
    expect(() => schemaFromArrow(new ArrowSchema([new Field('ns', new TimestampNanosecond())]))).toThrow(
      UnsupportedError,
    )
  })

  it('round-trips arbitrary schemas', () => {
    fc.assert(
      fc.property(arbitrarySchema(), (fields) => {
        const schema = new Schema(fields)
        expect(schemaToJson(schemaFromArrow(schemaToArrow(schema)))).toEqual(schemaToJson(schema))
      }),
      { numRuns: 200 },
    )
  })
})

describe('typeToArrow', () => {
  it('gives decimals 128 bits whatever their precision', () => {
    expect(typeToArrow(Types.decimal(9, 2))).toMatchObject({ precision: 9, scale: 2, bitWidth: 128 })
  })
})

const primitives: PrimitiveType[] = [
  Types.boolean,
  Types.int,
  Types.long,
  Types.float,
  Types.double,
  Types.date,
  Types.time,
  Types.timestamp,
  Types.timestamptz,
  Types.string,
  Types.uuid,
  Types.binary,
  Types.decimal(10, 3),
  Types.fixed(7),
]

/** Random nested schemas; ids are assigned afterwards so they are unique. */
function arbitrarySchema(): fc.Arbitrary<NestedField[]> {
  type Shape =
    | { k: 'p'; t: PrimitiveType }
    | { k: 's'; fields: { req: boolean; shape: Shape }[] }
    | { k: 'l'; req: boolean; el: Shape }
    | { k: 'm'; req: boolean; key: PrimitiveType; value: Shape }
  const { shape } = fc.letrec<{ shape: Shape }>((tie) => ({
    shape: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...primitives).map((t): Shape => ({ k: 'p', t })),
      fc
        .array(fc.record({ req: fc.boolean(), shape: tie('shape') }), { minLength: 1, maxLength: 3 })
        .map((fields): Shape => ({ k: 's', fields })),
      fc.record({ req: fc.boolean(), el: tie('shape') }).map(({ req, el }): Shape => ({ k: 'l', req, el })),
      fc
        .record({ req: fc.boolean(), key: fc.constantFrom(...primitives), value: tie('shape') })
        .map(({ req, key, value }): Shape => ({ k: 'm', req, key, value })),
    ),
  }))
  return fc.array(fc.record({ req: fc.boolean(), shape }), { minLength: 1, maxLength: 4 }).map((top) => {
    let next = 1
    const toType = (s: Shape): IcebergType => {
      switch (s.k) {
        case 'p':
          return s.t
        case 's':
          return Types.struct(toFields(s.fields))
        case 'l': {
          const id = next++
          return Types.list(id, toType(s.el), s.req)
        }
        case 'm': {
          const keyId = next++
          const valueId = next++
          return Types.map(keyId, s.key, valueId, toType(s.value), s.req)
        }
      }
    }
    const toFields = (fields: { req: boolean; shape: Shape }[]): NestedField[] =>
      fields.map((f, i) => {
        const id = next++
        return { id, name: `f${i}`, required: f.req, type: toType(f.shape) }
      })
    return toFields(top)
  })
}
