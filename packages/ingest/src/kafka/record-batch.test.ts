import { createRequire } from 'node:module'
import { isLakeError } from '@lake/errors'
import { CompressionTypes } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { type DecodedRecords, decodeRecords, type KafkaRecord, type RecordSource } from './record-batch.js'

// kafkajs's own encoders, as an independent writer of the format (not part of its public API).
const require = createRequire(import.meta.url)
const Long = require('kafkajs/src/utils/long')
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (options: object) => Promise<{ buffer: Buffer }>
}
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (options: object) => unknown

interface Input {
  key?: Buffer | null
  value: Buffer | null
  headers?: Record<string, Buffer | Buffer[]>
  timestampDelta?: number
}

/** A batch as kafkajs's producer would send it, at `baseOffset`. */
async function batch(
  baseOffset: number,
  inputs: Input[],
  options: {
    compression?: number
    producerId?: number
    transactional?: boolean
    firstTimestamp?: number
  } = {},
): Promise<Buffer> {
  const firstTimestamp = options.firstTimestamp ?? 1_700_000_000_000
  const encoded = await RecordBatch({
    compression: options.compression ?? CompressionTypes.None,
    firstOffset: Long.fromNumber(baseOffset),
    firstTimestamp,
    maxTimestamp: firstTimestamp + 1_000,
    lastOffsetDelta: inputs.length - 1,
    transactional: options.transactional ?? false,
    producerId: Long.fromNumber(options.producerId ?? -1),
    records: inputs.map((input, i) =>
      Record({
        offsetDelta: i,
        timestampDelta: input.timestampDelta ?? i,
        key: input.key ?? null,
        value: input.value,
        headers: input.headers ?? {},
      }),
    ),
  })
  return encoded.buffer
}

/** A control batch (a transaction marker) of `producerId` at `offset`: abort or commit. */
async function marker(offset: number, producerId: number, type: 'abort' | 'commit'): Promise<Buffer> {
  const key = Buffer.alloc(4)
  key.writeInt16BE(0, 0)
  key.writeInt16BE(type === 'abort' ? 0 : 1, 2)
  const bytes = await batch(offset, [{ key, value: Buffer.alloc(6) }], { producerId, transactional: true })
  // Attributes sit after baseOffset, length, leader epoch, magic and CRC: set the control bit.
  bytes.writeInt16BE(bytes.readInt16BE(21) | 0x20, 21)
  return bytes
}

const source = (overrides: Partial<RecordSource> = {}): RecordSource => ({
  topic: 'events',
  partition: 3,
  fetchOffset: 0,
  readCommitted: true,
  aborted: null,
  ...overrides,
})

const values = (records: Iterable<KafkaRecord>) => [...records].map((r) => r.value?.toString())

/** {@link decodeRecords}, its records made whole. */
async function decode(
  bytes: Buffer,
  from: RecordSource,
): Promise<Omit<DecodedRecords, 'records'> & { records: KafkaRecord[] }> {
  const decoded = await decodeRecords(bytes, from)
  return { records: [...decoded.records], nextOffset: decoded.nextOffset }
}

