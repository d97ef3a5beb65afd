/**
 * Applying partition transforms (spec "Partition Transforms") to internal values (see
 * `types.ts`), and printing their results the way Iceberg Java names partition directories.
 * The {@link Transform} type and its text form live in `transform.ts`.
 *
 * @module
 */
import { ValidationError } from '@lake/errors'
import { civilFromDays, floorDiv, formatTimestamp, MICROS_PER_DAY } from './conversions.js'
import { hashValue } from './murmur3.js'
import { type Transform, transformToString } from './transform.js'
import { type IcebergType, isPrimitive, type PrimitiveType, Types, typeToString } from './types.js'

const MICROS_PER_HOUR = 3_600_000_000n
const EPOCH_YEAR = 1970

type Kind = PrimitiveType['kind']

// Source types per transform, from the spec's table (nanosecond timestamps are not modelled here).
const BUCKET_SOURCES: ReadonlySet<Kind> = new Set<Kind>([
  'int',
  'long',
  'decimal',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'string',
  'uuid',
  'fixed',
  'binary',
])
const TRUNCATE_SOURCES: ReadonlySet<Kind> = new Set<Kind>(['int', 'long', 'decimal', 'string', 'binary'])
const DATE_SOURCES: ReadonlySet<Kind> = new Set<Kind>(['date', 'timestamp', 'timestamptz'])
const HOUR_SOURCES: ReadonlySet<Kind> = new Set<Kind>(['timestamp', 'timestamptz'])

/**
 * Whether the spec allows `transform` on a column of `sourceType`. Partition specs and sort
 * orders are checked with it before they are committed, so a table never names a transform no
 * engine can apply.
 */
export function canTransform(transform: Transform, sourceType: IcebergType): boolean {
  switch (transform.kind) {
    case 'void':
      return true
    case 'identity':
      return isPrimitive(sourceType)
    case 'bucket':
      return BUCKET_SOURCES.has(sourceType.kind as Kind)
    case 'truncate':
      return TRUNCATE_SOURCES.has(sourceType.kind as Kind)
    case 'year':
    case 'month':
    case 'day':
      return DATE_SOURCES.has(sourceType.kind as Kind)
    case 'hour':
      return HOUR_SOURCES.has(sourceType.kind as Kind)
  }
}

/**
 * The type of the partition values `transform` produces from `sourceType`: the type of the
 * partition tuple's field in manifests. `day` yields `date`, as the spec and Java write it
 * (readers must also accept `int`); `bucket`, `year`, `month` and `hour` yield `int`; the
 * others keep the source type.
 */
export function transformResultType(transform: Transform, sourceType: PrimitiveType): PrimitiveType {
  checkTransform(transform, sourceType)
  switch (transform.kind) {
    case 'bucket':
    case 'year':
    case 'month':
    case 'hour':
      return Types.int
    case 'day':
      return Types.date
    default:
      return sourceType
  }
}

/**
 * Whether `a < b` implies `transform(a) <= transform(b)`, so a range on the source projects to a
 * range on the partition values and a sort on the result is a sort on the source.
 */
export function transformPreservesOrder(transform: Transform): boolean {
  return transform.kind !== 'bucket' && transform.kind !== 'void'
}

/**
 * Applies `transform` to an internal value of `sourceType`, giving the partition value (an
 * internal value of {@link transformResultType}). `null` gives `null`, as the spec requires.
 *
 * Temporal transforms floor, so instants before 1970 fall into the earlier hour, day, month or
 * year; `bucket[N]` is `(murmur3(v) & Integer.MAX_VALUE) % N`; `truncate[W]` floors numbers to a
 * multiple of W (of the unscaled value for decimals), and keeps the first W code points of a
 * string or the first W bytes of binary. Results wrap to 32 (or 64) bits exactly where Java's
 * `int` (or `long`) arithmetic does, so both name the same partition.
 *
 * @example
 * ```ts
 * applyTransform({ kind: 'day' }, Types.timestamptz, -1n)             // -1 (1969-12-31)
 * applyTransform({ kind: 'truncate', width: 3 }, Types.string, 'iceberg') // 'ice'
 * ```
 */
export function applyTransform(transform: Transform, sourceType: PrimitiveType, value: unknown): unknown {
  checkTransform(transform, sourceType)
  if (value === null || value === undefined) return null
  switch (transform.kind) {
    case 'identity':
      return value
    case 'void':
      return null
    case 'bucket':
      return (hashValue(sourceType, value) & 0x7fffffff) % transform.numBuckets
    case 'truncate':
      return truncate(transform.width, sourceType, value)
    case 'year':
    case 'month':
    case 'day':
    case 'hour':
      return sourceType.kind === 'date'
        ? fromDays(transform.kind, asInternal(value, 'number', sourceType))
        : fromMicros(transform.kind, asInternal(value, 'bigint', sourceType))
  }
}

