/**
 * The spec's single-value serialisations (appendix D) of internal values (see `types.ts`):
 * the binary form used for column bounds and partition summaries in manifests, and the JSON
 * form used for defaults and partition values in metadata and REST payloads.
 *
 * The date, time and decimal text helpers here are the only ones in the package; `values.ts`
 * and `transforms.ts` reuse them so that every text form of a value is parsed and printed once.
 *
 * @module
 */
import { CorruptFileError, type ErrorContext, ValidationError } from '@lake/errors'
import {
  type DecimalType,
  type IcebergType,
  type ListType,
  type MapType,
  type PrimitiveType,
  primitiveToString,
  type StructType,
  typeToString,
} from './types.js'

/**
 * A value as the JSON single-value serialisation holds it. `long` values are `bigint` because a
 * JSON number cannot carry 64 bits through `JSON.parse`; the metadata (de)serialiser must read
 * and write them losslessly, as it already must for snapshot ids.
 */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue }

/** Microseconds in a day, the unit step between `date` and `timestamp` values. */
export const MICROS_PER_DAY = 86_400_000_000n
const MICROS_PER_SECOND = 1_000_000n
const INT32_MIN = -2_147_483_648
const INT32_MAX = 2_147_483_647

const ENCODER = new TextEncoder()
// fatal: invalid UTF-8 is corruption, not text; ignoreBOM: a leading U+FEFF is part of the value.
const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// ---------------------------------------------------------------------------------------------
// Binary single-value serialisation
// ---------------------------------------------------------------------------------------------

/**
 * Serialises an internal value as the spec's binary single value, the form of `lower_bounds`,
 * `upper_bounds` and partition field summaries.
 *
 * @example
 * ```ts
 * toBytes(Types.int, 34) // Uint8Array [34, 0, 0, 0]
 * ```
 */
export function toBytes(type: PrimitiveType, value: unknown): Uint8Array {
  switch (type.kind) {
    case 'boolean':
      return Uint8Array.of(expectBoolean(type, value) ? 1 : 0)
    case 'int':
    case 'date': {
      const out = new Uint8Array(4)
      new DataView(out.buffer).setInt32(0, expectInt(type, value), true)
      return out
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz': {
      const out = new Uint8Array(8)
      new DataView(out.buffer).setBigInt64(0, expectLong(type, value), true)
      return out
    }
    case 'float': {
      const out = new Uint8Array(4)
      new DataView(out.buffer).setFloat32(0, expectNumber(type, value), true)
      return out
    }
    case 'double': {
      const out = new Uint8Array(8)
      new DataView(out.buffer).setFloat64(0, expectNumber(type, value), true)
      return out
    }
    case 'string':
      return ENCODER.encode(expectString(type, value))
    case 'uuid':
      return uuidToBytes(expectString(type, value))
    case 'fixed':
    case 'binary':
      return expectBytes(type, value)
    case 'decimal':
      return decimalToBytes(expectBigint(type, value))
  }
}

/**
 * Reads the spec's binary single value back into an internal value. Bounds written before a
 * type promotion keep their old width, so `long` and `double` also accept 4 bytes (written as
 * `int` and `float`) and `timestamp` accepts 4 bytes (written as `date`), per the spec's table
 * of bound lengths.
 */
export function fromBytes(type: PrimitiveType, bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (type.kind) {
    case 'boolean':
      expectLength(type, bytes, 1)
      return bytes[0] !== 0
    case 'int':
    case 'date':
      expectLength(type, bytes, 4)
      return view.getInt32(0, true)
    case 'long':
      if (bytes.length === 4) return BigInt(view.getInt32(0, true))
      expectLength(type, bytes, 8)
      return view.getBigInt64(0, true)
    case 'timestamp':
      if (bytes.length === 4) return BigInt(view.getInt32(0, true)) * MICROS_PER_DAY
      expectLength(type, bytes, 8)
      return view.getBigInt64(0, true)
    case 'time':
    case 'timestamptz':
      expectLength(type, bytes, 8)
      return view.getBigInt64(0, true)
    case 'float':
      expectLength(type, bytes, 4)
      return view.getFloat32(0, true)
    case 'double':
      if (bytes.length === 4) return view.getFloat32(0, true)
      expectLength(type, bytes, 8)
      return view.getFloat64(0, true)
    case 'string':
      try {
        return DECODER.decode(bytes)
      } catch (cause) {
        throw new CorruptFileError('A string value is not valid UTF-8', {
          cause,
          context: { type: 'string' },
        })
      }
    case 'uuid':
      expectLength(type, bytes, 16)
      return uuidFromBytes(bytes)
    case 'fixed':
    case 'binary':
      // A copy, so a value never pins (or aliases) the buffer of the manifest it was read from.
      return bytes.slice()
    case 'decimal':
      if (bytes.length === 0) {
        throw new CorruptFileError('A decimal value has no bytes', {
          context: { type: primitiveToString(type) },
        })
      }
      return decimalFromBytes(bytes)
  }
}

