// A table of every Iceberg type and the rows to fill it with, in canonical form: the data the
// interop tests and the Trino tests write with Lake and read back with other engines.
import { col, defineSchema } from '@lake/catalog'
import type { CanonicalRow } from './canonical.js'

/**
 * The columns of {@link allTypes}: one of every primitive type, a struct, a list and a map.
 * Spread them into `defineSchema` to add columns of a test's own.
 */
export const allTypesColumns = {
  id: col.long().required(),
  ts: col.timestamptz().required(),
  b: col.boolean(),
  i: col.int(),
  f: col.float(),
  d: col.double(),
  dec: col.decimal(38, 10),
  small: col.decimal(9, 2),
  dt: col.date(),
  t: col.time(),
  tsl: col.timestamp(),
  s: col.string(),
  u: col.uuid(),
  fx: col.fixed(3),
  bin: col.binary(),
  st: col.struct({ x: col.int(), y: col.string().required() }),
  li: col.list(col.long()),
  mp: col.map(col.string().required(), col.double()),
}

/** A schema of every Iceberg type, for {@link allTypesRows}. */
export const allTypes = defineSchema(allTypesColumns)

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/**
 * `count` rows of {@link allTypes} on day `day` of January 2026 (0-based), in canonical form.
 * Ids run from `firstId`, except the first row's, which is beyond 2^53 (a long no double holds);
 * values reach each type's edges (NaN and infinities, the largest and smallest doubles, 38-digit
 * decimals, the smallest long, non-ASCII and SQL-like text, empty lists and maps); the last row
 * is null in every optional column.
 */
export function allTypesRows(day: number, firstId: number, count: number): CanonicalRow[] {
  return Array.from({ length: count }, (_, i) => {
    const id = firstId + i
    const row: CanonicalRow = {
      id: String(i === 0 ? 9_007_199_254_740_993n + BigInt(id) : id),
      ts: `2026-01-${pad(day + 1)}T${pad(i)}:${pad((7 * i) % 60)}:${pad(i)}.${pad(id, 6)}Z`,
      b: i % 2 === 0,
      i: id * 1000 - 2_147_483_000,
      f: [0.5, Math.fround(0.1), 'NaN', Math.fround(-1e-7), '-Infinity'][i % 5]!,
      d: [1.25e10, -0.125, 'Infinity', Number.MAX_VALUE, 5e-324][i % 5]!,
      dec: `${i % 2 ? '-' : ''}${String(id + 1).padEnd(28, '7')}.${pad(i, 10)}`,
      small: `${i * 3}.${pad(i)}`,
      dt: `19${69 + (i % 3)}-12-${pad(29 + (i % 3))}`,
      t: `${pad(23 - i)}:59:${pad(i)}.${pad(id * 7, 6)}`,
      tsl: `2026-03-08T02:${pad(i)}:00.${pad(id, 6)}`,
      s: ['', 'grüße, 世界 🌍', `row ${id}`, "it's -- ; DROP"][i % 4]!,
      u: `f79c3e09-677c-4bbd-a479-${pad(id, 12)}`,
      fx: ['000000', '7fff80', 'ffffff'][i % 3]!,
      bin: Buffer.from(`\u0000bytes ${id}\n`).toString('hex'),
      st: i % 3 === 2 ? null : { x: i % 2 ? null : id, y: `inner ${id}` },
      li: [String(id), null, '-9223372036854775808'].slice(0, i % 4),
      mp: [
        ['a', i % 2 ? null : 1.5],
        ['z', -2.5],
      ].slice(0, i % 3),
    }
    if (i === count - 1) for (const key of Object.keys(row)) if (key !== 'id' && key !== 'ts') row[key] = null
    return row
  })
}
