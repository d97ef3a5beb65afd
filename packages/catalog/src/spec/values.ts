/**
 * Internal values (see `types.ts`): their order, and the one place user input becomes them.
 *
 * @module
 */
import { type ErrorContext, ValidationError } from '@lake/errors'
import {
  checkDecimalPrecision,
  isCanonicalUuid,
  isInt32,
  MICROS_PER_DAY,
  parseDate,
  parseDecimal,
  parseTime,
  parseTimestamp,
  parseTimestamptz,
  uuidFromBytes,
} from './conversions.js'
import {
  type DecimalType,
  type IcebergType,
  type ListType,
  type MapType,
  type PrimitiveType,
  type StructType,
  typeToString,
} from './types.js'

// ---------------------------------------------------------------------------------------------
// Order
// ---------------------------------------------------------------------------------------------

/**
 * Compares two non-null internal values of a primitive type: negative, zero or positive.
 *
 * This is the order of column bounds and of pruning, so it is the one Iceberg Java and Parquet
 * statistics use: strings by Unicode code point (the order of their UTF-8 bytes, not of JS's
 * UTF-16 `<`), `fixed`/`binary` and `uuid` by unsigned bytes, decimals by unscaled value.
 * Floats follow Java's `Double.compare`: `-0 < 0` and NaN above everything, which makes the order
 * total; NaN must still never become a bound, so writers and evaluators count NaNs separately.
 */
export function compareValues(type: PrimitiveType, a: unknown, b: unknown): number {
  switch (type.kind) {
    case 'boolean':
      return Number(a) - Number(b)
    case 'int':
    case 'date':
      return sign((a as number) - (b as number))
    case 'float':
    case 'double':
      return compareDoubles(a as number, b as number)
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'decimal':
      return (a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0
    case 'string':
      return compareCodePoints(a as string, b as string)
    case 'uuid':
      // Canonical lower-case hex text sorts exactly as the 16 bytes do, unsigned.
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0
    case 'fixed':
    case 'binary':
      return compareUnsignedBytes(a as Uint8Array, b as Uint8Array)
  }
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0
}

function compareDoubles(a: number, b: number): number {
  if (a < b) return -1
  if (a > b) return 1
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1
  // Equal as numbers; only the zeros differ in sign.
  return Object.is(a, b) ? 0 : Object.is(a, -0) ? -1 : 1
}

function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointOrder(x) - codePointOrder(y)
  }
  return a.length - b.length
}

/**
 * Moves surrogates above the rest of the BMP: a pair starts a code point above U+FFFF, so at the
 * first differing UTF-16 unit this reproduces code-point (and UTF-8 byte) order.
 */
function codePointOrder(unit: number): number {
  if (unit < 0xd800) return unit
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000
}

function compareUnsignedBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return a.length - b.length
}

// ---------------------------------------------------------------------------------------------
// Coercion of user input
// ---------------------------------------------------------------------------------------------

