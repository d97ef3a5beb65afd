import { ValidationError } from '@lake/errors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileAvroDecoder, compileAvroEncoder } from './avro.js'

const schema = {
  type: 'record',
  name: 'Event',
  namespace: 'lake.test',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'n', type: 'int' },
    { name: 'kind', type: 'string' },
    { name: 'amount', type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 }] },
    { name: 'price', type: { type: 'fixed', name: 'Price', size: 4, logicalType: 'decimal', scale: 3 } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: ['null', 'double'] } },
    { name: 'ok', type: 'boolean' },
    { name: 'ratio', type: 'float' },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'color', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN'] } },
    { name: 'again', type: 'Color' },
    { name: 'raw', type: 'bytes' },
    { name: 'next', type: ['null', 'Event'] },
  ],
}

const decode = compileAvroDecoder(schema)
const encode = compileAvroEncoder(schema)

const event = {
  id: -64n,
  n: 7,
  kind: 'föö',
  amount: '-12.34',
  price: '99.500',
  tags: ['a', 'b'],
  attrs: { x: 1.5, y: null },
  ok: true,
  ratio: 0.5,
  ts: 1_000_000n,
  day: 20_000,
  color: 'GREEN',
  again: 'RED',
  raw: new Uint8Array([0, 255]),
  next: null,
}

describe('compileAvroEncoder', () => {
  it('writes what the decoder reads back equal, named and recursive types included', () => {
    expect(decode(encode(event))).toEqual(event)
    const nested = { ...event, next: { ...event, id: 1n, next: null } }
    expect(decode(encode(nested))).toEqual(nested)
  })

  it('writes the bytes of the Avro specification: zig-zag varints, length-prefixed strings, blocks', () => {
    const small = compileAvroEncoder({
      type: 'record',
      name: 'S',
      fields: [
        { name: 'id', type: 'long' },
        { name: 's', type: 'string' },
        { name: 'a', type: { type: 'array', items: 'int' } },
      ],
    })
    expect([...small({ id: -64n, s: 'foo', a: [1] })]).toEqual([
      0x7f, 0x06, 0x66, 0x6f, 0x6f, 0x02, 0x02, 0x00,
    ])
  })

  it('takes numbers for longs and decimals, and Dates for timestamps and dates', () => {
    const value = {
      ...event,
      id: 5,
      amount: 1.5,
      ts: new Date(1_000),
      day: new Date('2024-10-04T12:00:00Z'),
    }
    expect(decode(encode(value))).toMatchObject({ id: 5n, amount: '1.50', ts: 1_000_000n, day: 20_000 })
  })

  it('refuses a value that does not fit, naming the field', () => {
    const refused = (value: unknown) => {
      try {
        encode(value)
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError)
        return (error as ValidationError).context.field
      }
      return undefined
    }
    expect(refused({ ...event, n: 2 ** 31 })).toBe('n')
    expect(refused({ ...event, id: 2 ** 60 })).toBe('id')
    expect(refused({ ...event, tags: ['a', 3] })).toBe('tags[1]')
    expect(refused({ ...event, amount: '1.234' })).toBe('amount')
    expect(refused({ ...event, price: '9999999.000' })).toBe('price')
    expect(refused({ ...event, color: 'BLUE' })).toBe('color')
    expect(refused({ ...event, kind: undefined })).toBe('kind')
    expect(refused({ ...event, next: { ...event, ok: 'yes' } })).toBe('next.ok')
    expect(refused('text')).toBe('value')
  })

  it('round-trips any long, int, string, double and bytes (property)', () => {
    const flat = {
      type: 'record',
      name: 'F',
      fields: [
        { name: 'l', type: 'long' },
        { name: 'i', type: 'int' },
        { name: 's', type: 'string' },
        { name: 'd', type: ['null', 'double'] },
        { name: 'b', type: 'bytes' },
      ],
    }
    const [enc, dec] = [compileAvroEncoder(flat), compileAvroDecoder(flat)]
    fc.assert(
      fc.property(
        fc.record({
          l: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
          i: fc.integer(),
          s: fc.string({ unit: 'grapheme' }),
          d: fc.option(fc.double({ noNaN: true })),
          b: fc.uint8Array(),
        }),
        (value) => {
          expect(dec(enc(value))).toEqual(value)
        },
      ),
    )
  })
})
