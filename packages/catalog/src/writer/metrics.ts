import { ValidationError } from '@lake/errors'
import { toBytes } from '../spec/conversions.js'
import type { Schema } from '../spec/schema.js'
import type { IcebergType, PrimitiveType } from '../spec/types.js'
import { compareValues } from '../spec/values.js'
import { type Leaf, leaves } from './parquet-schema.js'

/** How much a column's metrics say, per Iceberg's `write.metadata.metrics.*` properties. */
export type MetricsMode =
  | { kind: 'none' }
  | { kind: 'counts' }
  | { kind: 'truncate'; length: number }
  | { kind: 'full' }

/** Java's default, `truncate(16)`. */
export const DEFAULT_METRICS_MODE: MetricsMode = { kind: 'truncate', length: 16 }

/** Parses `none`, `counts`, `truncate(N)` or `full`. */
export function parseMetricsMode(text: string, property: string): MetricsMode {
  const trimmed = text.trim().toLowerCase()
  if (trimmed === 'none' || trimmed === 'counts' || trimmed === 'full') return { kind: trimmed }
  const match = /^truncate\((\d+)\)$/.exec(trimmed)
  if (match && Number(match[1]) > 0) return { kind: 'truncate', length: Number(match[1]) }
  throw new ValidationError(`Invalid metrics mode '${text}' in table property ${property}`, {
    context: { property },
  })
}

/** The metrics mode of each leaf, from the table's properties. */
export function metricsModes(
  schema: Schema,
  properties: Readonly<Record<string, string>>,
): Map<number, MetricsMode> {
  const key = 'write.metadata.metrics.default'
  const fallback =
    properties[key] === undefined ? DEFAULT_METRICS_MODE : parseMetricsMode(properties[key]!, key)
  const modes = new Map<number, MetricsMode>()
  for (const leaf of leaves(schema)) {
    const name = schema.findColumnName(leaf.field.id) ?? leaf.field.name
    const columnKey = `write.metadata.metrics.column.${name}`
    const own = properties[columnKey]
    modes.set(leaf.field.id, own === undefined ? fallback : parseMetricsMode(own, columnKey))
  }
  return modes
}

/** Metrics of one leaf column, gathered as rows are written. */
interface LeafStats {
  leaf: Leaf
  values: number
  nulls: number
  nans: number
  min: unknown
  max: unknown
}

/** The per-file metrics of a `DataFile`, keyed by field id. */
export interface FileMetrics {
  valueCounts: Map<number, bigint>
  nullValueCounts: Map<number, bigint>
  nanValueCounts: Map<number, bigint>
  lowerBounds: Map<number, Uint8Array>
  upperBounds: Map<number, Uint8Array>
}

/**
 * Collects value, null and NaN counts and lower/upper bounds for every primitive leaf in one
 * walk over the rows. Counting follows Parquet, as Java's metrics do: a null struct or a null or
 * empty list counts one null value for each leaf beneath it. Bounds are kept only outside lists
 * and maps, never from NaN, and are truncated as the metrics mode says.
 */
export class MetricsCollector {
  readonly #schema: Schema
  readonly #stats: LeafStats[]
  readonly #modes: Map<number, MetricsMode>
  readonly #visit: ((row: Readonly<Record<string, unknown>>) => void)[]