/**
 * The unscaled value of a decimal as the fewest two's-complement big-endian bytes that hold it
 * (Java's `BigInteger.toByteArray`): the form both the binary serialisation and the bucket hash use.
 */
export function decimalToBytes(unscaled: bigint): Uint8Array {
  const magnitude = unscaled < 0n ? ~unscaled : unscaled
  const bits = magnitude === 0n ? 0 : magnitude.toString(2).length
  const length = Math.floor(bits / 8) + 1 // one more bit for the sign
  const out = new Uint8Array(length)
  let rest = BigInt.asUintN(length * 8, unscaled)
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn)
    rest >>= 8n
  }
  return out
}

function decimalFromBytes(bytes: Uint8Array): bigint {
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  return BigInt.asIntN(bytes.length * 8, value)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** True for a UUID in the canonical lower-case 8-4-4-4-12 form, the internal value of `uuid`. */
export function isCanonicalUuid(text: string): boolean {
  return UUID.test(text)
}

/** The 16 big-endian bytes of a UUID (spec appendix B, note 4). */
export function uuidToBytes(uuid: string): Uint8Array {
  if (!isCanonicalUuid(uuid)) {
    throw new ValidationError(`'${uuid}' is not a lower-case canonical UUID`, { context: { type: 'uuid' } })
  }
  return hexToBytes(uuid.replaceAll('-', ''))
}

/** The canonical lower-case text of a UUID from its 16 big-endian bytes. */
export function uuidFromBytes(bytes: Uint8Array): string {
  const hex = bytesToHex(bytes)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** Lower-case hexadecimal, the JSON form of `fixed` and `binary` values. */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

// ---------------------------------------------------------------------------------------------
// JSON single-value serialisation
// ---------------------------------------------------------------------------------------------

/**
 * Serialises an internal value as the spec's JSON single value: the form of `initial-default`,
 * `write-default` and of partition values in REST payloads. Struct fields are keyed by field id
 * and null fields are left out, as Java's `SingleValueParser` writes them.
 *
 * @example
 * ```ts
 * toJsonValue(Types.decimal(9, 2), 1420n) // '14.20'
 * toJsonValue(Types.timestamptz, 0n)      // '1970-01-01T00:00:00+00:00'
 * ```
 */
export function toJsonValue(type: IcebergType, value: unknown): JsonValue {
  if (value === null || value === undefined) return null
  switch (type.kind) {
    case 'struct':
      return structToJson(type, value)
    case 'list':
      return listToJson(type, value)
    case 'map':
      return mapToJson(type, value)
    case 'boolean':
      return expectBoolean(type, value)
    case 'int':
      return expectInt(type, value)
    case 'long':
      return expectLong(type, value)
    case 'float':
    case 'double':
      return floatToJson(expectNumber(type, value))
    case 'decimal':
      return formatDecimal(expectBigint(type, value), type.scale)
    case 'date':
      return formatDate(expectInt(type, value))
    case 'time':
      return formatTime(expectLong(type, value))
    case 'timestamp':
      return formatTimestamp(expectLong(type, value))
    case 'timestamptz':
      return `${formatTimestamp(expectLong(type, value))}+00:00`
    case 'string':
      return expectString(type, value)
    case 'uuid': {
      const uuid = expectString(type, value)
      uuidToBytes(uuid) // validates the form
      return uuid
    }
    case 'fixed':
    case 'binary':
      return bytesToHex(expectBytes(type, value))
  }
}

/**
 * Reads the spec's JSON single value into an internal value. `long` accepts a `bigint` (from a
 * lossless JSON parser) or a safe-integer number; `timestamptz` text with an offset other than
 * `+00:00` is converted to UTC rather than refused as Java does, since the instant is exact.
 * Anything else that is not the type's JSON form is refused with a {@link ValidationError}.
 */
export function fromJsonValue(type: IcebergType, json: unknown): unknown {
  if (json === null || json === undefined) return null
  const context: ErrorContext = { type: typeToString(type), value: json }
  switch (type.kind) {
    case 'struct':
      return structFromJson(type, json, context)
    case 'list':
      if (!Array.isArray(json)) throw badJson(type, context)
      return json.map((element) => fromJsonValue(type.element, element))
    case 'map':
      return mapFromJson(type, json, context)
    case 'boolean':
      if (typeof json !== 'boolean') throw badJson(type, context)
      return json
    case 'int':
      if (typeof json !== 'number' || !isInt32(json)) throw badJson(type, context)
      return json
    case 'long':
      return longFromJson(type, json, context)
    case 'float':
    case 'double':
      return floatFromJson(type, json, context)
    case 'decimal':
      if (typeof json !== 'string') throw badJson(type, context)
      return parseDecimal(json, type, context)
    case 'date':
      if (typeof json !== 'string') throw badJson(type, context)
      return parseDate(json, context)
    case 'time':
      if (typeof json !== 'string') throw badJson(type, context)
      return parseTime(json, context)
    case 'timestamp':
    case 'timestamptz':
      if (typeof json !== 'string') throw badJson(type, context)
      return type.kind === 'timestamp' ? parseTimestamp(json, context) : parseTimestamptz(json, context)
    case 'string':
      if (typeof json !== 'string') throw badJson(type, context)
      return json
    case 'uuid':
      if (typeof json !== 'string' || !UUID.test(json.toLowerCase())) throw badJson(type, context)
      return json.toLowerCase()
    case 'fixed':
    case 'binary':
      return bytesFromJson(type, json, context)
  }
}

function structToJson(type: StructType, value: unknown): JsonValue {
  if (typeof value !== 'object' || value === null) throw wrongValue(type, value)
  const record = value as Record<string, unknown>
  const json: { [key: string]: JsonValue } = {}
  for (const field of type.fields) {
    const fieldValue = record[field.name]
    if (fieldValue !== null && fieldValue !== undefined)
      json[String(field.id)] = toJsonValue(field.type, fieldValue)
  }
  return json
}

function listToJson(type: ListType, value: unknown): JsonValue {
  if (!Array.isArray(value)) throw wrongValue(type, value)
  return value.map((element) => toJsonValue(type.element, element))
}

function mapToJson(type: MapType, value: unknown): JsonValue {
  if (!(value instanceof Map)) throw wrongValue(type, value)
  const keys: JsonValue[] = []
  const values: JsonValue[] = []
  for (const [k, v] of value) {
    keys.push(toJsonValue(type.key, k))
    values.push(toJsonValue(type.value, v))
  }
  return { keys, values }
}

function structFromJson(type: StructType, json: unknown, context: ErrorContext): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw badJson(type, context)
  const object = json as Record<string, unknown>
  const record: Record<string, unknown> = {}
  for (const field of type.fields) record[field.name] = fromJsonValue(field.type, object[String(field.id)])
  return record
}

function mapFromJson(type: MapType, json: unknown, context: ErrorContext): Map<unknown, unknown> {
  const object = json as { keys?: unknown; values?: unknown }
  if (
    typeof json !== 'object' ||
    !Array.isArray(object.keys) ||
    !Array.isArray(object.values) ||
    object.keys.length !== object.values.length
  ) {
    throw badJson(type, context)
  }
  const values = object.values
  return new Map(
    object.keys.map((k, i) => [fromJsonValue(type.key, k), fromJsonValue(type.value, values[i])]),
  )
}

function longFromJson(type: PrimitiveType, json: unknown, context: ErrorContext): bigint {
  if (typeof json === 'bigint' && BigInt.asIntN(64, json) === json) return json
  if (typeof json === 'number' && Number.isSafeInteger(json)) return BigInt(json)
  throw badJson(type, context)
}

// Jackson writes non-finite numbers as these strings; JSON has no other way to carry them.
const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
}