/**
 * Converts user input (a row value, a literal, a default) into the internal value of `type`,
 * or throws a {@link ValidationError} whose `context.field` is `path`. Nothing is rounded,
 * truncated or guessed: input that does not fit the type exactly is refused.
 *
 * `null` and `undefined` become `null`: whether the field may be null is the caller's to decide
 * for the value it passes, while nested required fields, list elements and map values are
 * checked here. Paths of nested values are `a.b` for struct fields, `a[2]` for list elements and
 * `a.key` / `a.value` for map entries.
 *
 * Accepted input, by type:
 *
 * | Type          | Accepted                                                                          |
 * |---------------|-----------------------------------------------------------------------------------|
 * | boolean       | `boolean`                                                                         |
 * | int           | integer `number` or `bigint` in the int32 range                                   |
 * | long          | `bigint` or safe-integer `number`, in the int64 range                            |
 * | float, double | `number` (float is rounded to 32 bits, but must not overflow to infinity)         |
 * | decimal(P, S) | `bigint` (a whole number, not the unscaled value), `number`, or text like `'12.34'`; at most S fractional digits and P digits in all |
 * | date          | `Date` (its UTC day), `'YYYY-MM-DD'`, or an int `number` of days since 1970-01-01 |
 * | time          | `'HH:MM[:SS[.ffffff]]'` or a `bigint` of microseconds since midnight              |
 * | timestamp     | `Date` (its UTC wall-clock time), ISO text without offset (`'2024-01-05T13:00:00'`, `T` or space), or a `bigint` of microseconds |
 * | timestamptz   | `Date`, ISO text with an offset or `Z` (required), or a `bigint` of microseconds since the epoch |
 * | string        | `string`                                                                          |
 * | uuid          | 8-4-4-4-12 hex text in either case (stored lower-case), or 16 bytes                |
 * | fixed(L)      | `Uint8Array` of exactly L bytes                                                   |
 * | binary        | `Uint8Array`                                                                      |
 * | struct        | plain object by field name; keys that are not fields are refused                  |
 * | list          | array                                                                             |
 * | map           | `Map`, or a plain object when the key type is `string`                            |
 *
 * A plain `number` is refused for `time`, `timestamp` and `timestamptz`: whether it counts
 * milliseconds (as `Date.now()`) or microseconds (as Iceberg) cannot be told, and guessing wrong
 * writes plausible but wrong instants. Pass a `Date` or a `bigint` of microseconds.
 *
 * @example
 * ```ts
 * coerceValue(Types.decimal(9, 2), '12.3', 'price')          // 1230n
 * coerceValue(Types.timestamptz, '2024-01-05T13:00:00Z', 'at') // 1704459600000000n
 * coerceValue(Types.int, 2 ** 31, 'count')                    // throws ValidationError (field 'count')
 * ```
 */
export function coerceValue(type: IcebergType, input: unknown, path: string): unknown {
  if (input === null || input === undefined) return null
  switch (type.kind) {
    case 'struct':
      return coerceStruct(type, input, path)
    case 'list':
      return coerceList(type, input, path)
    case 'map':
      return coerceMap(type, input, path)
    default:
      return coercePrimitive(type, input, path)
  }
}

/**
 * Rows of a struct type (plain objects by field name, as {@link coerceValue} takes them) coerced
 * straight into one array of internal values per field, in field order: the columns a Parquet
 * writer takes, without an intermediate object per row. Each row is checked by exactly the rules
 * of `coerceValue(type, row, '')`, required fields included; the first refused row throws a
 * {@link ValidationError} that says `Row <index>:` and carries `row` and `context` in its context.
 *
 * @example
 * ```ts
 * const row = Types.struct([
 *   { id: 1, name: 'id', required: true, type: Types.long },
 *   { id: 2, name: 'price', required: false, type: Types.decimal(9, 2) },
 * ])
 * coerceColumns(row, [{ id: 1, price: '2.50' }, { id: 2n }])  // [[1n, 2n], [250n, null]]
 * coerceColumns(row, [{ id: 1 }, { price: 1 }])              // throws ValidationError (row 1, field 'id')
 * ```
 */
export function coerceColumns(
  type: StructType,
  rows: readonly unknown[],
  context: ErrorContext = {},
): unknown[][] {
  const into = rowCoercion(type)
  const columns = type.fields.map(() => new Array<unknown>(rows.length))
  for (let r = 0; r < rows.length; r++) {
    try {
      into(rows[r], columns, r)
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error
      throw new ValidationError(`Row ${r}: ${error.message}`, {
        cause: error,
        context: { ...error.context, ...context, row: r },
      })
    }
  }
  return columns
}

/**
 * The coercion of one row of a struct type into column arrays, planned once per struct:
 * `into(input, columns, r)` sets `columns[c][r]` for every field, by exactly the rules of
 * `coerceValue(type, input, '')`, or throws a {@link ValidationError} for the field refused
 * (having set some of the row's values, which the caller discards).
 */
export function rowCoercion(type: StructType): (input: unknown, columns: unknown[][], r: number) => void {
  const fields = type.fields
  const plan = structPlan(type, '')
  const coerce = fields.map((field) => coercer(field.type))
  return (input, columns, r) => {
    if (!isPlainObject(input)) throw refuse(type, input, '', 'expected an object with a key per field')
    checkKeys(type, plan, input, '')
    for (let c = 0; c < fields.length; c++) {
      const field = fields[c]!
      const raw = input[field.name]
      const value = raw === null || raw === undefined ? null : coerce[c]!(raw, plan.paths[c]!)
      if (value === null && field.required) throw missing(plan.paths[c]!, 'is required')
      columns[c]![r] = value
    }
  }
}

