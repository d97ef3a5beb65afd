import { readFileSync } from 'node:fs'
import { CorruptFileError, UnsupportedError, ValidationError } from '@lake/errors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ByteReader, ByteWriter } from './binary.js'
import { crc32 } from './codecs.js'
import { readAvroFile, readAvroHeader, writeAvroFile } from './container.js'
import type { AvroSchema } from './schema.js'

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../../test/fixtures/manifests/${name}`, import.meta.url)))

/** Offsets just after each sync marker: the end of the header and of every block. */
function syncEnds(bytes: Uint8Array): number[] {
  const sync = Buffer.from(bytes.subarray(bytes.length - 16))
  const ends: number[] = []
  for (let at = Buffer.from(bytes).indexOf(sync); at >= 0; at = Buffer.from(bytes).indexOf(sync, at + 1)) {
    ends.push(at + 16)
  }
  return ends
}

const MIN_LONG = -(2n ** 63n)
const MAX_LONG = 2n ** 63n - 1n

describe('Avro binary encoding', () => {
  it('round-trips every 64-bit long, including those a double cannot hold', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: MIN_LONG, max: MAX_LONG }), { maxLength: 20 }), (values) => {
        const w = new ByteWriter(4)
        for (const v of values) w.writeLong(v)
        const r = new ByteReader(w.finish())
        expect(values.map(() => r.readLong())).toEqual(values)
        expect(r.atEnd()).toBe(true)
      }),
    )
    for (const v of [0n, -1n, 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, MIN_LONG, MAX_LONG]) {
      const w = new ByteWriter()
      w.writeLong(v)
      expect(new ByteReader(w.finish()).readLong()).toBe(v)
    }
  })

  it('writes longs and ints as the spec zig-zag varints', () => {
    const w = new ByteWriter()
    w.writeLong(-1n)
    w.writeLong(64n)
    w.writeInt(-64)
    w.writeInt(2147483647)
    expect([...w.finish()]).toEqual([0x01, 0x80, 0x01, 0x7f, 0xfe, 0xff, 0xff, 0xff, 0x0f])
  })

  it('round-trips ints, doubles, floats and UTF-8 strings of any length', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double(), fc.string({ unit: 'grapheme', maxLength: 300 }), (i, d, s) => {
        const w = new ByteWriter(1)
        w.writeInt(i)
        w.writeDouble(d)
        w.writeFloat(1.5)
        w.writeString(s)
        const r = new ByteReader(w.finish())
        expect(r.readInt()).toBe(i)
        expect(Object.is(r.readDouble(), d)).toBe(true)
        expect(r.readFloat()).toBe(1.5)
        expect(r.readString()).toBe(s)
      }),
    )
  })

  it('reports reading past the end as a corrupt file, with the file and offset', () => {
    const r = new ByteReader(new Uint8Array([0x80, 0x80]), 's3://b/m.avro')
    const err = (() => {
      try {
        r.readLong()
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(CorruptFileError)
    expect((err as CorruptFileError).context).toMatchObject({ file: 's3://b/m.avro' })
    expect(() => new ByteReader(new Uint8Array([4, 0x61])).readString()).toThrow(CorruptFileError)
    expect(() => new ByteReader(new Uint8Array([])).readBoolean()).toThrow(/truncated/)
    expect(() => new ByteReader(new Uint8Array([2])).readBoolean()).toThrow(/boolean/)
  })

  it('computes the CRC-32 Avro appends to snappy blocks', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
  })
})

const everyType: AvroSchema = {
  type: 'record',
  name: 'everything',
  namespace: 'lake.test',
  fields: [
    { name: 'b', type: 'boolean', 'field-id': 1 },
    { name: 'i', type: 'int', 'field-id': 2 },
    { name: 'l', type: 'long', 'field-id': 3 },
    { name: 'f', type: 'float' },
    { name: 'd', type: 'double' },
    { name: 'by', type: 'bytes' },
    { name: 's', type: ['null', 'string'], default: null },
    { name: 'fx', type: { type: 'fixed', name: 'f4', size: 4 } },
    { name: 'fx2', type: ['null', 'f4'] },
    { name: 'e', type: { type: 'enum', name: 'color', symbols: ['RED', 'GREEN'] } },
    { name: 'a', type: { type: 'array', items: 'long', 'element-id': 9 } },
    { name: 'm', type: { type: 'map', values: ['null', 'int'] } },
    {
      name: 'nested',
      type: ['null', { type: 'record', name: 'inner', fields: [{ name: 'x', type: ['string', 'long'] }] }],
    },
  ],
}

const record = fc.record({
  b: fc.boolean(),
  i: fc.integer(),
  l: fc.bigInt({ min: MIN_LONG, max: MAX_LONG }),
  f: fc.float({ noDefaultInfinity: true, noNaN: true }).map((x) => Math.fround(x)),
  d: fc.double({ noNaN: true }),
  by: fc.uint8Array({ maxLength: 40 }),
  s: fc.option(fc.string({ maxLength: 80 })),
  fx: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  fx2: fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 })),
  e: fc.constantFrom('RED', 'GREEN'),
  a: fc.array(fc.bigInt({ min: MIN_LONG, max: MAX_LONG }), { maxLength: 5 }),
  m: fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.option(fc.integer()))).map((kv) => new Map(kv)),
  nested: fc.option(fc.record({ x: fc.oneof(fc.string(), fc.bigInt({ min: MIN_LONG, max: MAX_LONG })) })),
})

describe('Avro object container files', () => {
  it('round-trip random records of every type with both codecs and any block size', () => {
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 30 }),
        fc.constantFrom('null' as const, 'deflate' as const),
        fc.integer({ min: 1, max: 2000 }),
        (records, codec, blockSize) => {
          const bytes = writeAvroFile({ schema: everyType, records, codec, blockSize })
          const file = readAvroFile(bytes)
          expect(file.records).toEqual(records)
          expect(file.codec).toBe(codec)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('writes the schema JSON as given, so field-id attributes reach the header', () => {
    const bytes = writeAvroFile({ schema: everyType, records: [], metadata: { 'format-version': '2' } })
    const header = readAvroHeader(bytes)
    expect(header.schemaJson).toEqual(everyType)
    expect(header.metadata['avro.schema']).toContain('"field-id":1')
    expect(header.metadata['format-version']).toBe('2')
    expect(header.codec).toBe('deflate')
  })

  it('decodes Iceberg maps stored as key/value arrays into Maps, and encodes them back', () => {
    const schema: AvroSchema = {
      type: 'array',
      items: {
        type: 'record',
        name: 'k117_v118',
        fields: [
          { name: 'key', type: 'int', 'field-id': 117 },
          { name: 'value', type: 'long', 'field-id': 118 },
        ],
      },
      logicalType: 'map',
    }
    const value = new Map([
      [3, 30n],
      [1, 10n],
    ])
    expect(readAvroFile(writeAvroFile({ schema, records: [value, new Map()] })).records).toEqual([
      value,
      new Map(),
    ])
    expect(() => writeAvroFile({ schema, records: [[{ key: 1, value: 1n }]] })).toThrow(ValidationError)
  })

  it('writes the same bytes for the same input', () => {
    const records = [{ b: true }]
    const schema: AvroSchema = { type: 'record', name: 'r', fields: [{ name: 'b', type: 'boolean' }] }
    expect(writeAvroFile({ schema, records })).toEqual(writeAvroFile({ schema, records }))
  })

  it('refuses a record that does not fit the schema, naming the field', () => {
    const schema: AvroSchema = {
      type: 'record',
      name: 'r',
      fields: [
        { name: 'outer', type: { type: 'record', name: 'o', fields: [{ name: 'id', type: 'long' }] } },
      ],
    }
    expect(() => writeAvroFile({ schema, records: [{ outer: { id: 1 } }] })).toThrow(ValidationError)
    expect(() => writeAvroFile({ schema, records: [{ outer: { id: 1 } }] })).toThrow(/outer\.id/)
    expect(() => writeAvroFile({ schema, records: [{ outer: { id: 2n ** 63n } }] })).toThrow(ValidationError)
  })

  it.each(['null', 'deflate', 'snappy', 'zstandard'])('reads %s blocks written by fastavro', (codec) => {
    const file = readAvroFile(fixture(`codec-${codec}.avro`))
    expect(file.codec).toBe(codec)
    expect(file.records).toHaveLength(300)
    expect(file.records[0]).toEqual({ id: -5n, name: null })
    expect(file.records[1]).toEqual({ id: 9007199254740993n, name: 'row-1' })
    expect(file.records[299]).toEqual({ id: 299n * 1000000007n - 5n, name: 'row-299' })
  })

  it('reports a file cut inside its header or a block as corrupt, never as fewer records', () => {
    const bytes = writeAvroFile({
      schema: everyType,
      records: fc.sample(record, { numRuns: 5, seed: 42 }),
      blockSize: 100,
    })
    expect(readAvroFile(bytes).records).toHaveLength(5)
    // A cut right after a sync marker leaves a shorter but well-formed file: the container format
    // cannot tell, which is why readManifest also checks the length the manifest list records.
    const boundaries = syncEnds(bytes)
    expect(boundaries.length).toBeGreaterThan(2)
    for (let end = 0; end < bytes.length; end++) {
      const cut = () => readAvroFile(bytes.subarray(0, end), { file: 'm.avro' })
      if (boundaries.includes(end)) expect(cut().records.length).toBeLessThan(5)
      else expect(cut, `cut at ${end}`).toThrow(CorruptFileError)
    }
  })

  it('reports flipped bytes after the header as corrupt, or decodes the same number of records', () => {
    const records = fc.sample(record, { numRuns: 20, seed: 7 })
    const bytes = writeAvroFile({ schema: everyType, records, blockSize: 200 })
    const headerEnd = syncEnds(bytes)[0]!
    for (let i = 0; i < 300; i++) {
      const at = headerEnd + ((i * 7919) % (bytes.length - headerEnd))
      const copy = bytes.slice()
      copy[at] = copy[at]! ^ 0xff
      try {
        // A flip inside a deflate stream can, rarely, still inflate; the records must then all be there.
        expect(readAvroFile(copy, { file: 'm.avro' }).records).toHaveLength(records.length)
      } catch (err) {
        expect(err).toBeInstanceOf(CorruptFileError)
      }
    }
  })

  it('names the file in the error for bad magic, a wrong sync marker and an unknown codec', () => {
    const bytes = writeAvroFile({ schema: 'long', records: [1n, 2n], codec: 'null' })
    const badMagic = bytes.slice()
    badMagic[0] = 0
    expect(() => readAvroFile(badMagic, { file: 'a.avro' })).toThrow(/bad magic.*in a\.avro/)
    const badSync = bytes.slice()
    badSync[bytes.length - 1] = badSync[bytes.length - 1]! ^ 1
    expect(() => readAvroFile(badSync, { file: 'a.avro' })).toThrow(/sync marker/)
    const badCodec = new Uint8Array(
      Buffer.from(Buffer.from(bytes).toString('latin1').replace('null', 'brot'), 'latin1'),
    )
    expect(() => readAvroFile(badCodec, { file: 'a.avro' })).toThrow(UnsupportedError)
  })

  it('reads an empty file (header only) as no records', () => {
    expect(readAvroFile(writeAvroFile({ schema: 'string', records: [] })).records).toEqual([])
  })
})
