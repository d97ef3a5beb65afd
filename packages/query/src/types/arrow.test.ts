import { DataType, type RecordBatch, TimeUnit, Type } from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BatchAssembler } from '../internal/batches.js'
import { TRINO_TYPE_METADATA, writeDecimal } from './arrow.js'
import { parseTrinoType } from './signature.js'

function convert(columns: Record<string, string>, json: string, batchRows = 1024): RecordBatch[] {
  const assembler = new BatchAssembler(
    Object.entries(columns).map(([name, type]) => ({ name, type: parseTrinoType(type) })),
    batchRows,
    'q1',
  )
  // Through the page decoder, as the rows of a response arrive: straight from the UTF-8 bytes.
  const bytes = Buffer.from(json)
  expect(assembler.decodeRows(bytes, 0)).toBe(bytes.length)
  const batches = assembler.takeFull()
  if (assembler.buffered > 0) batches.push(assembler.flush())
  return batches
}

function column(batch: RecordBatch, name: string): unknown[] {
  return [...batch.getChild(name)!]
}

describe('Trino values to Arrow', () => {
  it('keeps every 64-bit integer exact, at both ends of the range', () => {
    const [batch] = convert(
      { b: 'bigint', i: 'integer', s: 'smallint', t: 'tinyint' },
      '[[9223372036854775807, 2147483647, 32767, 127], [-9223372036854775808, -2147483648, -32768, -128], [null, null, null, null], [9007199254740993, 0, 0, 0]]',
    )
    expect(column(batch!, 'b')).toEqual([
      9223372036854775807n,
      -9223372036854775808n,
      null,
      9007199254740993n,
    ])
    expect(column(batch!, 'i')).toEqual([2147483647, -2147483648, null, 0])
    expect(batch!.schema.fields.map((f) => f.type.typeId)).toEqual([Type.Int, Type.Int, Type.Int, Type.Int])
    expect(batch!.schema.fields.map((f) => (f.type as { bitWidth: number }).bitWidth)).toEqual([
      64, 32, 16, 8,
    ])
  })

  it('reads doubles and reals, NaN and infinities included', () => {
    const [batch] = convert(
      { d: 'double', r: 'real' },
      '[[1.7976931348623157E308, 3.4028235E38], ["NaN", "NaN"], ["Infinity", "-Infinity"], [-0.0, 1.0E-45]]',
    )
    const d = column(batch!, 'd') as number[]
    expect(d[0]).toBe(1.7976931348623157e308)
    expect(d[1]).toBeNaN()
    expect(d[2]).toBe(Number.POSITIVE_INFINITY)
    expect(Object.is(d[3], -0)).toBe(true)
    expect(column(batch!, 'r')[0]).toBe(Math.fround(3.4028235e38))
    expect(column(batch!, 'r')[3]).toBe(Math.fround(1e-45))
  })

  it('stores decimals as 128-bit unscaled integers with their precision and scale', () => {
    const [batch] = convert(
      { a: 'decimal(38,0)', b: 'decimal(10,2)' },
      '[["99999999999999999999999999999999999999", "-12345678.90"], ["-99999999999999999999999999999999999999", "0.05"], ["-1", "-0.01"]]',
    )
    const type = batch!.schema.fields[1]!.type as { scale: number; precision: number; bitWidth: number }
    expect([type.precision, type.scale, type.bitWidth]).toEqual([10, 2, 128])
    const unscaled = (name: string, row: number): bigint => {
      const words = batch!.getChild(name)!.data[0]!.values as Uint32Array
      let value = 0n
      for (let w = 3; w >= 0; w--) value = (value << 32n) | BigInt(words[row * 4 + w]!)
      return BigInt.asIntN(128, value)
    }
    expect(unscaled('a', 0)).toBe(10n ** 38n - 1n)
    expect(unscaled('a', 1)).toBe(-(10n ** 38n - 1n))
    expect(unscaled('a', 2)).toBe(-1n)
    expect(unscaled('b', 0)).toBe(-1234567890n)
    expect(unscaled('b', 1)).toBe(5n)
    expect(unscaled('b', 2)).toBe(-1n)
  })

  it('writes any decimal of up to 38 digits as its exact unscaled value', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }),
        fc.integer({ min: 0, max: 38 }),
        (unscaled, scale) => {
          const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0')
          const text = `${unscaled < 0n ? '-' : ''}${digits.slice(0, digits.length - scale)}${scale > 0 ? `.${digits.slice(-scale)}` : ''}`
          const out = new Uint32Array(4)
          writeDecimal(text, scale, out, 0)
          let value = 0n
          for (let w = 3; w >= 0; w--) value = (value << 32n) | BigInt(out[w]!)
          expect(BigInt.asIntN(128, value)).toBe(unscaled)
        },
      ),
    )
    for (const short of [0n, -1n, 5n, -999999999999999n, 123456789012345n]) {
      const out = new Uint32Array(4)
      writeDecimal(`${short}`, 0, out, 0)
      expect(
        BigInt.asIntN(
          128,
          (BigInt(out[3]!) << 96n) | (BigInt(out[2]!) << 64n) | (BigInt(out[1]!) << 32n) | BigInt(out[0]!),
        ),
      ).toBe(short)
    }
  })

  it('reads text, bytes, uuid, json and ipaddress', () => {
    const [batch] = convert(
      { v: 'varchar(5)', c: 'char(3)', b: 'varbinary', u: 'uuid', j: 'json', ip: 'ipaddress' },
      '[["héllo😀", "a  ", "AAEC/w==", "12151fd2-7586-11e9-8f9e-2a86e4085a59", "{\\"a\\":1}", "2001:db8::1"]]',
    )
    expect(column(batch!, 'v')).toEqual(['héllo😀'])
    expect(column(batch!, 'c')).toEqual(['a  '])
    expect([...(column(batch!, 'b')[0] as Uint8Array)]).toEqual([0, 1, 2, 255])
    expect(Buffer.from(column(batch!, 'u')[0] as Uint8Array).toString('hex')).toBe(
      '12151fd2758611e98f9e2a86e4085a59',
    )
    expect(batch!.schema.fields[3]!.metadata.get('ARROW:extension:name')).toBe('arrow.uuid')
    expect(column(batch!, 'j')).toEqual(['{"a":1}'])
    expect(batch!.schema.fields[4]!.metadata.get('ARROW:extension:name')).toBe('arrow.json')
    expect(column(batch!, 'ip')).toEqual(['2001:db8::1'])
    expect(batch!.schema.fields[5]!.metadata.get(TRINO_TYPE_METADATA)).toBe('ipaddress')
  })

  it('reads dates far from the epoch without a Date', () => {
    const [batch] = convert(
      { d: 'date' },
      '[["1970-01-01"], ["0001-01-01"], ["9999-12-31"], ["1969-12-31"], ["0050-03-01"]]',
    )
    expect(batch!.getChild('d')!.data[0]!.values).toEqual(new Int32Array([0, -719162, 2932896, -1, -701206]))
  })

  it('gives each timestamp precision the Arrow unit it needs', () => {
    const [batch] = convert(
      { s: 'timestamp(0)', ms: 'timestamp(3)', us: 'timestamp(6)', ns: 'timestamp(9)', ps: 'timestamp(12)' },
      '[["2001-08-22 03:04:05", "2001-08-22 03:04:05.321", "2001-08-22 03:04:05.321987", "2262-04-11 23:47:16.854775807", "2001-08-22 03:04:05.321987654321"], ["1969-12-31 23:59:59", "1969-12-31 23:59:59.999", "1677-09-21 00:12:43.145225", "1677-09-21 00:12:43.145224192", null]]',
    )
    const units = batch!.schema.fields.map((f) => (f.type as { unit?: TimeUnit }).unit)
    expect(units).toEqual([
      TimeUnit.SECOND,
      TimeUnit.MILLISECOND,
      TimeUnit.MICROSECOND,
      TimeUnit.NANOSECOND,
      undefined,
    ])
    const raw = (name: string) => [...(batch!.getChild(name)!.data[0]!.values as BigInt64Array)]
    expect(raw('s')).toEqual([998449445n, -1n])
    expect(raw('ms')).toEqual([998449445321n, -1n])
    expect(raw('us')).toEqual([998449445321987n, -9223372036854775n])
    expect(raw('ns')).toEqual([9223372036854775807n, -9223372036854775808n])
    expect(DataType.isUtf8(batch!.schema.fields[4]!.type)).toBe(true)
    expect(column(batch!, 'ps')).toEqual(['2001-08-22 03:04:05.321987654321', null])
  })

  it('keeps the instant and the zone of a timestamp with time zone', () => {
    const [batch] = convert(
      { t: 'timestamp(6) with time zone' },
      '[["2001-08-22 03:04:05.321987 UTC"], ["2001-08-22 03:04:05.321987 +05:30"], ["2001-08-22 03:04:05.321987 America/Los_Angeles"], ["1960-01-01 00:00:00.000000 Africa/Monrovia"]]',
    )
    const struct = batch!.getChild('t')!
    const instants = [...(struct.getChildAt(0)!.data[0]!.values as BigInt64Array)]
    expect(instants[0]).toBe(998449445321987n)
    expect(instants[1]).toBe(998449445321987n - 19_800_000_000n)
    expect(instants[2]).toBe(998449445321987n + 7n * 3_600_000_000n)
    // Monrovia kept its mean time, -00:44:30, until 1972: zones are not whole minutes.
    expect(instants[3]).toBe(BigInt(Date.UTC(1960, 0, 1, 0, 44, 30)) * 1000n)
    expect([...struct.getChildAt(1)!]).toEqual(['UTC', '+05:30', 'America/Los_Angeles', 'Africa/Monrovia'])
    expect((struct.type.children[0]!.type as { timezone: string }).timezone).toBe('UTC')
  })

  it('reads times, times with time zone and both intervals', () => {
    const [batch] = convert(
      {
        t: 'time(3)',
        t9: 'time(9)',
        tz: 'time(3) with time zone',
        ds: 'interval day to second',
        ym: 'interval year to month',
      },
      '[["23:59:59.999", "01:02:03.123456789", "01:02:03.456-08:00", "-2 03:04:05.678", "-1-2"], ["00:00:00.000", "00:00:00.000000000", "00:00:00.000+14:00", "0 00:00:00.000", "0-0"]]',
    )
    expect(batch!.getChild('t')!.data[0]!.values).toEqual(new Int32Array([86_399_999, 0]))
    expect(batch!.getChild('t9')!.data[0]!.values).toEqual(new BigInt64Array([3_723_123_456_789n, 0n]))
    const tz = batch!.getChild('tz')!
    expect(tz.getChildAt(0)!.data[0]!.values).toEqual(new Int32Array([3_723_456, 0]))
    expect([...tz.getChildAt(1)!]).toEqual([-480, 840])
    expect(batch!.getChild('ds')!.data[0]!.values).toEqual(
      new BigInt64Array([-((2n * 86_400n + 3n * 3600n + 4n * 60n + 5n) * 1000n + 678n), 0n]),
    )
    expect(batch!.getChild('ym')!.data[0]!.values).toEqual(new Int32Array([-14, 0]))
  })

  it('nests arrays, maps and rows arbitrarily, with nulls at every level', () => {
    const [batch] = convert(
      { n: 'array(map(bigint, row(x double, "y z" array(varchar))))', r: 'row(bigint, varchar)' },
      '[[[{"9223372036854775807": [1.5, ["a", null]]}, null, {}], [1, "one"]], [null, null], [[], [null, null]]]',
    )
    const n = batch!.getChild('n')!
    expect(n.length).toBe(3)
    expect(n.get(1)).toBeNull()
    expect(n.get(2)!.length).toBe(0)
    const first = n.get(0)!
    expect(first.length).toBe(3)
    expect(first.get(1)).toBeNull()
    const entries = [...first.get(0)!]
    expect(entries[0]![0]).toBe(9223372036854775807n)
    const value = entries[0]![1] as { x: number; 'y z': { toArray(): unknown[] } }
    expect(value.x).toBe(1.5)
    expect([...value['y z'].toArray()]).toEqual(['a', null])
    const r = batch!.getChild('r')!
    expect(r.type.children.map((f: { name: string }) => f.name)).toEqual(['field0', 'field1'])
    expect(r.get(0)!.toJSON()).toEqual({ field0: 1n, field1: 'one' })
    expect(r.get(1)).toBeNull()
    expect(r.get(2)!.toJSON()).toEqual({ field0: null, field1: null })
  })

  it('keeps unknown types as text with their Trino type name, and NULL as Arrow null', () => {
    const [batch] = convert(
      { h: 'HyperLogLog', g: 'Geometry', n: 'unknown' },
      '[["AgwBAA==", "POINT (1 2)", null]]',
    )
    expect(column(batch!, 'h')).toEqual(['AgwBAA=='])
    expect(batch!.schema.fields[0]!.metadata.get(TRINO_TYPE_METADATA)).toBe('HyperLogLog')
    expect(column(batch!, 'g')).toEqual(['POINT (1 2)'])
    expect(DataType.isNull(batch!.schema.fields[2]!.type)).toBe(true)
  })

  it('re-chunks rows into batches of the requested size', () => {
    const rows = JSON.stringify(Array.from({ length: 10 }, (_, i) => [i, `v${i}`]))
    const batches = convert({ i: 'integer', s: 'varchar' }, rows, 4)
    expect(batches.map((b) => b.numRows)).toEqual([4, 4, 2])
    expect(batches.flatMap((b) => column(b, 's'))).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`))
  })

  it('names the column and value that cannot be converted', () => {
    expect(() => convert({ d: 'date' }, '[["yesterday"]]')).toThrow(/value "yesterday" of column d \(date\)/)
  })
})