  constructor(schema: Schema, properties: Readonly<Record<string, string>>) {
    this.#schema = schema
    this.#stats = leaves(schema).map((leaf) => ({
      leaf,
      values: 0,
      nulls: 0,
      nans: 0,
      min: undefined,
      max: undefined,
    }))
    this.#modes = metricsModes(schema, properties)
    let next = 0
    this.#visit = schema.fields.map((field) => {
      const visitor = this.#visitor(field.type, next)
      next += countLeaves(field.type)
      return (row) => visitor(row[field.name])
    })
  }

  /** Adds rows of internal values. */
  add(rows: readonly Readonly<Record<string, unknown>>[]): void {
    for (const row of rows) for (const visit of this.#visit) visit(row)
  }

  /** The metrics gathered so far. */
  metrics(): FileMetrics {
    const out: FileMetrics = {
      valueCounts: new Map(),
      nullValueCounts: new Map(),
      nanValueCounts: new Map(),
      lowerBounds: new Map(),
      upperBounds: new Map(),
    }
    for (const s of this.#stats) {
      const id = s.leaf.field.id
      const mode = this.#modes.get(id) ?? DEFAULT_METRICS_MODE
      if (mode.kind === 'none') continue
      out.valueCounts.set(id, BigInt(s.values))
      out.nullValueCounts.set(id, BigInt(s.nulls))
      const type = s.leaf.field.type
      if (type.kind === 'float' || type.kind === 'double') out.nanValueCounts.set(id, BigInt(s.nans))
      if (mode.kind === 'counts' || s.leaf.repeated || s.min === undefined) continue
      const lower = mode.kind === 'truncate' ? truncateLower(type, s.min, mode.length) : s.min
      const upper = mode.kind === 'truncate' ? truncateUpper(type, s.max, mode.length) : s.max
      out.lowerBounds.set(id, toBytes(type, lower))
      if (upper !== undefined) out.upperBounds.set(id, toBytes(type, upper))
    }
    return out
  }

  #visitor(type: IcebergType, first: number): (value: unknown) => void {
    switch (type.kind) {
      case 'struct': {
        let next = first
        const children = type.fields.map((f) => {
          const visit = this.#visitor(f.type, next)
          next += countLeaves(f.type)
          return (value: Record<string, unknown>) => visit(value[f.name])
        })
        const all = this.#nullsFrom(first, next - first)
        return (value) => {
          if (value === null || value === undefined) all()
          else for (const child of children) child(value as Record<string, unknown>)
        }
      }
      case 'list': {
        const element = this.#visitor(type.element, first)
        const all = this.#nullsFrom(first, countLeaves(type.element))
        return (value) => {
          const list = value as unknown[] | null | undefined
          if (!list || list.length === 0) all()
          else for (const item of list) element(item)
        }
      }
      case 'map': {
        const keyLeaves = countLeaves(type.key)
        const key = this.#visitor(type.key, first)
        const val = this.#visitor(type.value, first + keyLeaves)
        const all = this.#nullsFrom(first, keyLeaves + countLeaves(type.value))
        return (value) => {
          const map = value as Map<unknown, unknown> | null | undefined
          if (!map || map.size === 0) all()
          else
            for (const [k, v] of map) {
              key(k)
              val(v)
            }
        }
      }
      default: {
        const stats = this.#stats[first]!
        const primitive = type as PrimitiveType
        const floating = primitive.kind === 'float' || primitive.kind === 'double'
        return (value) => {
          stats.values += 1
          if (value === null || value === undefined) {
            stats.nulls += 1
          } else if (floating && Number.isNaN(value)) {
            stats.nans += 1
          } else if (stats.min === undefined) {
            stats.min = value
            stats.max = value
          } else {
            if (compareValues(primitive, value, stats.min) < 0) stats.min = value
            else if (compareValues(primitive, value, stats.max) > 0) stats.max = value
          }
        }
      }
    }
  }

  #nullsFrom(first: number, count: number): () => void {
    const stats = this.#stats.slice(first, first + count)
    return () => {
      for (const s of stats) {
        s.values += 1
        s.nulls += 1
      }
    }
  }

  /** The schema the metrics are for. */
  get schema(): Schema {
    return this.#schema
  }
}

function countLeaves(type: IcebergType): number {
  switch (type.kind) {
    case 'struct':
      return type.fields.reduce((n, f) => n + countLeaves(f.type), 0)
    case 'list':
      return countLeaves(type.element)
    case 'map':
      return countLeaves(type.key) + countLeaves(type.value)
    default:
      return 1
  }
}

/** A lower bound of at most `length` characters (strings) or bytes (binary): a prefix is lower. */
export function truncateLower(type: PrimitiveType, value: unknown, length: number): unknown {
  if (type.kind === 'string') return [...(value as string)].slice(0, length).join('')
  if (type.kind === 'binary') return (value as Uint8Array).subarray(0, length)
  return value
}

/**
 * An upper bound of at most `length` characters or bytes: the prefix with its last character
 * (or byte) incremented, as Java's `UnicodeUtil.truncateStringMax` does; undefined when no such
 * bound exists (every position already at its maximum), in which case none is written.
 */
export function truncateUpper(type: PrimitiveType, value: unknown, length: number): unknown {
  if (type.kind === 'string') {
    const chars = [...(value as string)]
    if (chars.length <= length) return value
    const prefix = chars.slice(0, length).map((c) => c.codePointAt(0)!)
    for (let i = prefix.length - 1; i >= 0; i--) {
      let next = prefix[i]! + 1
      if (next >= 0xd800 && next <= 0xdfff) next = 0xe000
      if (next <= 0x10ffff) return String.fromCodePoint(...prefix.slice(0, i), next)
    }
    return undefined
  }
  if (type.kind === 'binary') {
    const bytes = value as Uint8Array
    if (bytes.length <= length) return bytes
    const prefix = Uint8Array.from(bytes.subarray(0, length))
    for (let i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i]! < 0xff) {
        prefix[i]! += 1
        return prefix.subarray(0, i + 1)
      }
    }
    return undefined
  }
  return value
}
