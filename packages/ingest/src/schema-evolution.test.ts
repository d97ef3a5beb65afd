import { Schema, Types, typeToString } from '@lake/catalog'
import { ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { evolutionOf, inferType, schemaChanges, withoutUninferable } from './schema-evolution.js'

const schema: Schema = new Schema(
  [
    { id: 1, name: 'id', required: true, type: Types.long },
    { id: 2, name: 'n', required: false, type: Types.int },
    { id: 3, name: 'f', required: false, type: Types.float },
    {
      id: 4,
      name: 'device',
      required: false,
      type: Types.struct([{ id: 5, name: 'os', required: false, type: Types.string }]),
    },
    {
      id: 6,
      name: 'items',
      required: false,
      type: Types.list(7, Types.struct([{ id: 8, name: 'sku', required: false, type: Types.string }])),
    },
    { id: 9, name: 'tags', required: false, type: Types.map(10, Types.string, 11, Types.string) },
  ],
  0,
)

const typeOf = (value: unknown) => {
  const type = inferType(value, 'x')
  return type && typeToString(type)
}

describe('inferType', () => {
  it('infers booleans, whole numbers as long (never int), other numbers as double, and text as string', () => {
    expect(typeOf(true)).toBe('boolean')
    expect(typeOf(1)).toBe('long')
    expect(typeOf(2 ** 40)).toBe('long')
    expect(typeOf(12n)).toBe('long')
    expect(typeOf(1.5)).toBe('double')
    expect(typeOf('x')).toBe('string')
  })

  it('never guesses a timestamp, date or decimal from text', () => {
    expect(typeOf('2026-11-27T03:00:00Z')).toBe('string')
    expect(typeOf('2026-11-27')).toBe('string')
    expect(typeOf('12.50')).toBe('string')
  })

  it('infers structs recursively, leaving out fields whose type cannot be told yet', () => {
    expect(typeOf({ a: 1, b: { c: 'x', d: null }, e: [] })).toBe('struct<a: long, b: struct<c: string>>')
  })

  it('infers lists from their elements, merging whole and other numbers to double and objects field by field', () => {
    expect(typeOf([1, 2])).toBe('list<long>')
    expect(typeOf([1, 2.5])).toBe('list<double>')
    expect(typeOf([null, 'a'])).toBe('list<string>')
    expect(typeOf([{ a: 1 }, { b: 'x' }])).toBe('list<struct<a: long, b: string>>')
  })

  it('cannot tell the type of null, an empty array or object, or nulls only', () => {
    for (const value of [null, undefined, [], {}, [null], { a: null }, [[]]])
      expect(typeOf(value)).toBeUndefined()
  })

  it('refuses values no one type holds, naming the field', () => {
    expect(() => inferType([1, 'a'], 'x')).toThrow(ValidationError)
    try {
      inferType({ deep: [true, 1] }, 'x')
    } catch (error) {
      expect((error as ValidationError).context.field).toBe('x.deep')
    }
  })
})

describe('schemaChanges', () => {
  it('adds top-level and nested fields the schema lacks, inside the existing structs', () => {
    const changes = schemaChanges(schema, [
      {
        id: 1,
        country: 'nl',
        device: { os: 'ios', model: 'x', screen: { w: 3 } },
        items: [{ sku: 'a', qty: 2 }],
      },
    ])
    expect(changes.additions.map((a) => [a.path.join('.'), typeToString(a.type)])).toEqual([
      ['country', 'string'],
      ['device.model', 'string'],
      ['device.screen', 'struct<w: long>'],
      ['items.qty', 'long'],
    ])
    expect(changes.widenings).toEqual([])
  })

  it('adds nothing for a map’s keys, for known fields, or for fields that are null so far', () => {
    const changes = schemaChanges(schema, [{ id: 1, tags: { brand: 'new' }, later: null, empty: [] }])
    expect(changes).toEqual({ additions: [], widenings: [] })
  })

  it('widens int to long for a whole number beyond the int range, and float to double beyond the float range', () => {
    const changes = schemaChanges(schema, [{ id: 1, n: 2 ** 31, f: 1e39 }])
    expect(changes.widenings.map((w) => [w.path.join('.'), w.from.kind, w.to.kind])).toEqual([
      ['n', 'int', 'long'],
      ['f', 'float', 'double'],
    ])
    expect(schemaChanges(schema, [{ n: 5, f: 1.5 }]).widenings).toEqual([])
    expect(schemaChanges(schema, [{ n: -(2n ** 40n) }]).widenings).toHaveLength(1)
  })

  it('leaves a genuine conflict to validation: text in an int column, an object in a primitive one', () => {
    expect(schemaChanges(schema, [{ n: 'seven', id: { a: 1 }, device: 'phone' }])).toEqual({
      additions: [],
      widenings: [],
    })
  })

  it('merges what several rows need into one type per new column', () => {
    const changes = schemaChanges(schema, [{ score: 1 }, { score: 2.5 }, { score: null }])
    expect(changes.additions.map((a) => typeToString(a.type))).toEqual(['double'])
  })

  it('refuses a new field whose name cannot be a column', () => {
    expect(() => schemaChanges(schema, [{ 'a.b': 1 }])).toThrow(/has a dot/)
  })
})

describe('withoutUninferable', () => {
  it('drops unknown fields whose type cannot be told yet, at any depth, without changing the row', () => {
    const row = { id: 1, later: null, device: { os: 'a', soon: [] }, items: [{ sku: 'a', x: {} }], n: null }
    expect(withoutUninferable(schema, row)).toEqual({
      id: 1,
      device: { os: 'a' },
      items: [{ sku: 'a' }],
      n: null,
    })
    expect(row.later).toBeNull()
    expect(row.device.soon).toEqual([])
  })

  it('returns the row itself when there is nothing to drop, and keeps fields that show a type', () => {
    const row = { id: 1, country: 'nl' }
    expect(withoutUninferable(schema, row)).toBe(row)
  })
})

describe('evolutionOf', () => {
  it('evolves for new or wider fields, retries without nulls of unknown fields, and lets other failures stand', () => {
    expect(evolutionOf(schema, { id: 1, country: 'nl' })).toMatchObject({
      changes: { additions: [{ path: ['country'] }] },
    })
    expect(evolutionOf(schema, { id: 1, later: null })).toEqual({ row: { id: 1 } })
    expect(evolutionOf(schema, { id: 'one' })).toBeUndefined()
    expect(() => evolutionOf(schema, { mixed: [1, 'a'] })).toThrow(ValidationError)
  })
})