function floatToJson(value: number): JsonValue {
  return Number.isFinite(value) ? value : String(value)
}

function floatFromJson(type: PrimitiveType, json: unknown, context: ErrorContext): number {
  let value: number | undefined
  if (typeof json === 'number') value = json
  else if (typeof json === 'string') value = NON_FINITE[json]
  if (value === undefined) throw badJson(type, context)
  return type.kind === 'float' ? Math.fround(value) : value
}

function bytesFromJson(type: PrimitiveType, json: unknown, context: ErrorContext): Uint8Array {
  if (typeof json !== 'string' || json.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(json))
    throw badJson(type, context)
  if (type.kind === 'fixed' && json.length !== type.length * 2) throw badJson(type, context)
  return hexToBytes(json)
}

function badJson(type: IcebergType, context: ErrorContext): ValidationError {
  return new ValidationError(
    `Cannot read ${JSON.stringify(safeJson(context.value))} as a ${typeToString(type)} value`,
    {
      context,
    },
  )
}

function safeJson(value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}` : value
}

// ---------------------------------------------------------------------------------------------
// Decimal text
// ---------------------------------------------------------------------------------------------

/**
 * The spec's JSON text of a decimal: plain digits with exactly `scale` fractional digits
 * (`14.20`), or scientific notation whose exponent is the negated scale when the scale is
 * negative (`2E+20`), as Java's `BigDecimal.toPlainString` / `toString` print them.
 */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const sign = unscaled < 0n ? '-' : ''
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString()
  if (scale <= 0) return scale === 0 ? sign + digits : `${sign}${digits}E+${-scale}`
  const padded = digits.padStart(scale + 1, '0')
  return `${sign}${padded.slice(0, -scale)}.${padded.slice(-scale)}`
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,9}))?$/

/**
 * Parses decimal text (`12.34`, `-0.5`, `1E+3`, `12`) into the unscaled value at the type's
 * scale. Refuses what the type cannot hold exactly: non-zero digits beyond the scale (no silent
 * rounding) and more digits than the precision.
 */
export function parseDecimal(text: string, type: DecimalType, context: ErrorContext): bigint {
  const plain = plainDecimalOrUndefined(text, type)
  if (plain !== undefined) return plain
  const match = DECIMAL.exec(text)
  const intDigits = match?.[2] ?? ''
  const fracDigits = match?.[3] ?? ''
  if (!match || intDigits.length + fracDigits.length === 0) {
    throw new ValidationError(`${inField(context)}'${text}' is not a decimal number`, { context })
  }
  const digits = BigInt(intDigits + fracDigits)
  const shift = Number(match[4] ?? 0) - fracDigits.length + type.scale
  let unscaled: bigint
  if (shift >= 0) {
    // Past 10^P nothing fits; stop before building an enormous power of ten.
    unscaled = digits === 0n ? 0n : digits * 10n ** BigInt(Math.min(shift, type.precision + 1))
  } else {
    // A divisor longer than the digits leaves a remainder unless every digit is zero.
    const divisor = -shift > intDigits.length + fracDigits.length ? undefined : 10n ** BigInt(-shift)
    if (divisor === undefined ? digits !== 0n : digits % divisor !== 0n) {
      throw new ValidationError(
        `${inField(context)}'${text}' has more fractional digits than ${primitiveToString(type)} keeps (scale ${type.scale})`,
        { context },
      )
    }
    unscaled = divisor === undefined ? 0n : digits / divisor
  }
  if (match[1] === '-') unscaled = -unscaled
  checkDecimalPrecision(unscaled, type, context, text)
  return unscaled
}

/**
 * Text of the common form `-?\d+(\.\d+)?` (the whole text, or `text[start, end)`) whose unscaled
 * value at the type's scale is a safe integer within the precision, as that unscaled value, read
 * as a double without the general decimal parser's regular expression and bigint arithmetic;
 * undefined for anything else (an exponent, more fractional digits than the scale, out of
 * range), which that parser (and {@link coerceValue}) reads or refuses. For readers of text
 * that holds values in place (a JSON record).
 */
export function plainDecimalOrUndefined(
  text: string,
  type: DecimalType,
  start = 0,
  end = text.length,
): bigint | undefined {
  const negative = text.charCodeAt(start) === 45 /* - */
  let value = 0
  let digits = 0
  let fraction = -1
  for (let i = negative ? start + 1 : start; i < end; i++) {
    const code = text.charCodeAt(i)
    if (code === 46 /* . */ && fraction < 0 && digits > 0) {
      fraction = 0
      continue
    }
    const digit = code - 48
    if (digit < 0 || digit > 9 || digits === 15) return undefined
    value = value * 10 + digit
    digits++
    if (fraction >= 0) fraction++
  }
  const unscaled = plainUnscaledOrUndefined(value, digits, fraction, type)
  if (unscaled === undefined) return undefined
  return BigInt(negative ? -unscaled : unscaled)
}

/**
 * {@link plainDecimalOrUndefined} of UTF-8 bytes (`bytes[start, end)`), as a number: the same
 * unscaled value, which is always a safe integer. For readers that write decimals of up to 18
 * digits into int32 or int64 columns without a bigint per value (a JSON record's bytes).
 */
export function plainDecimalNumberOrUndefined(
  bytes: Uint8Array,
  type: DecimalType,
  start: number,
  end: number,
): number | undefined {
  const negative = bytes[start] === 45 /* - */
  let value = 0
  let digits = 0
  let fraction = -1
  for (let i = negative ? start + 1 : start; i < end; i++) {
    const code = bytes[i]!
    if (code === 46 /* . */ && fraction < 0 && digits > 0) {
      fraction = 0
      continue
    }
    const digit = code - 48
    if (digit < 0 || digit > 9 || digits === 15) return undefined
    value = value * 10 + digit
    digits++
    if (fraction >= 0) fraction++
  }
  const unscaled = plainUnscaledOrUndefined(value, digits, fraction, type)
  if (unscaled === undefined) return undefined
  // 0 - 0 is 0: "-0.00" is the decimal 0, with no sign to keep.
  return negative ? 0 - unscaled : unscaled
}

/** 10^0 to 10^15, each exact as a double: looked up, as `**` with an exponent not known in advance calls `Math.pow`. */
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k)

/**
 * The unscaled value, at the type's scale, of `digits` plain digits read as the integer `value`
 * with `fraction` of them after the point (-1 for no point); undefined when the text is no plain
 * decimal (no digit, nothing after the point), has more fractional digits than the scale, or
 * the value is not exact as a double or not within the precision.
 */
function plainUnscaledOrUndefined(
  value: number,
  digits: number,
  fraction: number,
  type: DecimalType,
): number | undefined {
  if (digits === 0 || fraction === 0) return undefined
  const shift = type.scale - Math.max(fraction, 0)
  if (shift < 0 || shift > 15) return undefined
  const unscaled = value * POWERS_OF_TEN[shift]!
  // Exact while safe: a product of integers past 2^53 would have been rounded.
  if (
    !Number.isSafeInteger(unscaled) ||
    (type.precision < 16 && unscaled >= POWERS_OF_TEN[type.precision]!)
  ) {
    return undefined
  }
  return unscaled
}

/** Refuses an unscaled value with more digits than the decimal type's precision. */
export function checkDecimalPrecision(
  unscaled: bigint,
  type: DecimalType,
  context: ErrorContext,
  shown: string = formatDecimal(unscaled, type.scale),
): void {
  const limit = 10n ** BigInt(type.precision)
  if (unscaled >= limit || unscaled <= -limit) {
    throw new ValidationError(
      `${inField(context)}'${shown}' needs more than the ${type.precision} digits of ${primitiveToString(type)}`,
      { context },
    )
  }
}

// ---------------------------------------------------------------------------------------------
// Dates and times (proleptic Gregorian, UTC, no clocks)
// ---------------------------------------------------------------------------------------------

/** A calendar date in the proleptic Gregorian calendar; `month` and `day` start at 1. */
export interface CivilDate {
  readonly year: number
  readonly month: number
  readonly day: number
}

/** The calendar date `days` after 1970-01-01, without `Date` so that any int32 day count works. */
export function civilFromDays(days: number): CivilDate {
  // Howard Hinnant's `civil_from_days`, on eras of 400 years starting 0000-03-01.
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

/** Days from 1970-01-01 to a calendar date (the inverse of {@link civilFromDays}). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146_097 + doe - 719_468
}

/** Floor division of bigints, so values before the epoch fall into the earlier day or hour. */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** ISO-8601 date as Java's `ISO_LOCAL_DATE` prints it: `2017-11-16`, `+10000-01-01`, `-0001-12-31`. */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days)
  const y = Math.abs(year).toString().padStart(4, '0')
  const sign = year < 0 ? '-' : year > 9999 ? '+' : ''
  return `${sign}${y}-${pad2(month)}-${pad2(day)}`
}

/** ISO-8601 time as Java's `ISO_LOCAL_TIME` prints it: seconds always, fraction without trailing zeros. */
export function formatTime(micros: bigint): string {
  return formatTimeOfDay(Number(micros))
}

/** ISO-8601 local date-time (no zone) as Java's `ISO_LOCAL_DATE_TIME` prints it. */
export function formatTimestamp(micros: bigint): string {
  const days = floorDiv(micros, MICROS_PER_DAY)
  return `${formatDate(Number(days))}T${formatTimeOfDay(Number(micros - days * MICROS_PER_DAY))}`
}

function formatTimeOfDay(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000)
  const fraction = micros - seconds * 1_000_000
  const hms = `${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}`
  return fraction === 0 ? hms : `${hms}.${fraction.toString().padStart(6, '0').replace(/0+$/, '')}`
}

function pad2(n: number): string {
  return n.toString().padStart(2, '0')
}

const DATE = /^([+-]?\d{4,7})-(\d{2})-(\d{2})$/
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/
const TIMESTAMP = /^([+-]?\d{4,7}-\d{2}-\d{2})[T ]([\d:.]+)(Z|[+-]\d{2}:\d{2}(?::\d{2})?)?$/i

/** Parses `YYYY-MM-DD` into days from 1970-01-01, refusing impossible dates such as `2023-02-29`. */
export function parseDate(text: string, context: ErrorContext): number {
  const days = dateOrUndefined(text)
  if (days === undefined)
    throw new ValidationError(`${inField(context)}'${text}' is not a date (YYYY-MM-DD)`, { context })
  return days
}

/**
 * Parses `HH:MM[:SS[.ffffff]]` into microseconds from midnight. Up to 9 fractional digits are
 * read, but digits below a microsecond must be zero: time has microsecond precision.
 */
export function parseTime(text: string, context: ErrorContext): bigint {
  const micros = timeOrUndefined(text)
  if (micros === undefined) {
    throw new ValidationError(
      `${inField(context)}'${text}' is not a time with microsecond precision (HH:MM:SS[.ffffff])`,
      {
        context,
      },
    )
  }
  return micros
}

/** Parses an ISO-8601 date-time without zone (`2017-11-16T22:31:08[.ffffff]`) into microseconds. */
export function parseTimestamp(text: string, context: ErrorContext): bigint {
  const parsed = timestampOrUndefined(text)
  if (parsed === undefined || parsed.offsetSeconds !== undefined) {
    throw new ValidationError(
      `${inField(context)}'${text}' is not a timestamp without zone with microsecond precision (YYYY-MM-DDTHH:MM:SS[.ffffff])`,
      { context },
    )
  }
  return parsed.micros
}

/**
 * Parses an ISO-8601 date-time with a zone offset or `Z` (`2017-11-16T14:31:08-08:00`) into
 * microseconds since the epoch in UTC. The offset is required: without it the instant is unknown.
 */
export function parseTimestamptz(text: string, context: ErrorContext): bigint {
  const utc = isoUtcMillisOrUndefined(text)
  if (utc !== undefined) return utc
  const parsed = timestampOrUndefined(text)
  if (parsed === undefined || parsed.offsetSeconds === undefined) {
    throw new ValidationError(
      `${inField(context)}'${text}' is not a timestamp with zone offset and microsecond precision (YYYY-MM-DDTHH:MM:SS[.ffffff]+HH:MM)`,
      { context },
    )
  }
  return parsed.micros - BigInt(parsed.offsetSeconds) * MICROS_PER_SECOND
}

/** `Field 'a.b': ` when the context names a field, so parse errors say where the text came from. */
function inField(context: ErrorContext): string {
  return typeof context.field === 'string' ? `Field '${context.field}': ` : ''
}

function dateOrUndefined(text: string): number | undefined {
  const match = DATE.exec(text)
  if (!match) return undefined
  const year = Number(match[1])
  const month = Number(match[2])
  const day = Number(match[3])
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  const days = daysFromCivil(year, month, day)
  return days >= INT32_MIN && days <= INT32_MAX ? days : undefined
}

function timeOrUndefined(text: string): bigint | undefined {
  const match = TIME.exec(text)
  if (!match) return undefined
  const hours = Number(match[1])
  const minutes = Number(match[2])
  const seconds = Number(match[3] ?? 0)
  const nanos = Number((match[4] ?? '').padEnd(9, '0'))
  if (hours > 23 || minutes > 59 || seconds > 59 || nanos % 1000 !== 0) return undefined
  return BigInt((hours * 3600 + minutes * 60 + seconds) * 1_000_000 + nanos / 1000)
}

/**
 * The one form `Date#toISOString` writes for years 0000-9999, `YYYY-MM-DDTHH:MM:SS.sssZ` (the
 * whole text, or `text[start, end)`), as microseconds since the epoch, read by character codes:
 * JSON events carry their instants so, and the general parser's regular expressions and
 * bigint arithmetic cost more than the rest of a row's validation. Anything else (another form,
 * or a field out of range) is undefined and left to the general parser. For readers of text
 * that holds values in place (a JSON record).
 */
