/**
 * The canonical JSON form of table contents that the three harnesses (Apache Iceberg Java,
 * PyIceberg, Lake) all print, so their reads compare with `toEqual`. README.md states the form;
 * java/…/Canonical.java and python/lake_interop.py implement the same rules.
 *
 * Lake's side is built here from the Arrow batches a Lake scan returns, reading Arrow's buffers
 * directly (not Lake's own row conversion), so the Arrow layout users get is what is checked.
 *
 * @module
 */
import type { IcebergType, Schema } from '@lake/catalog'
import { type Table as ArrowTable, type Data, DataType, makeVector, TimeUnit } from 'apache-arrow'

/** A value in canonical JSON: longs and decimals as strings, temporal values as ISO text, bytes as hex. */
export type CanonicalValue =
  | null
  | boolean
  | number
  | string
  | CanonicalValue[]
  | { [field: string]: CanonicalValue }

/** One row: top-level field name to canonical value. */
export type CanonicalRow = { [field: string]: CanonicalValue }

/** Rows in the one order every harness uses: by their JSON text. */
export function sortRows<T>(rows: readonly T[]): T[] {
  return sortBy(rows, (row) => JSON.stringify(row))
}

function sortBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return items
    .map((item) => ({ key: key(item), item }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((entry) => entry.item)
}

// ------------------------------------------------------------------------------- from Arrow

/**
 * The rows of an Arrow table read with Lake, in canonical form. Every column's Arrow type is
 * checked against the Iceberg type it must carry (e.g. timestamptz is microseconds in UTC), so a
 * batch of the wrong shape fails here rather than comparing equal by accident.
 */
export function canonicalRowsFromArrow(table: ArrowTable, schema: Schema): CanonicalRow[] {
  const rows: CanonicalRow[] = []
  for (const batch of table.batches) {
    const columns = schema.fields.map((field) => {
      const index = batch.schema.fields.findIndex((f) => f.name === field.name)
      if (index < 0) throw new Error(`Lake's batch has no column '${field.name}'`)
      const arrowField = batch.schema.fields[index]!
      if (arrowField.nullable === field.required) {
        throw new Error(`Column '${field.name}' is ${arrowField.nullable ? '' : 'not '}nullable in Arrow`)
      }
      return { name: field.name, read: reader(field.type, batch.data.children[index]!, field.name) }
    })
    for (let i = 0; i < batch.numRows; i++) {
      const row: CanonicalRow = {}
      for (const column of columns) row[column.name] = column.read(i)
      rows.push(row)
    }
  }
  return sortRows(rows)
}

type Read = (index: number) => CanonicalValue

function reader(type: IcebergType, data: Data, path: string): Read {
  const read = valueReader(type, data, path)
  return (i) => (data.getValid(i) ? read(i) : null)
}

function expectType(data: Data, path: string, ok: boolean, expected: string): void {
  if (!ok) throw new Error(`Column '${path}' has Arrow type ${String(data.type)}, expected ${expected}`)
}

function valueReader(type: IcebergType, data: Data, path: string): Read {
  const arrow = data.type as DataType
  switch (type.kind) {
    case 'boolean': {
      expectType(data, path, DataType.isBool(arrow), 'Bool')
      const vector = makeVector(data)
      return (i) => vector.get(i) as boolean
    }
    case 'int': {
      expectType(data, path, DataType.isInt(arrow) && arrow.bitWidth === 32 && arrow.isSigned, 'Int32')
      const values = data.values as Int32Array
      return (i) => values[i]!
    }
    case 'long': {
      expectType(data, path, DataType.isInt(arrow) && arrow.bitWidth === 64 && arrow.isSigned, 'Int64')
      const values = data.values as BigInt64Array
      return (i) => values[i]!.toString()
    }
    case 'float':
    case 'double': {
      const precision = type.kind === 'float' ? 1 : 2
      expectType(data, path, DataType.isFloat(arrow) && arrow.precision === precision, type.kind)
      const values = data.values as Float32Array | Float64Array
      return (i) => floating(values[i]!)
    }
    case 'decimal': {
      expectType(
        data,
        path,
        DataType.isDecimal(arrow) &&
          arrow.precision === type.precision &&
          arrow.scale === type.scale &&
          arrow.bitWidth === 128,
        `Decimal128(${type.precision}, ${type.scale})`,
      )
      const words = data.values as Uint32Array
      return (i) => formatDecimal(int128(words, i * 4), type.scale)
    }
    case 'date': {
      expectType(data, path, DataType.isDate(arrow) && arrow.unit === 0, 'DateDay')
      const values = data.values as Int32Array
      return (i) => formatDate(values[i]!)
    }
    case 'time': {
      expectType(
        data,
        path,
        DataType.isTime(arrow) && arrow.unit === TimeUnit.MICROSECOND && arrow.bitWidth === 64,
        'TimeMicrosecond',
      )
      const values = data.values as BigInt64Array
      return (i) => formatTime(values[i]!)
    }
    case 'timestamp':
    case 'timestamptz': {
      const zoned = type.kind === 'timestamptz'
      expectType(
        data,
        path,
        DataType.isTimestamp(arrow) &&
          arrow.unit === TimeUnit.MICROSECOND &&
          (zoned ? arrow.timezone === 'UTC' || arrow.timezone === '+00:00' : !arrow.timezone),
        zoned ? "Timestamp(MICROSECOND, 'UTC')" : 'Timestamp(MICROSECOND) without a time zone',
      )
      const values = data.values as BigInt64Array
      return (i) => formatTimestamp(values[i]!) + (zoned ? 'Z' : '')
    }
    case 'string': {
      expectType(data, path, DataType.isUtf8(arrow), 'Utf8')
      const vector = makeVector(data)
      return (i) => vector.get(i) as string
    }
    case 'uuid':
    case 'fixed': {
      const width = type.kind === 'fixed' ? type.length : 16
      expectType(
        data,
        path,
        DataType.isFixedSizeBinary(arrow) && arrow.byteWidth === width,
        `FixedSizeBinary(${width})`,
      )
      const bytes = data.values as Uint8Array
      return (i) => {
        const hex = toHex(bytes.subarray(i * width, (i + 1) * width))
        return type.kind === 'uuid' ? uuidText(hex) : hex
      }
    }
    case 'binary': {
      expectType(data, path, DataType.isBinary(arrow), 'Binary')
      const offsets = data.valueOffsets as Int32Array
      const bytes = data.values as Uint8Array
      return (i) => toHex(bytes.subarray(offsets[i]!, offsets[i + 1]!))
    }
    case 'struct': {
      expectType(data, path, DataType.isStruct(arrow), 'Struct')
      const struct = arrow as unknown as { children: { name: string }[] }
      const children = type.fields.map((field) => {
        const index = struct.children.findIndex((c) => c.name === field.name)
        if (index < 0) throw new Error(`Struct '${path}' has no field '${field.name}' in Arrow`)
        return { name: field.name, read: reader(field.type, data.children[index]!, `${path}.${field.name}`) }
      })
      return (i) => Object.fromEntries(children.map((c) => [c.name, c.read(i)]))
    }
    case 'list': {
      expectType(data, path, DataType.isList(arrow), 'List')
      const offsets = data.valueOffsets as Int32Array
      const element = reader(type.element, data.children[0]!, `${path}.element`)
      return (i) => {
        const out: CanonicalValue[] = []
        for (let k = offsets[i]!; k < offsets[i + 1]!; k++) out.push(element(k))
        return out
      }
    }
    case 'map': {
      expectType(data, path, DataType.isMap(arrow), 'Map')
      const offsets = data.valueOffsets as Int32Array
      const entries = data.children[0]!
      const key = reader(type.key, entries.children[0]!, `${path}.key`)
      const value = reader(type.value, entries.children[1]!, `${path}.value`)
      return (i) => {
        const pairs: CanonicalValue[][] = []
        for (let k = offsets[i]!; k < offsets[i + 1]!; k++) pairs.push([key(k), value(k)])
        return sortBy(pairs, (pair) => JSON.stringify(pair[0]))
      }
    }
  }
}

// ------------------------------------------------------------------------------- formatting

function floating(value: number): CanonicalValue {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return 'Infinity'
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity'
  return value
}

/** A 128-bit little-endian two's complement integer from four 32-bit words. */
function int128(words: Uint32Array, at: number): bigint {
  let value = 0n
  for (let w = 3; w >= 0; w--) value = (value << 32n) | BigInt(words[at + w]!)
  return BigInt.asIntN(128, value)
}

export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0')
  const whole = digits.slice(0, digits.length - scale)
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : ''
  return `${negative ? '-' : ''}${whole}${fraction}`
}

