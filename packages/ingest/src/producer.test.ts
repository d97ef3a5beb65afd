import { ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { recordMeta as meta } from '../test/record-meta.js'
import { compileDecoder } from './decode.js'
import { createProducer, serializerOf } from './producer.js'

const avro = {
  type: 'record',
  name: 'Event',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['view', 'click'] } },
    { name: 'amount', type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 }] },
    {
      name: 'device',
      type: ['null', { type: 'record', name: 'Device', fields: [{ name: 'os', type: 'string' }] }],
    },
  ],
}

const fieldOf = (f: () => unknown) => {
  try {
    f()
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError)
    return (error as ValidationError).context.field
  }
  return undefined
}

describe('serializers, read back by the worker’s decoders', () => {
  it('writes JSON the json decoder reads back, with bigints as exact numbers and Dates as ISO text', () => {
    const record = {
      id: 12n,
      big: 2n ** 62n,
      at: new Date(1_000),
      tags: ['a'],
      nested: { ok: true, none: null },
    }
    const value = serializerOf('json')(record)
    expect(value.toString()).toBe(
      '{"id":12,"big":4611686018427387904,"at":"1970-01-01T00:00:01.000Z","tags":["a"],"nested":{"ok":true,"none":null}}',
    )
    expect(compileDecoder('json')(value, meta)).toEqual({
      id: 12,
      big: 2 ** 62,
      at: '1970-01-01T00:00:01.000Z',
      tags: ['a'],
      nested: { ok: true, none: null },
    })
  })

  it('refuses in JSON what JSON would silently change, naming the field', () => {
    const json = serializerOf('json')
    expect(fieldOf(() => json({ a: { b: Number.NaN } }))).toBe('a.b')
    expect(fieldOf(() => json({ bytes: new Uint8Array(2) }))).toBe('bytes')
    expect(fieldOf(() => json({ list: [1, () => 2] }))).toBe('list[1]')
    expect(fieldOf(() => json({ m: new Map() }))).toBe('m')
  })

  it('writes Avro the Avro decoder of the same schema reads back equal', () => {
    const record = { id: -3n, kind: 'click', amount: '12.50', device: { os: 'ios' } }
    const value = serializerOf({ avro })(record)
    expect(compileDecoder({ avro })(value, meta)).toEqual(record)
    expect(compileDecoder({ avro })(serializerOf({ avro })({ ...record, device: null }), meta)).toMatchObject(
      {
        device: null,
      },
    )
  })

  it('frames Avro for the Confluent Schema Registry: magic byte 0, then the schema id big-endian', () => {
    const record = { id: 1n, kind: 'view', amount: null, device: null }
    const value = serializerOf({ avro, confluent: { schemaId: 258 } })(record)
    expect([...value.subarray(0, 5)]).toEqual([0, 0, 0, 1, 2])
    expect(compileDecoder({ avro, confluent: true })(value, meta)).toEqual(record)
  })

  it('refuses a record the Avro schema does not take, naming the field', () => {
    const write = serializerOf({ avro })
    expect(fieldOf(() => write({ id: 1n, kind: 'buy', amount: null, device: null }))).toBe('kind')
    expect(fieldOf(() => write({ id: 1n, kind: 'view', amount: null, device: { os: 1 } }))).toBe('device.os')
  })

  it('passes a function’s bytes or text on as the value', () => {
    expect(serializerOf((r: { a: string }) => `<${r.a}>`)({ a: 'x' }).toString()).toBe('<x>')
    expect([...serializerOf(() => new Uint8Array([1, 2]))({})]).toEqual([1, 2])
  })
})

describe('createProducer', () => {
  it('refuses bad options with a ValidationError naming the option', () => {
    const kafka = { brokers: ['127.0.0.1:1'] }
    expect(fieldOf(() => createProducer({ kafka, topic: '' }))).toBe('topic')
    expect(fieldOf(() => createProducer({ kafka, topic: 't', acks: 1 }))).toBe('acks')
    expect(fieldOf(() => createProducer({ kafka, topic: 't', compression: 'lz4' as 'gzip' }))).toBe(
      'compression',
    )
    expect(createProducer({ kafka, topic: 't', acks: 1, idempotent: false })).toBeDefined()
  })

  it('rejects a send whose record cannot be serialised before connecting, naming the field and record', async () => {
    const producer = createProducer({ kafka: { brokers: ['127.0.0.1:1'] }, topic: 't' })
    const error = await producer.send([{ a: 1 }, { a: Number.POSITIVE_INFINITY }]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).context).toMatchObject({ field: 'a', record: 1 })
    await producer.close()
  })
})