function checkTransform(transform: Transform, sourceType: PrimitiveType): void {
  if (!canTransform(transform, sourceType)) {
    throw new ValidationError(
      `Cannot apply ${transformToString(transform)} to a ${typeToString(sourceType)} column`,
      {
        context: { transform: transformToString(transform), type: typeToString(sourceType) },
      },
    )
  }
}

function asInternal<T extends 'number' | 'bigint' | 'string'>(
  value: unknown,
  jsType: T,
  type: PrimitiveType,
): T extends 'number' ? number : T extends 'bigint' ? bigint : string {
  if (typeof value !== jsType) {
    throw new ValidationError(`A ${typeof value} is not an internal ${typeToString(type)} value`, {
      context: { type: typeToString(type) },
    })
  }
  return value as T extends 'number' ? number : T extends 'bigint' ? bigint : string
}

function truncate(width: number, type: PrimitiveType, value: unknown): unknown {
  switch (type.kind) {
    case 'int': {
      // Java's `v - (((v % W) + W) % W)` in int arithmetic, overflow included.
      const v = asInternal(value, 'number', type)
      return (v - (((v % width) + width) % width)) | 0
    }
    case 'long':
    case 'decimal': {
      const v = asInternal(value, 'bigint', type)
      const w = BigInt(width)
      const floored = v - (((v % w) + w) % w)
      return type.kind === 'long' ? BigInt.asIntN(64, floored) : floored
    }
    case 'string':
      return truncateCodePoints(asInternal(value, 'string', type), width)
    default: {
      if (!(value instanceof Uint8Array)) {
        throw new ValidationError(`A ${typeof value} is not an internal ${typeToString(type)} value`, {
          context: { type: typeToString(type) },
        })
      }
      // A copy: a partition value must not pin the (possibly large) buffer it was cut from.
      return value.length <= width ? value : value.slice(0, width)
    }
  }
}

function truncateCodePoints(text: string, length: number): string {
  // Cheap exits: UTF-16 length bounds the code point count from above.
  if (text.length <= length) return text
  let units = 0
  let points = 0
  while (points < length && units < text.length) {
    const code = text.charCodeAt(units)
    const pair = code >= 0xd800 && code <= 0xdbff && units + 1 < text.length
    const next = pair ? text.charCodeAt(units + 1) : 0
    units += pair && next >= 0xdc00 && next <= 0xdfff ? 2 : 1
    points++
  }
  return text.slice(0, units)
}

function fromDays(unit: 'year' | 'month' | 'day' | 'hour', days: number): number {
  if (unit === 'day') return days
  const { year, month } = civilFromDays(days)
  return unit === 'year' ? year - EPOCH_YEAR : (year - EPOCH_YEAR) * 12 + month - 1
}

function fromMicros(unit: 'year' | 'month' | 'day' | 'hour', micros: bigint): number {
  // Java narrows these longs with an `(int)` cast; wrap the same way far outside 1970 ± 245k years.
  if (unit === 'hour') return Number(BigInt.asIntN(32, floorDiv(micros, MICROS_PER_HOUR)))
  const days = Number(BigInt.asIntN(32, floorDiv(micros, MICROS_PER_DAY)))
  return fromDays(unit, days)
}

// ---------------------------------------------------------------------------------------------
// Human strings (partition paths)
// ---------------------------------------------------------------------------------------------

/**
 * The text of a partition value in a partition path (`day=2024-01-05`), as Java's
 * `Transform.toHumanString` prints it, so files land in the directories other engines would
 * choose: `2024` for year, `2024-01` for month, `2024-01-05` for day, `2024-01-05-13` for hour,
 * the bucket number, ISO-8601 text for identity dates, times and timestamps, base64 for bytes,
 * Java's `BigDecimal`/`Double` text for numbers, and `null` for null. The caller URL-escapes it.
 *
 * Unlike Java's method this takes the source type rather than the result type: identity and
 * truncate results have the source type, and the others do not need one.
 */
export function transformHumanString(
  transform: Transform,
  sourceType: PrimitiveType,
  value: unknown,
): string {
  if (value === null || value === undefined || transform.kind === 'void') return 'null'
  switch (transform.kind) {
    case 'bucket':
      return String(value)
    case 'year':
      return javaPadded(EPOCH_YEAR + (value as number), 4)
    case 'month': {
      const months = value as number
      const year = EPOCH_YEAR + Math.floor(months / 12)
      return `${javaPadded(year, 4)}-${pad2(months - Math.floor(months / 12) * 12 + 1)}`
    }
    case 'day':
      return humanDay(value as number)
    case 'hour': {
      const hours = value as number
      const days = Math.floor(hours / 24)
      return `${humanDay(days)}-${pad2(hours - days * 24)}`
    }
    default:
      return humanValue(sourceType, value)
  }
}