describe('decodeRecords', () => {
  it('reads offsets, timestamps, keys, values and headers as kafkajs wrote them', async () => {
    const bytes = await batch(
      41,
      [
        { key: Buffer.from('k1'), value: Buffer.from('{"a":1}'), headers: { h: Buffer.from('x') } },
        { key: null, value: null, timestampDelta: 250 },
        {
          value: Buffer.from('v3'),
          headers: { h: [Buffer.from('y'), Buffer.from('z')], g: Buffer.from('') },
        },
      ],
      { firstTimestamp: 1_700_000_000_123 },
    )
    const { records, nextOffset } = await decode(bytes, source())
    expect(nextOffset).toBe(44)
    expect(records.map((r) => r.offset)).toEqual([41, 42, 43])
    expect(records.map((r) => r.timestamp)).toEqual([1_700_000_000_123, 1_700_000_000_373, 1_700_000_000_125])
    expect(records[0]!.key?.toString()).toBe('k1')
    expect(records[1]!.key).toBeNull()
    expect(values(records)).toEqual(['{"a":1}', undefined, 'v3'])
    expect(records[0]!.headers).toEqual({ h: Buffer.from('x') })
    expect(records[1]!.headers).toEqual({})
    expect(records[2]!.headers).toEqual({ h: [Buffer.from('y'), Buffer.from('z')], g: Buffer.from('') })
  })

  it('decompresses gzip batches and skips the records before the fetch offset', async () => {
    const inputs = Array.from({ length: 50 }, (_, i) => ({ value: Buffer.from(`value-${i}`) }))
    const bytes = Buffer.concat([
      await batch(100, inputs, { compression: CompressionTypes.GZIP }),
      await batch(150, inputs.slice(0, 5), { compression: CompressionTypes.GZIP }),
    ])
    const { records, nextOffset } = await decode(bytes, source({ fetchOffset: 140 }))
    expect(nextOffset).toBe(155)
    expect(records.map((r) => r.offset)).toEqual([...Array.from({ length: 15 }, (_, i) => 140 + i)])
    expect(values(records).slice(0, 2)).toEqual(['value-40', 'value-41'])
    expect(values(records).at(-1)).toBe('value-4')
  })

  it('leaves a batch cut off at the end of the response for the next fetch', async () => {
    const first = await batch(0, [{ value: Buffer.from('a') }, { value: Buffer.from('b') }])
    const second = await batch(2, [{ value: Buffer.from('c') }])
    for (const cut of [1, 11, 12, second.length - 1]) {
      const { records, nextOffset } = await decode(Buffer.concat([first, second.subarray(0, cut)]), source())
      expect(nextOffset).toBe(2)
      expect(values(records)).toEqual(['a', 'b'])
    }
    expect(await decode(first.subarray(0, 30), source())).toEqual({
      records: [],
      nextOffset: undefined,
    })
  })

  it('skips an aborted transaction up to its marker, keeps committed ones, and never returns markers', async () => {
    const bytes = Buffer.concat([
      await batch(0, [{ value: Buffer.from('plain') }]),
      await batch(1, [{ value: Buffer.from('aborted-1') }, { value: Buffer.from('aborted-2') }], {
        producerId: 7,
        transactional: true,
      }),
      await batch(3, [{ value: Buffer.from('committed') }], { producerId: 8, transactional: true }),
      await marker(4, 7, 'abort'),
      await marker(5, 8, 'commit'),
      await batch(6, [{ value: Buffer.from('later-7') }], { producerId: 7, transactional: true }),
    ])
    const aborted = [{ producerId: 7, firstOffset: 1 }]
    const committed = await decodeRecords(bytes, source({ aborted }))
    expect(values(committed.records)).toEqual(['plain', 'committed', 'later-7'])
    expect(committed.nextOffset).toBe(7)
    const uncommitted = await decodeRecords(bytes, source({ aborted, readCommitted: false }))
    expect(values(uncommitted.records)).toEqual(['plain', 'aborted-1', 'aborted-2', 'committed', 'later-7'])
  })

  it('moves past a response of only markers', async () => {
    const { records, nextOffset } = await decode(await marker(9, 7, 'commit'), source({ fetchOffset: 9 }))
    expect(records).toEqual([])
    expect(nextOffset).toBe(10)
  })

  it('names the partition and offset of a malformed batch', async () => {
    const bytes = await batch(5, [{ value: Buffer.from('abc') }])
    // The record's length varint (first byte after the 61-byte header) claims more than there is.
    bytes[61] = 0x7e
    const error = await decodeRecords(bytes, source()).catch((e: unknown) => e)
    expect(isLakeError(error) && error.code).toBe('LAKE_CORRUPT_FILE')
    expect((error as Error).message).toMatch(/events\/3 at offset 5/)
  })

  it('keeps each record’s key and value as ranges of the fetched bytes, and its size, for thousands of records', async () => {
    const inputs = Array.from(
      { length: 3_000 },
      (_, i): Input => ({
        key: i % 7 === 0 ? null : Buffer.from(`k${i}`),
        value: i % 11 === 0 ? null : Buffer.from(i % 2 ? `{"n":${i}}` : ''),
        headers: i % 5 === 0 ? { h: Buffer.from(`${i}`) } : {},
      }),
    )
    const bytes = Buffer.concat([
      await batch(0, inputs.slice(0, 1_000)),
      await batch(1_000, inputs.slice(1_000, 2_000), { compression: CompressionTypes.GZIP }),
      await batch(2_000, inputs.slice(2_000)),
    ])
    const { records } = await decodeRecords(bytes, source({ fetchOffset: 10 }))
    expect(records.length).toBe(2_990)
    for (let i = 0; i < records.length; i++) {
      const input = inputs[i + 10]!
      const whole = records.at(i)
      expect(records.offset(i)).toBe(i + 10)
      expect(whole.offset).toBe(i + 10)
      expect(whole.key).toEqual(input.key ?? null)
      expect(whole.value).toEqual(input.value)
      expect(whole.headers).toEqual(input.headers)
      expect(records.size(i)).toBe((input.key?.length ?? 0) + (input.value?.length ?? 0))
      const start = records.valueStart(i)
      if (input.value === null) expect(start).toBe(-1)
      else expect(records.bytes(i).subarray(start, records.valueEnd(i))).toEqual(input.value)
    }
  })

  it('refuses message formats before v2 and codecs nobody registered', async () => {
    const old = await batch(0, [{ value: Buffer.from('a') }])
    old[16] = 1
    await expect(decodeRecords(old, source())).rejects.toThrow(/message format v1; Lake reads v2/)
    const snappy = await batch(0, [{ value: Buffer.from('a') }])
    snappy.writeInt16BE(CompressionTypes.Snappy, 21)
    await expect(decodeRecords(snappy, source())).rejects.toThrow(/Snappy, which has no codec/)
  })
})
