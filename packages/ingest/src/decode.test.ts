import { ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { recordMeta as meta } from '../test/record-meta.js'
import { compileAvroDecoder } from './avro.js'
import { compileDecoder } from './decode.js'

const bytes = (...b: number[]) => Buffer.from(b)
const text = (s: string) => Buffer.from(s, 'utf8')

describe('the JSON decoder', () => {
  const decode = compileDecoder()
  it('decodes an object', () => {
    expect(decode(text('{"id":1,"kind":"view"}'), meta)).toEqual({ id: 1, kind: 'view' })
  })
  it.each([
    ['invalid JSON', text('{"id":')],
    ['an array', text('[1]')],
    ['a string', text('"x"')],
    ['null', text('null')],
    ['a tombstone', null],
  ])('refuses %s with a ValidationError', (_, value) => {
    expect(() => decode(value, meta)).toThrow(ValidationError)
  })
})

describe('the raw decoder', () => {
  it('puts the bytes into a value column', () => {
    expect(compileDecoder('raw')(bytes(1, 2), meta)).toEqual({ value: new Uint8Array([1, 2]) })
  })
})

describe('the Avro decoder', () => {
  // Bytes from the Avro specification's encoding rules: zig-zag varints, length-prefixed strings.
  const schema = {
    type: 'record',
    name: 'Event',
    namespace: 'lake.test',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'kind', type: 'string' },
      { name: 'amount', type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 }] },
      { name: 'tags', type: { type: 'array', items: 'string' } },
      { name: 'ok', type: 'boolean' },
      { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'color', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN'] } },
      { name: 'again', type: 'Color' },
    ],
  }
  const datum = bytes(
    0x7f, // id: -64
    0x06,
    0x66,
    0x6f,
    0x6f, // kind: "foo"
    0x02,
    0x04,
    0xfb,
    0x2e, // amount: branch 1, 2 bytes 0xfb2e = -1234 → "-12.34"
    0x03,
    0x04,
    0x02,
    0x61,
    0x02,
    0x62,
    0x00, // tags: a block of -2 items (size 2 bytes follows), "a", "b", end
    0x01, // ok: true
    0xd0,
    0x0f, // ts: 1000 ms
    0x02, // color: GREEN
    0x00, // again: RED
  )

  it('decodes a record with unions, decimals, blocks, enums and named references', () => {
    expect(compileDecoder({ avro: schema })(datum, meta)).toEqual({
      id: -64n,
      kind: 'foo',
      amount: '-12.34',
      tags: ['a', 'b'],
      ok: true,
      ts: 1_000_000n,
      color: 'GREEN',
      again: 'RED',
    })
  })

  it('skips the Schema Registry prefix when asked', () => {
    const prefixed = Buffer.concat([bytes(0, 0, 0, 0, 7), datum])
    expect(compileDecoder({ avro: schema, confluent: true })(prefixed, meta)).toMatchObject({ id: -64n })
    expect(() => compileDecoder({ avro: schema, confluent: true })(datum, meta)).toThrow(ValidationError)
  })

  it('refuses truncated data, trailing bytes and out-of-range indexes', () => {
    const decode = compileDecoder({ avro: schema })
    expect(() => decode(datum.subarray(0, 5), meta)).toThrow(/ends early/)
    expect(() => decode(Buffer.concat([datum, bytes(0)]), meta)).toThrow(/after its end/)
    const badUnion = Buffer.from(datum)
    badUnion[5] = 0x08 // union branch 4
    expect(() => decode(badUnion, meta)).toThrow(/union index/)
  })

  it('refuses a schema naming an unknown type when compiled', () => {
    expect(() =>
      compileAvroDecoder({ type: 'record', name: 'R', fields: [{ name: 'x', type: 'Missing' }] }),
    ).toThrow(/unknown type 'Missing'/)
  })

  it('decodes a value that is not a record only to refuse it as a row', () => {
    expect(() => compileDecoder({ avro: 'string' })(bytes(0x02, 0x61), meta)).toThrow(/not an object/)
  })
})