/**
 * The coercion of one non-null value of a type, chosen once per column rather than once per
 * value: the common flat types are checked inline, the rest go through {@link coerceValue}.
 */
function coercer(type: IcebergType): (input: unknown, path: string) => unknown {
  switch (type.kind) {
    case 'string':
    case 'boolean':
    case 'double': {
      const expected = type.kind === 'double' ? 'number' : type.kind
      return (input, path) => {
        if (typeof input !== expected) throw refuse(type, input, path)
        return input
      }
    }
    case 'long':
      return (input, path) => coerceLong(type, input, path)
    case 'int':
      return (input, path) => coerceInt(type, input, path)
    case 'decimal':
      return (input, path) => coerceDecimal(type, input, path)
    case 'timestamp':
    case 'timestamptz':
      return (input, path) => coerceTimestamp(type, input, path)
    default:
      return (input, path) => coerceValue(type, input, path)
  }
}

function checkKeys(type: StructType, plan: StructPlan, input: Record<string, unknown>, path: string): void {
  for (const key in input) {
    // The set first: inherited keys are rare, and hasOwn costs more than a set lookup.
    if (!plan.names.has(key) && Object.hasOwn(input, key)) {
      throw new ValidationError(`Field '${join(path, key)}' is not in ${typeToString(type)}`, {
        context: { field: join(path, key) },
      })
    }
  }
}

function coerceStruct(type: StructType, input: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(input)) throw refuse(type, input, path, 'expected an object with a key per field')
  const plan = structPlan(type, path)
  checkKeys(type, plan, input, path)
  const out: Record<string, unknown> = {}
  const fields = type.fields
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!
    const fieldPath = plan.paths[i]!
    const value = coerceValue(field.type, input[field.name], fieldPath)
    if (value === null && field.required) throw missing(fieldPath, 'is required')
    // Defined, not assigned, for a field named `__proto__`, so that it stays data.
    if (field.name === '__proto__') {
      Object.defineProperty(out, field.name, { value, enumerable: true, writable: true, configurable: true })
    } else {
      out[field.name] = value
    }
  }
  return out
}

/** Field names and paths of a struct at a path, computed once instead of once per row. */
interface StructPlan {
  names: ReadonlySet<string>
  paths: readonly string[]
}

const structPlans = new WeakMap<StructType, Map<string, StructPlan>>()

function structPlan(type: StructType, path: string): StructPlan {
  let byPath = structPlans.get(type)
  if (!byPath) {
    byPath = new Map()
    structPlans.set(type, byPath)
  }
  let plan = byPath.get(path)
  if (!plan) {
    plan = {
      names: new Set(type.fields.map((field) => field.name)),
      paths: type.fields.map((field) => join(path, field.name)),
    }
    // Paths of list elements and map entries differ per row (`a[3]`); keep the cache bounded.
    if (byPath.size < 64) byPath.set(path, plan)
  }
  return plan
}

function coerceList(type: ListType, input: unknown, path: string): unknown[] {
  if (!Array.isArray(input)) throw refuse(type, input, path, 'expected an array')
  return input.map((element, i) => {
    const elementPath = `${path}[${i}]`
    const value = coerceValue(type.element, element, elementPath)
    if (value === null && type.elementRequired) throw missing(elementPath, 'is a required list element')
    return value
  })
}

function coerceMap(type: MapType, input: unknown, path: string): Map<unknown, unknown> {
  let entries: Iterable<[unknown, unknown]>
  if (input instanceof Map) entries = input
  else if (type.key.kind === 'string' && isPlainObject(input)) entries = Object.entries(input)
  else {
    const expected = type.key.kind === 'string' ? 'a Map or a plain object' : 'a Map'
    throw refuse(type, input, path, `expected ${expected}`)
  }
  const out = new Map<unknown, unknown>()
  for (const [k, v] of entries) {
    const key = coerceValue(type.key, k, `${path}.key`)
    if (key === null) throw missing(`${path}.key`, 'is a map key, which cannot be null')
    if (out.has(key)) throw refuse(type.key, k, `${path}.key`, 'the same key appears twice')
    const value = coerceValue(type.value, v, `${path}.value`)
    if (value === null && type.valueRequired) throw missing(`${path}.value`, 'is a required map value')
    out.set(key, value)
  }
  return out
}

