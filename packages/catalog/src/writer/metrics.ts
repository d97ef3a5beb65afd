/**
 * Iceberg column metrics of a Parquet file: which columns get which metrics (Java's
 * `MetricsConfig`), and the metrics themselves, gathered from the column chunks just written
 * (Java's `ParquetUtil.footerMetrics`).
 *
 * @module
 */
import type { ColumnChunk, RowGroup } from 'hyparquet'
import { toBytes } from '../spec/conversions.js'
import type { DataFile } from '../spec/data-file.js'
import type { Schema } from '../spec/schema.js'
import type { SortOrder } from '../spec/sort-order.js'
import { transformPreservesOrder } from '../spec/transforms.js'
import { type PrimitiveType, Types } from '../spec/types.js'
import { compareValues } from '../spec/values.js'
import { type Leaf, leaves } from './parquet-schema.js'

/** How much a column's metrics say, per Iceberg's `write.metadata.metrics.*` properties. */
export type MetricsMode =
  | { kind: 'none' }
  | { kind: 'counts' }
  | { kind: 'truncate'; length: number }
  | { kind: 'full' }

/** Java's default, `truncate(16)`: bounds short enough to keep manifests small. */
export const DEFAULT_METRICS_MODE: MetricsMode = Object.freeze({ kind: 'truncate', length: 16 })

const NONE: MetricsMode = Object.freeze({ kind: 'none' })
const DEFAULT_KEY = 'write.metadata.metrics.default'
const COLUMN_PREFIX = 'write.metadata.metrics.column.'
const MAX_INFERRED_KEY = 'write.metadata.metrics.max-inferred-column-defaults'
const MAX_INFERRED_DEFAULT = 100
const INT32_MAX = 2 ** 31 - 1

/**
 * Parses `none`, `counts`, `truncate(N)` or `full` (any case), as Java's `MetricsModes.fromString`;
 * `undefined` for anything else, because Java falls back to the default on a bad value rather
 * than failing writes, and a table Java writes must stay writable here.
 */
export function parseMetricsMode(text: string): MetricsMode | undefined {
  const lower = text.toLowerCase()
  if (lower === 'none' || lower === 'counts' || lower === 'full') return { kind: lower }
  const match = /^truncate\((\d+)\)$/.exec(lower)
  const length = match ? Number(match[1]) : 0
  return length > 0 && length <= INT32_MAX ? { kind: 'truncate', length } : undefined
}

/**
 * The metrics mode of every primitive leaf, by field id, with the rules of Iceberg Java 1.9's
 * `MetricsConfig.forTable`: `write.metadata.metrics.default` for every column; without it,
 * `truncate(16)` — but on tables wider than `write.metadata.metrics.max-inferred-column-defaults`
 * (100) top-level columns only the first ones get it and the rest `none`, so manifests stay
 * small; columns the sort order sorts by keep bounds (`truncate(16)` at least), since sorted
 * files are what bounds prune best; and `write.metadata.metrics.column.<name>` wins over all.
 */
export function metricsModes(
  schema: Schema,
  properties: Readonly<Record<string, string>>,
  sortOrder?: SortOrder,
): Map<number, MetricsMode> {
  const columnModes = new Map<string, MetricsMode>()
  let defaultMode = DEFAULT_METRICS_MODE
  const configured = properties[DEFAULT_KEY]
  if (configured !== undefined) {
    defaultMode = parseMetricsMode(configured) ?? DEFAULT_METRICS_MODE
  } else if (schema.fields.length > maxInferredColumns(properties)) {
    const inferred = new Set(schema.fields.slice(0, maxInferredColumns(properties)).map((f) => f.name))
    for (const leaf of leaves(schema)) {
      if (inferred.has(leaf.path[0]!)) columnModes.set(leafName(schema, leaf), DEFAULT_METRICS_MODE)
    }
    defaultMode = NONE
  }
  for (const sortField of sortOrder?.fields ?? []) {
    const name = schema.findColumnName(sortField.sourceId)
    if (name === undefined || !transformPreservesOrder(sortField.transform)) continue
    const keepsBounds = defaultMode.kind !== 'none' && defaultMode.kind !== 'counts'
    columnModes.set(name, keepsBounds ? defaultMode : DEFAULT_METRICS_MODE)
  }
  for (const [key, value] of Object.entries(properties)) {
    if (!key.startsWith(COLUMN_PREFIX)) continue
    columnModes.set(key.slice(COLUMN_PREFIX.length), parseMetricsMode(value) ?? defaultMode)
  }
  const modes = new Map<number, MetricsMode>()
  for (const leaf of leaves(schema)) {
    modes.set(leaf.field.id, columnModes.get(leafName(schema, leaf)) ?? defaultMode)
  }
  return modes
}