export function isoUtcMillisOrUndefined(text: string, start = 0, end = text.length): bigint | undefined {
  // Character codes are read in place: no closure is allocated per value read.
  if (end - start !== 24 || text.charCodeAt(start + 23) !== 90 /* Z */) return undefined
  if (
    text.charCodeAt(start + 4) !== 45 /* - */ ||
    text.charCodeAt(start + 7) !== 45 ||
    text.charCodeAt(start + 10) !== 84 /* T */ ||
    text.charCodeAt(start + 13) !== 58 /* : */
  )
    return undefined
  if (text.charCodeAt(start + 16) !== 58 || text.charCodeAt(start + 19) !== 46 /* . */) return undefined
  const millis = utcMillisOrUndefined(
    digitsAt(text, start, 4),
    digitsAt(text, start + 5, 2),
    digitsAt(text, start + 8, 2),
    digitsAt(text, start + 11, 2),
    digitsAt(text, start + 14, 2),
    digitsAt(text, start + 17, 2),
    digitsAt(text, start + 20, 3),
  )
  return millis === undefined ? undefined : BigInt(millis) * 1000n
}

/**
 * {@link isoUtcMillisOrUndefined} of UTF-8 bytes (`bytes[start, end)`), as a number: the same
 * microseconds while they are a safe integer (instants from 1685 to 2255), else undefined. For
 * readers that write instants into int64 columns without a bigint per value (a JSON record's
 * bytes).
 */