function coercePrimitive(type: PrimitiveType, input: unknown, path: string): unknown {
  switch (type.kind) {
    case 'boolean':
      if (typeof input !== 'boolean') throw refuse(type, input, path)
      return input
    case 'int':
      return coerceInt(type, input, path)
    case 'long':
      return coerceLong(type, input, path)
    case 'float':
      return coerceFloat(type, input, path)
    case 'double':
      if (typeof input !== 'number') throw refuse(type, input, path)
      return input
    case 'decimal':
      return coerceDecimal(type, input, path)
    case 'date':
      return coerceDate(type, input, path)
    case 'time':
      return coerceTime(type, input, path)
    case 'timestamp':
    case 'timestamptz':
      return coerceTimestamp(type, input, path)
    case 'string':
      if (typeof input !== 'string') throw refuse(type, input, path)
      return input
    case 'uuid':
      return coerceUuid(type, input, path)
    case 'fixed':
      if (!(input instanceof Uint8Array) || input.length !== type.length) {
        throw refuse(type, input, path, `expected a Uint8Array of ${type.length} bytes`)
      }
      return input
    case 'binary':
      if (!(input instanceof Uint8Array)) throw refuse(type, input, path, 'expected a Uint8Array')
      return input
  }
}

function coerceInt(type: PrimitiveType, input: unknown, path: string): number {
  const n = typeof input === 'bigint' ? Number(input) : input
  if (typeof n !== 'number' || !isInt32(n) || (typeof input === 'bigint' && BigInt(n) !== input)) {
    throw refuse(type, input, path, 'expected an integer from -2^31 to 2^31-1')
  }
  return n | 0 // -0 becomes 0
}

function coerceLong(type: PrimitiveType, input: unknown, path: string): bigint {
  if (typeof input === 'bigint' && isInt64(input)) return input
  if (typeof input === 'number' && Number.isSafeInteger(input)) return BigInt(input)
  const why =
    typeof input === 'number' && Number.isInteger(input)
      ? 'integers beyond 2^53 lose precision as numbers; pass a bigint'
      : 'expected a bigint or integer from -2^63 to 2^63-1'
  throw refuse(type, input, path, why)
}

function coerceFloat(type: PrimitiveType, input: unknown, path: string): number {
  if (typeof input !== 'number') throw refuse(type, input, path)
  const float = Math.fround(input)
  if (Number.isFinite(input) && !Number.isFinite(float))
    throw refuse(type, input, path, 'too large for a float')
  return float
}

function coerceDecimal(type: DecimalType, input: unknown, path: string): bigint {
  if (typeof input === 'number') {
    const unscaled = exactUnscaled(input, type)
    if (unscaled !== undefined) return BigInt(unscaled)
  }
  const context = where(type, path)
  if (typeof input === 'string') return parseDecimal(input, type, context)
  if (typeof input === 'number' && Number.isFinite(input)) return parseDecimal(String(input), type, context)
  if (typeof input === 'bigint') {
    if (type.scale >= 0) {
      const unscaled = input * 10n ** BigInt(type.scale)
      checkDecimalPrecision(unscaled, type, context, String(input))
      return unscaled
    }
    return parseDecimal(String(input), type, context)
  }
  throw refuse(type, input, path, 'expected a decimal string, number or bigint')
}

/** 10^0 … 10^22, the powers of ten a double holds exactly. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i)
/** Unscaled values below this (2^51) sit where a double's spacing is under half a unit of the scale. */
const FAST_UNSCALED_LIMIT = 2 ** 51

/**
 * The unscaled value of a number that fits the decimal type, computed with doubles; `undefined`
 * when that cannot be exact (the caller then parses the number's text, which also explains any
 * refusal).
 *
 * Exact, and the same as parsing `String(input)`: when `c / 10^s` rounds to `input` for an integer
 * `c` below 2^51, the decimal `c·10^-s` lies within half a double spacing of `input`, and that
 * spacing is under half of `10^-s` there, so no other decimal with at most `s` fractional digits
 * rounds to `input`; the shortest text of `input` (what `String` gives) is therefore `c·10^-s`
 * itself or a shorter spelling of it.
 */
