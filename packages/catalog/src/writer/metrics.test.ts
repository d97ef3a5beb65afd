import { describe, expect, it } from 'vitest'
import { Schema } from '../spec/schema.js'
import { sortField, UNSORTED_ORDER } from '../spec/sort-order.js'
import { Types } from '../spec/types.js'
import {
  DEFAULT_METRICS_MODE,
  metricsModes,
  parseMetricsMode,
  truncateLower,
  truncateUpper,
} from './metrics.js'

const schema = new Schema([
  { id: 1, name: 'id', required: true, type: Types.long },
  { id: 2, name: 'name', required: false, type: Types.string },
  {
    id: 3,
    name: 'loc',
    required: false,
    type: Types.struct([{ id: 4, name: 'lat', required: false, type: Types.double }]),
  },
  { id: 5, name: 'tags', required: false, type: Types.list(6, Types.string) },
  { id: 7, name: 'attrs', required: false, type: Types.map(8, Types.string, 9, Types.int) },
])

const modesOf = (properties: Record<string, string>, s = schema, order = UNSORTED_ORDER) =>
  Object.fromEntries(metricsModes(s, properties, order))

describe('parseMetricsMode', () => {
  it('reads Java’s four modes in any case and nothing else', () => {
    expect(parseMetricsMode('None')).toEqual({ kind: 'none' })
    expect(parseMetricsMode('COUNTS')).toEqual({ kind: 'counts' })
    expect(parseMetricsMode('full')).toEqual({ kind: 'full' })
    expect(parseMetricsMode('Truncate(8)')).toEqual({ kind: 'truncate', length: 8 })
    for (const bad of ['truncate(0)', 'truncate()', 'truncate(99999999999)', ' full', 'all', '']) {
      expect(parseMetricsMode(bad)).toBeUndefined()
    }
  })
})

describe('metricsModes', () => {
  it('gives every leaf truncate(16) by default, named by its full column name', () => {
    expect(modesOf({})).toEqual({
      1: DEFAULT_METRICS_MODE,
      2: DEFAULT_METRICS_MODE,
      4: DEFAULT_METRICS_MODE,
      6: DEFAULT_METRICS_MODE,
      8: DEFAULT_METRICS_MODE,
      9: DEFAULT_METRICS_MODE,
    })
    const modes = modesOf({
      'write.metadata.metrics.default': 'counts',
      'write.metadata.metrics.column.loc.lat': 'full',
      'write.metadata.metrics.column.tags.element': 'none',
      'write.metadata.metrics.column.attrs.value': 'truncate(4)',
    })
    expect(modes[1]).toEqual({ kind: 'counts' })
    expect(modes[4]).toEqual({ kind: 'full' })
    expect(modes[6]).toEqual({ kind: 'none' })
    expect(modes[9]).toEqual({ kind: 'truncate', length: 4 })
  })

  it('falls back to the default on an invalid mode, as Java does, rather than failing writes', () => {
    const modes = modesOf({
      'write.metadata.metrics.default': 'sometimes',
      'write.metadata.metrics.column.name': 'full',
    })
    expect(modes[1]).toEqual(DEFAULT_METRICS_MODE)
    expect(
      modesOf({ 'write.metadata.metrics.default': 'full', 'write.metadata.metrics.column.id': 'x' })[1],
    ).toEqual({
      kind: 'full',
    })
  })

  it('keeps metrics for the first 100 top-level columns of a wider table only, unless a default is set', () => {
    const wide = new Schema(
      Array.from({ length: 102 }, (_, i) => ({
        id: i + 1,
        name: `c${i}`,
        required: false,
        type:
          i === 1 ? Types.struct([{ id: 200, name: 'inner', required: false, type: Types.int }]) : Types.int,
      })),
    )
    const modes = modesOf({}, wide)
    expect(modes[1]).toEqual(DEFAULT_METRICS_MODE)
    expect(modes[200]).toEqual(DEFAULT_METRICS_MODE)
    expect(modes[100]).toEqual(DEFAULT_METRICS_MODE)
    expect(modes[101]).toEqual({ kind: 'none' })
    expect(modes[102]).toEqual({ kind: 'none' })
    expect(modesOf({ 'write.metadata.metrics.max-inferred-column-defaults': '3' }, wide)[4]).toEqual({
      kind: 'none',
    })
    expect(modesOf({ 'write.metadata.metrics.default': 'full' }, wide)[102]).toEqual({ kind: 'full' })
  })

  it('keeps bounds on the columns an order-preserving sort uses, below column overrides', () => {
    const order = {
      orderId: 1,
      fields: [sortField(2), sortField(1, { transform: { kind: 'bucket', numBuckets: 4 } })],
    }
    const none = modesOf({ 'write.metadata.metrics.default': 'none' }, schema, order)
    expect(none[2]).toEqual(DEFAULT_METRICS_MODE)
    expect(none[1]).toEqual({ kind: 'none' })
    expect(modesOf({ 'write.metadata.metrics.default': 'full' }, schema, order)[2]).toEqual({ kind: 'full' })
    const overridden = modesOf(
      { 'write.metadata.metrics.default': 'none', 'write.metadata.metrics.column.name': 'counts' },
      schema,
      order,
    )
    expect(overridden[2]).toEqual({ kind: 'counts' })
  })
})

describe('truncateLower and truncateUpper', () => {
  it('truncate strings to code points, not UTF-16 units', () => {
    const emoji = '😀😁😂'
    expect(truncateLower(Types.string, emoji, 2)).toBe('😀😁')
    expect(truncateUpper(Types.string, emoji, 2)).toBe(`😀${String.fromCodePoint(0x1f602)}`)
    expect(truncateLower(Types.string, 'short', 16)).toBe('short')
    expect(truncateUpper(Types.string, 'short', 16)).toBe('short')
  })

  it('skip the surrogate block and give up past U+10FFFF, as Java’s UnicodeUtil', () => {
    expect(truncateUpper(Types.string, '\uD7FFab', 1)).toBe('\uE000')
    const max = String.fromCodePoint(0x10ffff)
    expect(truncateUpper(Types.string, `a${max}${max}z`, 3)).toBe('b')
    expect(truncateUpper(Types.string, `${max}${max}z`, 2)).toBeUndefined()
  })

  it('truncate binary and fixed to bytes, incrementing the last byte below 0xFF', () => {
    const bytes = Uint8Array.of(1, 2, 0xff, 4)
    expect(truncateLower(Types.binary, bytes, 3)).toEqual(Uint8Array.of(1, 2, 0xff))
    expect(truncateUpper(Types.binary, bytes, 3)).toEqual(Uint8Array.of(1, 3))
    expect(truncateUpper(Types.fixed(4), bytes, 2)).toEqual(Uint8Array.of(1, 3))
    expect(truncateUpper(Types.binary, Uint8Array.of(0xff, 0xff, 1), 2)).toBeUndefined()
    expect(truncateUpper(Types.binary, bytes, 4)).toBe(bytes)
  })

  it('leave other types whole', () => {
    expect(truncateLower(Types.long, 123456789012345678n, 2)).toBe(123456789012345678n)
    expect(truncateUpper(Types.decimal(38, 0), 10n ** 37n, 2)).toBe(10n ** 37n)
  })
})