export function isoUtcMicrosNumberOrUndefined(
  bytes: Uint8Array,
  start: number,
  end: number,
): number | undefined {
  if (end - start !== 24 || bytes[start + 23] !== 90 /* Z */) return undefined
  if (
    bytes[start + 4] !== 45 /* - */ ||
    bytes[start + 7] !== 45 ||
    bytes[start + 10] !== 84 /* T */ ||
    bytes[start + 13] !== 58 /* : */
  )
    return undefined
  if (bytes[start + 16] !== 58 || bytes[start + 19] !== 46 /* . */) return undefined
  const millis = utcMillisOrUndefined(
    byteDigitsAt(bytes, start, 4),
    byteDigitsAt(bytes, start + 5, 2),
    byteDigitsAt(bytes, start + 8, 2),
    byteDigitsAt(bytes, start + 11, 2),
    byteDigitsAt(bytes, start + 14, 2),
    byteDigitsAt(bytes, start + 17, 2),
    byteDigitsAt(bytes, start + 20, 3),
  )
  if (millis === undefined) return undefined
  const micros = millis * 1000
  return Number.isSafeInteger(micros) ? micros : undefined
}

/**
 * Milliseconds since the epoch of a UTC date and time read as digits (-1 where one was not a
 * digit), or undefined when a field is out of range.
 */