function humanValue(type: PrimitiveType, value: unknown): string {
  switch (type.kind) {
    case 'date':
      return humanDay(value as number)
    case 'time':
      return humanTime(Number(value as bigint))
    case 'timestamp':
      return formatTimestamp(value as bigint)
    case 'timestamptz':
      return `${formatTimestamp(value as bigint)}+00:00`
    case 'fixed':
    case 'binary':
      return base64(value as Uint8Array)
    case 'decimal':
      return javaBigDecimalString(value as bigint, type.scale)
    case 'float':
    case 'double':
      return javaFloatingString(value as number, type.kind === 'float')
    default:
      return String(value)
  }
}

/** `String.format("%04d-%02d-%02d", …)` of a day, as Java's `TransformUtil.humanDay`. */
function humanDay(days: number): string {
  const { year, month, day } = civilFromDays(days)
  return `${javaPadded(year, 4)}-${pad2(month)}-${pad2(day)}`
}

/** Java's `LocalTime.toString`: seconds only when non-zero, fraction in groups of 3 digits. */
function humanTime(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000)
  const fraction = micros - seconds * 1_000_000
  let text = `${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}`
  if (seconds % 60 > 0 || fraction > 0) text += `:${pad2(seconds % 60)}`
  if (fraction > 0) {
    text +=
      fraction % 1000 === 0
        ? `.${String(fraction / 1000).padStart(3, '0')}`
        : `.${String(fraction).padStart(6, '0')}`
  }
  return text
}

/** Java's `%0Nd`: zero padding after the sign, within the width. */
function javaPadded(n: number, width: number): string {
  const sign = n < 0 ? '-' : ''
  return (
    sign +
    Math.abs(n)
      .toString()
      .padStart(width - sign.length, '0')
  )
}

function pad2(n: number): string {
  return n.toString().padStart(2, '0')
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** Standard base64 with padding, as Java's `Base64.getEncoder()`. */
function base64(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!
    const b1 = bytes[i + 1]
    const b2 = bytes[i + 2]
    const n = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0)
    out += BASE64[n >> 18]! + BASE64[(n >> 12) & 63]!
    out += b1 === undefined ? '=' : BASE64[(n >> 6) & 63]!
    out += b2 === undefined ? '=' : BASE64[n & 63]!
  }
  return out
}

/** Java's `BigDecimal.toString`: plain unless the scale is negative or the value is below 1E-6. */
function javaBigDecimalString(unscaled: bigint, scale: number): string {
  const sign = unscaled < 0n ? '-' : ''
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString()
  const adjusted = digits.length - 1 - scale
  if (scale >= 0 && adjusted >= -6) {
    if (scale === 0) return sign + digits
    const padded = digits.padStart(scale + 1, '0')
    return `${sign}${padded.slice(0, -scale)}.${padded.slice(-scale)}`
  }
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
  return `${sign}${mantissa}E${adjusted >= 0 ? '+' : ''}${adjusted}`
}

/**
 * Java's `Double.toString` / `Float.toString` (JDK 19+, shortest digits): plain between 10^-3
 * and 10^7, computerised scientific notation outside, always with a fractional digit.
 */
function javaFloatingString(value: number, isFloat: boolean): string {
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity'
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0'
  const sign = value < 0 ? '-' : ''
  const abs = Math.abs(value)
  const [mantissa, exp] = shortestExponential(abs, isFloat).split('e') as [string, string]
  const digits = mantissa.replace('.', '')
  const e = Number(exp)
  if (abs >= 1e-3 && abs < 1e7) {
    if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`
    return `${sign}${digits.slice(0, e + 1).padEnd(e + 1, '0')}.${digits.slice(e + 1) || '0'}`
  }
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}E${e}`
}

/** The shortest decimal that reads back as `abs` (as a float32 when `isFloat`), in exponential form. */
function shortestExponential(abs: number, isFloat: boolean): string {
  if (isFloat) {
    for (let precision = 1; precision < 9; precision++) {
      const candidate = Number(abs.toPrecision(precision))
      if (Math.fround(candidate) === abs) return candidate.toExponential()
    }
    return Number(abs.toPrecision(9)).toExponential()
  }
  return abs.toExponential()
}
