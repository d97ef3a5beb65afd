import { describe, expect, it } from 'vitest'
import { parseTrinoType } from './signature.js'

describe('parseTrinoType', () => {
  it('reads parametric scalars with their arguments', () => {
    expect(parseTrinoType('decimal(38,10)')).toMatchObject({ kind: 'decimal', precision: 38, scale: 10 })
    expect(parseTrinoType('varchar(17)')).toMatchObject({ kind: 'varchar', length: 17 })
    expect(parseTrinoType('varchar')).toEqual({ kind: 'varchar', signature: 'varchar' })
    expect(parseTrinoType('char(3)')).toMatchObject({ kind: 'char', length: 3 })
  })

  it('reads datetime precisions and the with-time-zone suffix', () => {
    expect(parseTrinoType('timestamp(6) with time zone')).toEqual({
      kind: 'timestamp with time zone',
      precision: 6,
      signature: 'timestamp(6) with time zone',
    })
    expect(parseTrinoType('time(12)')).toMatchObject({ kind: 'time', precision: 12 })
    expect(parseTrinoType('timestamp')).toMatchObject({ kind: 'timestamp', precision: 3 })
    expect(parseTrinoType('INTERVAL DAY TO SECOND')).toMatchObject({ kind: 'interval day to second' })
  })

  it('reads nested rows, arrays and maps with named, quoted and anonymous fields', () => {
    const type = parseTrinoType(
      'row(a bigint, "b ""c""" array(map(varchar(3), timestamp(9) with time zone)), row(double, interval year to month))',
    )
    expect(type).toMatchObject({
      kind: 'row',
      fields: [
        { name: 'a', type: { kind: 'bigint' } },
        {
          name: 'b "c"',
          type: {
            kind: 'array',
            element: {
              kind: 'map',
              key: { kind: 'varchar', length: 3 },
              value: { kind: 'timestamp with time zone', precision: 9 },
            },
          },
        },
        {
          type: {
            kind: 'row',
            fields: [{ type: { kind: 'double' } }, { type: { kind: 'interval year to month' } }],
          },
        },
      ],
    })
  })

  it('tells a field named like a type from an anonymous field of that type', () => {
    expect(parseTrinoType('row(time time(3), timestamp(3) with time zone)')).toMatchObject({
      fields: [
        { name: 'time', type: { kind: 'time', precision: 3 } },
        { type: { kind: 'timestamp with time zone', precision: 3 } },
      ],
    })
  })

  it('reads anonymous row fields of types spelled in capitals', () => {
    expect(parseTrinoType('row(INTERVAL DAY TO SECOND, x INTERVAL YEAR TO MONTH)')).toMatchObject({
      fields: [
        { type: { kind: 'interval day to second' } },
        { name: 'x', type: { kind: 'interval year to month' } },
      ],
    })
  })

  it('keeps unknown types by name, with their text', () => {
    expect(parseTrinoType('HyperLogLog')).toEqual({
      kind: 'other',
      name: 'HyperLogLog',
      signature: 'HyperLogLog',
    })
    expect(parseTrinoType('qdigest(bigint)')).toMatchObject({ kind: 'other', name: 'qdigest' })
  })

  it('rejects text that is not a type signature', () => {
    expect(() => parseTrinoType('array(bigint')).toThrow(/Cannot parse the Trino type/)
    expect(() => parseTrinoType('')).toThrow(/expected a type name/)
  })
})
