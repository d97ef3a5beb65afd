import { ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { Schema, schemaToJson } from '../spec/schema.js'
import { Types } from '../spec/types.js'
import { canPromote, SchemaUpdate } from './update-schema.js'

const base = new Schema(
  [
    { id: 1, name: 'id', required: true, type: Types.long },
    { id: 2, name: 'count', required: false, type: Types.int },
    { id: 3, name: 'ts', required: true, type: Types.timestamptz },
    {
      id: 4,
      name: 'device',
      required: false,
      type: Types.struct([
        { id: 5, name: 'os', required: false, type: Types.string },
        { id: 6, name: 'score', required: false, type: Types.float },
      ]),
    },
    {
      id: 7,
      name: 'points',
      required: false,
      type: Types.list(8, Types.struct([{ id: 9, name: 'x', required: true, type: Types.double }]), true),
    },
    { id: 10, name: 'amount', required: false, type: Types.decimal(9, 2) },
  ],
  0,
  [1],
)

const update = () => new SchemaUpdate(base, 10)

describe('SchemaUpdate', () => {
  it('adds optional columns with fresh ids, nested ones too', () => {
    const { schema, lastColumnId } = update()
      .addColumn('country', Types.string, { doc: 'ISO code' })
      .addColumn('device.model', Types.string)
      .addColumn('points.y', Types.double)
      .addColumn('tags', Types.map(0, Types.string, 0, Types.list(0, Types.string)))
      .apply()
    expect(lastColumnId).toBe(17)
    expect(schema.findFieldByName('country')).toEqual({
      id: 11,
      name: 'country',
      required: false,
      type: Types.string,
      doc: 'ISO code',
    })
    expect(schema.findFieldByName('device.model')?.id).toBe(12)
    expect(schema.findFieldByName('points.element.y')?.id).toBe(13)
    expect(schema.findFieldByName('tags')?.id).toBe(14)
    expect(schema.findFieldByName('tags')?.type).toEqual(
      Types.map(15, Types.string, 16, Types.list(17, Types.string)),
    )
    expect(schema.schemaId).toBe(1)
  })

  it('renames without changing ids', () => {
    const { schema } = update().renameColumn('ts', 'event_time').renameColumn('device.os', 'platform').apply()
    expect(schema.findFieldByName('event_time')?.id).toBe(3)
    expect(schema.findFieldByName('device.platform')?.id).toBe(5)
    expect(schema.findFieldByName('ts')).toBeUndefined()
  })

  it('deletes columns and never reuses their ids', () => {
    const { schema, lastColumnId } = update().deleteColumn('count').addColumn('count', Types.long).apply()
    expect(schema.findFieldByName('count')?.id).toBe(11)
    expect(lastColumnId).toBe(11)
    expect(schema.findField(2)).toBeUndefined()
  })

  it('widens int to long, float to double, and decimal precision', () => {
    const { schema } = update()
      .updateColumn('count', { type: Types.long })
      .updateColumn('device.score', { type: Types.double })
      .updateColumn('amount', { type: Types.decimal(18, 2) })
      .apply()
    expect(schema.findField(2)?.type).toEqual(Types.long)
    expect(schema.findField(6)?.type).toEqual(Types.double)
    expect(schema.findField(10)?.type).toEqual(Types.decimal(18, 2))
  })

  it('makes a column optional', () => {
    const { schema } = update().makeOptional('ts').apply()
    expect(schema.findField(3)?.required).toBe(false)
  })

  it('moves columns within their struct', () => {
    const { schema } = update()
      .addColumn('country', Types.string)
      .moveFirst('country')
      .moveAfter('id', 'ts')
      .moveBefore('device.score', 'device.os')
      .apply()
    expect(schema.fields.map((f) => f.name)).toEqual([
      'country',
      'count',
      'ts',
      'id',
      'device',
      'points',
      'amount',
    ])
    expect(schemaToJson(schema).fields[4]).toMatchObject({
      type: { fields: [{ name: 'score' }, { name: 'os' }] },
    })
  })

  it.each([
    ['an unknown column', () => update().renameColumn('nope', 'x'), 'nope'],
    ['a narrowing', () => update().updateColumn('device.score', { type: Types.int }), 'device.score'],
    ['long to int', () => update().updateColumn('id', { type: Types.int }), 'id'],
    [
      'a decimal scale change',
      () => update().updateColumn('amount', { type: Types.decimal(10, 3) }),
      'amount',
    ],
    ['a type change of a struct', () => update().updateColumn('device', { type: Types.string }), 'device'],
    ['an existing name', () => update().addColumn('count', Types.int), 'count'],
    ['a field in a primitive', () => update().addColumn('count.x', Types.int), 'count.x'],
    ['deleting an identifier field', () => update().deleteColumn('id'), 'id'],
    ['renaming onto an existing column', () => update().renameColumn('count', 'ts'), 'count'],
    ['moving out of the struct', () => update().moveBefore('device.os', 'id'), 'device.os'],
  ])('refuses %s with a ValidationError naming the field', (_what, run, field) => {
    try {
      run()
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).context.field).toBe(field)
    }
  })

  it('follows the spec promotion table', () => {
    expect(canPromote(Types.int, Types.long)).toBe(true)
    expect(canPromote(Types.float, Types.double)).toBe(true)
    expect(canPromote(Types.long, Types.int)).toBe(false)
    expect(canPromote(Types.int, Types.double)).toBe(false)
    expect(canPromote(Types.string, Types.binary)).toBe(false)
  })
})