function maxInferredColumns(properties: Readonly<Record<string, string>>): number {
  const value = Number(properties[MAX_INFERRED_KEY] ?? MAX_INFERRED_DEFAULT)
  return Number.isSafeInteger(value) && value >= 0 ? value : MAX_INFERRED_DEFAULT
}

function leafName(schema: Schema, leaf: Leaf): string {
  return schema.findColumnName(leaf.field.id) ?? leaf.path.join('.')
}

/** The metrics of a `DataFile` that come from its column chunks. */
export type FileMetrics = Required<
  Pick<
    DataFile,
    | 'columnSizes'
    | 'valueCounts'
    | 'nullValueCounts'
    | 'nanValueCounts'
    | 'lowerBounds'
    | 'upperBounds'
    | 'splitOffsets'
  >
>

/** Running totals of one leaf column across row groups. */
interface LeafTotals {
  leaf: Leaf
  mode: MetricsMode
  size: bigint
  values: bigint
  nulls: bigint
  nans: bigint
  min: unknown
  max: unknown
}

/**
 * Iceberg metrics from the column chunks of a Parquet file, as Java's `ParquetUtil.footerMetrics`
 * reads them from a footer: compressed size, value count (nulls and NaNs included; a null or
 * empty list counts one null for each leaf beneath it) and null count per leaf, NaN counts for
 * `float` and `double`, and bounds only for leaves reached through structs alone, never from NaN,
 * truncated as the column's metrics mode says. Split offsets are the row groups' starts.
 *
 * The chunks are hyparquet-writer's in-memory `ColumnChunk`s, whose statistics still hold the
 * internal values the chunk was written from, so no bound is decoded back from bytes. One
 * difference from Java remains: hyparquet-writer reports a zero minimum as `-0` and a zero
 * maximum as `+0`, so a float column of only `+0` gets the lower bound `-0` where Java writes
 * `+0` — still a true bound, one ulp looser.
 */
export function footerMetrics(
  schema: Schema,
  modes: ReadonlyMap<number, MetricsMode>,
  rowGroups: readonly RowGroup[],
): FileMetrics {
  const totals: LeafTotals[] = leaves(schema).map((leaf) => ({
    leaf,
    mode: modes.get(leaf.field.id) ?? DEFAULT_METRICS_MODE,
    size: 0n,
    values: 0n,
    nulls: 0n,
    nans: 0n,
    min: undefined,
    max: undefined,
  }))
  const splitOffsets: bigint[] = []
  for (const group of rowGroups) {
    const first = group.columns[0]
    if (first) splitOffsets.push(chunkStart(first))
    for (const [i, chunk] of group.columns.entries()) addChunk(totals[i]!, chunk)
  }
  const metrics: FileMetrics = {
    columnSizes: new Map(),
    valueCounts: new Map(),
    nullValueCounts: new Map(),
    nanValueCounts: new Map(),
    lowerBounds: new Map(),
    upperBounds: new Map(),
    splitOffsets: splitOffsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  }
  for (const t of totals) addTotals(metrics, t)
  return metrics
}

/** Where a column chunk starts: its dictionary page if it has one, as parquet-mr's `getStartingPos`. */
function chunkStart(chunk: ColumnChunk): bigint {
  const meta = chunk.meta_data!
  const dictionary = meta.dictionary_page_offset
  return dictionary !== undefined && dictionary < meta.data_page_offset ? dictionary : meta.data_page_offset
}