function utcMillisOrUndefined(
  year: number,
  month: number,
  day: number,
  hours: number,
  minutes: number,
  seconds: number,
  millis: number,
): number | undefined {
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59) return undefined
  if (millis < 0) return undefined
  const days = daysFromCivil(year, month, day)
  // At most 253,402,300,799,999 ms (9999-12-31): exact as a double.
  return (days * 86_400 + hours * 3600 + minutes * 60 + seconds) * 1000 + millis
}

/** The decimal number of `length` ASCII digits at `start`, or -1 if one is not a digit. */
function digitsAt(text: string, start: number, length: number): number {
  let value = 0
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

/** {@link digitsAt} of bytes. */
function byteDigitsAt(bytes: Uint8Array, start: number, length: number): number {
  let value = 0
  for (let i = start; i < start + length; i++) {
    const digit = bytes[i]! - 48
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

function timestampOrUndefined(
  text: string,
): { micros: bigint; offsetSeconds: number | undefined } | undefined {
  const match = TIMESTAMP.exec(text)
  if (!match) return undefined
  const days = dateOrUndefined(match[1]!)
  const time = timeOrUndefined(match[2]!)
  if (days === undefined || time === undefined) return undefined
  const micros = BigInt(days) * MICROS_PER_DAY + time
  const zone = match[3]
  if (zone === undefined) return { micros, offsetSeconds: undefined }
  if (zone.toUpperCase() === 'Z') return { micros, offsetSeconds: 0 }
  const [h, m, s] = zone.slice(1).split(':').map(Number) as [number, number, number | undefined]
  if (h > 18 || m > 59 || (s ?? 0) > 59) return undefined
  const offset = h * 3600 + m * 60 + (s ?? 0)
  if (offset > 18 * 3600) return undefined
  return { micros, offsetSeconds: zone.startsWith('-') ? -offset : offset }
}

// ---------------------------------------------------------------------------------------------
// Checks of internal values
// ---------------------------------------------------------------------------------------------

/** True for a number that is an integer in the range of `int`. */
export function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX
}

function wrongValue(type: IcebergType, value: unknown): ValidationError {
  const shown =
    typeof value === 'bigint' ? `${value}n` : value instanceof Uint8Array ? 'bytes' : String(value)
  return new ValidationError(`${shown} (${describe(value)}) is not an internal ${typeToString(type)} value`, {
    context: { type: typeToString(type) },
  })
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`
  return value === null ? 'null' : typeof value
}

function expectBoolean(type: PrimitiveType, value: unknown): boolean {
  if (typeof value !== 'boolean') throw wrongValue(type, value)
  return value
}

function expectInt(type: PrimitiveType, value: unknown): number {
  if (typeof value !== 'number' || !isInt32(value)) throw wrongValue(type, value)
  return value
}

function expectLong(type: PrimitiveType, value: unknown): bigint {
  if (typeof value !== 'bigint' || BigInt.asIntN(64, value) !== value) throw wrongValue(type, value)
  return value
}

function expectBigint(type: PrimitiveType, value: unknown): bigint {
  if (typeof value !== 'bigint') throw wrongValue(type, value)
  return value
}

function expectNumber(type: PrimitiveType, value: unknown): number {
  if (typeof value !== 'number') throw wrongValue(type, value)
  return value
}

function expectString(type: PrimitiveType, value: unknown): string {
  if (typeof value !== 'string') throw wrongValue(type, value)
  return value
}

function expectBytes(type: PrimitiveType, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw wrongValue(type, value)
  if (type.kind === 'fixed' && value.length !== type.length) throw wrongValue(type, value)
  return value
}

function expectLength(type: PrimitiveType, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) {
    throw new CorruptFileError(
      `A ${primitiveToString(type)} value takes ${length} bytes, but ${bytes.length} were stored`,
      { context: { type: primitiveToString(type) } },
    )
  }
}