const MICROS_PER_SECOND = 1_000_000n

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

function formatDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10)
}

function formatTime(micros: bigint): string {
  const seconds = Number(micros / MICROS_PER_SECOND)
  const fraction = (micros % MICROS_PER_SECOND).toString().padStart(6, '0')
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}.${fraction}`
}

function formatTimestamp(micros: bigint): string {
  const seconds = floorDiv(micros, MICROS_PER_SECOND)
  const fraction = (micros - seconds * MICROS_PER_SECOND).toString().padStart(6, '0')
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}`
}

function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0')
  return out
}

function uuidText(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

// ------------------------------------------------------------------------------- to Lake input

/**
 * Canonical rows as input to Lake's `table.append`: each value in one of the forms Lake's
 * `coerceValue` documents (decimal text, ISO text for temporal values, bigint longs, bytes).
 */
export function lakeRows(schema: Schema, rows: readonly CanonicalRow[]): Record<string, unknown>[] {
  return rows.map((row) => {
    const out: Record<string, unknown> = {}
    for (const field of schema.fields) {
      if (field.name in row) out[field.name] = lakeValue(field.type, row[field.name]!)
    }
    return out
  })
}

function lakeValue(type: IcebergType, value: CanonicalValue): unknown {
  if (value === null) return null
  switch (type.kind) {
    case 'long':
      return BigInt(value as string)
    case 'float':
    case 'double':
      return typeof value === 'string' ? Number(value) : value
    case 'time':
      return value
    case 'fixed':
    case 'binary':
      return fromHex(value as string)
    case 'struct': {
      const object = value as { [field: string]: CanonicalValue }
      const out: Record<string, unknown> = {}
      for (const field of type.fields) {
        if (field.name in object) out[field.name] = lakeValue(field.type, object[field.name]!)
      }
      return out
    }
    case 'list':
      return (value as CanonicalValue[]).map((item) => lakeValue(type.element, item))
    case 'map':
      return new Map(
        (value as CanonicalValue[][]).map(([k, v]) => [lakeValue(type.key, k!), lakeValue(type.value, v!)]),
      )
    default:
      // decimal, date, timestamp(tz), string, uuid, boolean, int: the canonical text is accepted as is.
      return value
  }
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}
