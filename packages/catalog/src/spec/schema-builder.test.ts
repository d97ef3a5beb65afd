import { ValidationError } from '@lake/errors'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { schemaToJson } from './schema.js'
import { col, defineSchema, type InferRow, schemaFromZod, type TimestampInput } from './schema-builder.js'
import { Types } from './types.js'

describe('defineSchema', () => {
  const events = defineSchema(
    {
      id: col.long().required(),
      ts: col.timestamptz().required().describe('event time'),
      kind: col.string(),
      amount: col.decimal(9, 2),
      device: col.struct({ os: col.string(), version: col.int().required() }),
      tags: col.list(col.string().required()),
      props: col.map(col.string(), col.double()),
    },
    { identifierFields: ['id'] },
  )

  it('assigns ids as Iceberg Java does: a struct’s fields first, then nested ones', () => {
    expect(schemaToJson(events.schema)).toEqual({
      type: 'struct',
      'schema-id': 0,
      'identifier-field-ids': [1],
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' },
        { id: 2, name: 'ts', required: true, type: 'timestamptz', doc: 'event time' },
        { id: 3, name: 'kind', required: false, type: 'string' },
        { id: 4, name: 'amount', required: false, type: 'decimal(9, 2)' },
        {
          id: 5,
          name: 'device',
          required: false,
          type: {
            type: 'struct',
            fields: [
              { id: 8, name: 'os', required: false, type: 'string' },
              { id: 9, name: 'version', required: true, type: 'int' },
            ],
          },
        },
        {
          id: 6,
          name: 'tags',
          required: false,
          type: { type: 'list', 'element-id': 10, 'element-required': true, element: 'string' },
        },
        {
          id: 7,
          name: 'props',
          required: false,
          type: {
            type: 'map',
            'key-id': 11,
            key: 'string',
            'value-id': 12,
            'value-required': false,
            value: 'double',
          },
        },
      ],
    })
  })

  it('infers the row type', () => {
    type Row = InferRow<typeof events>
    expectTypeOf<Row['id']>().toEqualTypeOf<bigint | number>()
    expectTypeOf<Row['ts']>().toEqualTypeOf<TimestampInput>()
    expectTypeOf<Row['kind']>().toEqualTypeOf<string | null | undefined>()
    expectTypeOf<NonNullable<Row['device']>['version']>().toEqualTypeOf<number>()
    const row: Row = { id: 1n, ts: new Date() }
    expect(row.id).toBe(1n)
  })

  it('refuses an identifier field that is not a column', () => {
    expect(() => defineSchema({ a: col.int() }, { identifierFields: ['b' as 'a'] })).toThrow(ValidationError)
  })
})

describe('schemaFromZod', () => {
  it('maps zod types to Iceberg types', () => {
    const Event = z.object({
      id: z.bigint(),
      n: z.int(),
      small: z.int32(),
      score: z.number(),
      ok: z.boolean(),
      at: z.date(),
      local: z.iso.datetime({ local: true }),
      zoned: z.iso.datetime({ offset: true }),
      day: z.iso.date(),
      uid: z.uuid(),
      name: z.string().optional(),
      kind: z.enum(['a', 'b']).nullable(),
      price: z.string().meta({ iceberg: 'decimal(9, 2)' }),
      tags: z.array(z.string()),
      attrs: z.record(z.string(), z.number().optional()),
      geo: z.object({ lat: z.number(), lon: z.number() }).optional(),
    })
    const { schema } = schemaFromZod(Event)
    const types = Object.fromEntries(schema.fields.map((f) => [f.name, [f.type, f.required]]))
    expect(types).toMatchObject({
      id: [Types.long, true],
      n: [Types.long, true],
      small: [Types.int, true],
      score: [Types.double, true],
      ok: [Types.boolean, true],
      at: [Types.timestamptz, true],
      local: [Types.timestamp, true],
      zoned: [Types.timestamptz, true],
      day: [Types.date, true],
      uid: [Types.uuid, true],
      name: [Types.string, false],
      kind: [Types.string, false],
      price: [Types.decimal(9, 2), true],
      tags: [Types.list(17, Types.string, true), true],
      attrs: [Types.map(18, Types.string, 19, Types.double, false), true],
    })
    expect(schema.findFieldByName('geo.lat')?.type).toEqual(Types.double)
    expect(schema.findFieldByName('geo')?.required).toBe(false)
  })

  it('names the field it cannot map', () => {
    expect(() => schemaFromZod(z.object({ blob: z.instanceof(Uint8Array) }))).toThrow(/'blob'/)
  })
})
