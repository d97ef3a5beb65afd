import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { Reader, Writer } from './wire.js'

// kafkajs's encoder, as an independent writer of the protocol's types.
const require = createRequire(import.meta.url)
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => {
  writeVarInt(value: number): unknown
  writeVarLong(value: number): unknown
  buffer: Buffer
}

const ints = [0, 1, -1, 63, -64, 64, -65, 300, -300, 2 ** 20, -(2 ** 20), 2 ** 31 - 1, -(2 ** 31)]
const longs = [...ints, 2 ** 35, -(2 ** 35), 1_700_000_000_123, -1_700_000_000_123, 2 ** 52, -(2 ** 52)]

describe('Reader', () => {
  it('reads zigzag varints and varlongs as kafkajs writes them', () => {
    const encoder = new Encoder()
    for (const value of ints) encoder.writeVarInt(value)
    for (const value of longs) encoder.writeVarLong(value)
    const reader = new Reader(encoder.buffer)
    expect(ints.map(() => reader.varint())).toEqual(ints)
    expect(longs.map(() => reader.varlong())).toEqual(longs)
    expect(reader.remaining()).toBe(0)
  })

  it('reads what Writer writes, and int64s beyond 2^53 only as bigints', () => {
    const bytes = new Writer(4)
      .int8(-2)
      .int16(-300)
      .int32(2 ** 31 - 1)
      .int64(-(2n ** 40n))
      .int64(2n ** 60n)
      .string('héllo')
      .string(null)
      .array([1, 2, 3], (n, w) => w.int32(n))
      .bytes()
    const reader = new Reader(bytes)
    expect([reader.int8(), reader.int16(), reader.int32()]).toEqual([-2, -300, 2 ** 31 - 1])
    expect(reader.safeInt64('a')).toBe(-(2 ** 40))
    expect(() => new Reader(bytes, reader.offset).safeInt64('offset')).toThrow(/offset is beyond 2\^53/)
    expect(reader.int64()).toBe(2n ** 60n)
    expect([reader.string('s'), reader.nullableString()]).toEqual(['héllo', null])
    expect(reader.array((r) => r.int32())).toEqual([1, 2, 3])
  })

  it('fails on reads past the end, naming what it reads', () => {
    const reader = new Reader(Buffer.from([0, 0, 0, 9, 1]), 0, 5, 'A Fetch response from broker 1')
    expect(() => reader.array((r) => r.int8())).toThrow(
      /A Fetch response from broker 1 is malformed: an array of 9 items/,
    )
    expect(() => new Reader(Buffer.from([0xff, 0xff])).varint()).toThrow(/varint runs past the end/)
    expect(() => new Reader(Buffer.from([0, 5, 0x61])).nullableString()).toThrow(/5 bytes wanted, 1 left/)
  })
})
