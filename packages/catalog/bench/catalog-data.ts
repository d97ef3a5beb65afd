/**
 * The rows of the catalog benchmark, and the same table described for each contender: Lake's
 * typed schema, the explicit Parquet schema raw hyparquet-writer is given, and the Arrow types a
 * raw hyparquet reader builds its vectors with.
 *
 * @module
 */
import type { SchemaElement } from 'hyparquet-writer'
import { col, defineSchema, type InferRow } from '../src/index.js'

/** 8 columns: long id, timestamptz ts, low- and high-cardinality strings, double, int, decimal, boolean. */
export const Events = defineSchema({
  id: col.long().required(),
  ts: col.timestamptz().required(),
  kind: col.string().required(),
  user: col.string(),
  value: col.double(),
  count: col.int(),
  amount: col.decimal(10, 2),
  flag: col.boolean(),
})
export type Event = InferRow<typeof Events>

/** The rows as both writers take them: `amount` as a number, the one decimal input hyparquet-writer takes. */
export interface EventRow {
  id: bigint
  ts: Date
  kind: string
  user: string | null
  value: number | null
  count: number | null
  amount: number | null
  flag: boolean | null
}

export const DAY_MS = 86_400_000
/** 2026-01-01T00:00:00Z. */
export const START_MS = Date.UTC(2026, 0, 1)
const KINDS = ['view', 'click', 'purchase', 'signup', 'search', 'share'] as const
/** Distinct users: high cardinality (dictionary encoding gives up on it). */
const USERS = 250_000

/** A 32-bit hash of the row number (murmur3's finaliser): deterministic, cheap, well mixed. */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

/**
 * Rows `first … first + count - 1`, spread evenly over `days` days from {@link START_MS} in
 * timestamp order (as events arrive). `user` and `amount` are null on about one row in 20 and
 * `flag` on one in 50, so every optional column has nulls.
 */
export function makeRows(first: number, count: number, days: number, totalRows = count): EventRow[] {
  const step = (days * DAY_MS) / totalRows
  const rows: EventRow[] = new Array(count)
  for (let n = 0; n < count; n++) {
    const i = first + n
    const h = mix(i + 1)
    const g = mix(h ^ 0x9e3779b9)
    rows[n] = {
      id: BigInt(i),
      ts: new Date(START_MS + Math.floor(i * step)),
      kind: KINDS[h % KINDS.length]!,
      user: h % 20 === 7 ? null : `user-${(g % USERS).toString(36).padStart(4, '0')}`,
      value: (g / 0x1_0000_0000) * 1000,
      count: g % 1000,
      amount: g % 20 === 3 ? null : (h % 1_000_000) / 100,
      flag: h % 50 === 11 ? null : (g & 1) === 1,
    }
  }
  return rows
}

/** The Parquet schema raw hyparquet-writer writes: the same types and repetitions as Lake's, no field ids. */
export const rawParquetSchema: SchemaElement[] = [
  { name: 'root', num_children: 8 },
  { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
  {
    name: 'ts',
    type: 'INT64',
    repetition_type: 'REQUIRED',
    converted_type: 'TIMESTAMP_MICROS',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
  },
  {
    name: 'kind',
    type: 'BYTE_ARRAY',
    repetition_type: 'REQUIRED',
    converted_type: 'UTF8',
    logical_type: { type: 'STRING' },
  },
  {
    name: 'user',
    type: 'BYTE_ARRAY',
    repetition_type: 'OPTIONAL',
    converted_type: 'UTF8',
    logical_type: { type: 'STRING' },
  },
  { name: 'value', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  { name: 'count', type: 'INT32', repetition_type: 'OPTIONAL' },
  {
    name: 'amount',
    type: 'INT64',
    repetition_type: 'OPTIONAL',
    converted_type: 'DECIMAL',
    scale: 2,
    precision: 10,
    logical_type: { type: 'DECIMAL', scale: 2, precision: 10 },
  },
  { name: 'flag', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
]

export const COLUMNS = ['id', 'ts', 'kind', 'user', 'value', 'count', 'amount', 'flag'] as const