function exactUnscaled(input: number, type: DecimalType): number | undefined {
  const factor = EXACT_POWERS_OF_TEN[type.scale]
  if (factor === undefined) return undefined
  const unscaled = Math.round(input * factor)
  if (!(Math.abs(unscaled) < FAST_UNSCALED_LIMIT) || unscaled / factor !== input) return undefined
  // Precision: 10^P is exact for P ≤ 22, and any P above 15 holds every value below 2^51.
  if (type.precision <= 15 && Math.abs(unscaled) >= EXACT_POWERS_OF_TEN[type.precision]!) return undefined
  return unscaled
}

function coerceDate(type: PrimitiveType, input: unknown, path: string): number {
  if (typeof input === 'string') return parseDate(input, where(type, path))
  if (typeof input === 'number' && isInt32(input)) return input | 0
  if (input instanceof Date && !Number.isNaN(input.getTime())) return Math.floor(input.getTime() / 86_400_000)
  throw refuse(
    type,
    input,
    path,
    "expected a Date, 'YYYY-MM-DD' or an integer number of days since 1970-01-01",
  )
}

function coerceTime(type: PrimitiveType, input: unknown, path: string): bigint {
  if (typeof input === 'string') return parseTime(input, where(type, path))
  if (typeof input === 'bigint' && input >= 0n && input < MICROS_PER_DAY) return input
  throw refuse(type, input, path, "expected 'HH:MM:SS[.ffffff]' or a bigint of microseconds since midnight")
}

function coerceTimestamp(type: PrimitiveType, input: unknown, path: string): bigint {
  if (typeof input === 'string') {
    return type.kind === 'timestamp'
      ? parseTimestamp(input, where(type, path))
      : parseTimestamptz(input, where(type, path))
  }
  if (typeof input === 'bigint' && isInt64(input)) return input
  if (input instanceof Date && !Number.isNaN(input.getTime())) {
    // One bigint rather than two while the product is exact (within ±285 years of 1970).
    const micros = input.getTime() * 1000
    return Number.isSafeInteger(micros) ? BigInt(micros) : BigInt(input.getTime()) * 1000n
  }
  const text = type.kind === 'timestamp' ? 'ISO text without offset' : 'ISO text with an offset or Z'
  throw refuse(type, input, path, `expected a Date, ${text}, or a bigint of microseconds since the epoch`)
}

function coerceUuid(type: PrimitiveType, input: unknown, path: string): string {
  if (typeof input === 'string' && isCanonicalUuid(input.toLowerCase())) return input.toLowerCase()
  if (input instanceof Uint8Array && input.length === 16) return uuidFromBytes(input)
  throw refuse(type, input, path, 'expected 8-4-4-4-12 hex text or 16 bytes')
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** Whether a bigint fits int64 (compared, not truncated and compared back as with `BigInt.asIntN`). */
function isInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`
}

function where(type: IcebergType, path: string): ErrorContext {
  return { field: path, type: typeToString(type) }
}

function missing(path: string, why: string): ValidationError {
  return new ValidationError(`Field '${path}' ${why}, but the value is null`, { context: { field: path } })
}

function refuse(type: IcebergType, input: unknown, path: string, why?: string): ValidationError {
  const suffix = why === undefined ? '' : ` (${why})`
  return new ValidationError(
    `Field '${path}': ${render(input)} is not a valid ${typeToString(type)}${suffix}`,
    {
      context: where(type, path),
    },
  )
}

/** A short, safe rendering of user input for messages. */
function render(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)
  if (typeof input === 'bigint') return `${input}n`
  if (input instanceof Uint8Array) return `${input.constructor.name}(${input.length})`
  if (input instanceof Date) return `Date(${Number.isNaN(input.getTime()) ? 'invalid' : input.toISOString()})`
  if (Array.isArray(input)) return `an array of ${input.length}`
  if (typeof input === 'object') return input === null ? 'null' : `a ${input.constructor?.name ?? 'object'}`
  return String(input)
}