function addChunk(t: LeafTotals, chunk: ColumnChunk): void {
  const meta = chunk.meta_data!
  t.size += meta.total_compressed_size
  t.values += meta.num_values
  const stats = meta.statistics as { null_count?: bigint; nan_count?: bigint } | undefined
  t.nulls += stats?.null_count ?? 0n
  t.nans += stats?.nan_count ?? 0n
  const min = meta.statistics?.min_value
  const max = meta.statistics?.max_value
  const type = t.leaf.field.type
  if (min !== undefined && min !== null && (t.min === undefined || compareValues(type, min, t.min) < 0)) {
    t.min = min
  }
  if (max !== undefined && max !== null && (t.max === undefined || compareValues(type, max, t.max) > 0)) {
    t.max = max
  }
}

function addTotals(metrics: FileMetrics, t: LeafTotals): void {
  const id = t.leaf.field.id
  const type = t.leaf.field.type
  metrics.columnSizes.set(id, t.size)
  if (t.mode.kind === 'none') return
  metrics.valueCounts.set(id, t.values)
  metrics.nullValueCounts.set(id, t.nulls)
  if (type.kind === 'float' || type.kind === 'double') metrics.nanValueCounts.set(id, t.nans)
  if (t.mode.kind === 'counts' || t.leaf.repeated || t.min === undefined) return
  const length = t.mode.kind === 'truncate' ? t.mode.length : Number.POSITIVE_INFINITY
  metrics.lowerBounds.set(id, boundBytes(type, truncateLower(type, t.min, length)))
  const upper = truncateUpper(type, t.max, length)
  if (upper !== undefined) metrics.upperBounds.set(id, boundBytes(type, upper))
}

/** A truncated `fixed` bound is shorter than the type, so it is serialised as the bytes it is. */
function boundBytes(type: PrimitiveType, value: unknown): Uint8Array {
  return toBytes(type.kind === 'fixed' ? Types.binary : type, value)
}

/**
 * A lower bound of at most `length` code points (strings) or bytes (`binary`, `fixed`): a prefix
 * never sorts after the value. Other types are never truncated.
 */
export function truncateLower(type: PrimitiveType, value: unknown, length: number): unknown {
  if (type.kind === 'string') return truncateCodePoints(value as string, length)
  if (type.kind === 'binary' || type.kind === 'fixed') {
    const bytes = value as Uint8Array
    return bytes.length <= length ? bytes : bytes.slice(0, length)
  }
  return value
}

/**
 * An upper bound of at most `length` code points or bytes: the prefix with its last code point
 * (or byte) that can be incremented incremented, as Java's `UnicodeUtil.truncateStringMax` and
 * `BinaryUtil.truncateBinaryMax` do (surrogates are skipped); `undefined` when every position is
 * already at its maximum, and then no upper bound is written at all.
 */
export function truncateUpper(type: PrimitiveType, value: unknown, length: number): unknown {
  if (type.kind === 'string') {
    const text = value as string
    const prefix = truncateCodePoints(text, length)
    if (prefix === text) return text
    const codePoints = Array.from(prefix, (c) => c.codePointAt(0)!)
    for (let i = codePoints.length - 1; i >= 0; i--) {
      const next = codePoints[i]! + 1 === 0xd800 ? 0xe000 : codePoints[i]! + 1
      if (next <= 0x10ffff) return truncateCodePoints(prefix, i) + String.fromCodePoint(next)
    }
    return undefined
  }
  if (type.kind === 'binary' || type.kind === 'fixed') {
    const bytes = value as Uint8Array
    if (bytes.length <= length) return bytes
    for (let i = length - 1; i >= 0; i--) {
      if (bytes[i]! < 0xff) {
        const out = bytes.slice(0, i + 1)
        out[i]! += 1
        return out
      }
    }
    return undefined
  }
  return value
}

/** The first `length` code points; the same string when it is no longer. */
function truncateCodePoints(text: string, length: number): string {
  // At most 2 UTF-16 units per code point: a string this short needs no counting.
  if (text.length <= length) return text
  let units = 0
  for (let points = 0; points < length && units < text.length; points++) {
    units += text.codePointAt(units)! > 0xffff ? 2 : 1
  }
  return text.slice(0, units)
}
