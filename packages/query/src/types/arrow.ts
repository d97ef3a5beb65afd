/**
 * Trino types to Arrow types, exactly: each Trino type gets the Arrow type that holds every
 * value of it without loss, and a builder that converts Trino's JSON values into it.
 */
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Duration,
  Field,
  FixedSizeBinary,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  Interval,
  IntervalUnit,
  List,
  Map_,
  Null,
  Schema,
  Struct,
  Time,
  Timestamp,
  TimeUnit,
  Utf8,
} from 'apache-arrow'
import { parseJsonLossless } from '../internal/json.js'
import {
  BigIntBuilder,
  BinaryBuilder,
  BoolBuilder,
  type ColumnBuilder,
  FixedBytesBuilder,
  ListBuilder,
  MapBuilder,
  NullBuilder,
  NumberBuilder,
  StructBuilder,
  Utf8Builder,
  writeWords,
} from './builders.js'
import type { TrinoType } from './signature.js'
import {
  parseDate,
  parseDayToSecondMs,
  parseOffsetMinutes,
  parseTime,
  parseYearToMonth,
  wallTimeToUtcMs,
} from './temporal.js'

/** Field metadata key holding the Trino type signature of every field Lake produces. */
export const TRINO_TYPE_METADATA = 'trino.type'

/** A column of a result: its name and parsed Trino type. */
export interface TrinoColumn {
  name: string
  type: TrinoType
}

/** The Arrow schema of a Trino result. */
export function arrowSchema(columns: readonly TrinoColumn[]): Schema {
  return new Schema(columns.map((column) => arrowField(column.name, column.type)))
}

/** The Arrow field of one Trino column or nested field, with its Trino type in the metadata. */
export function arrowField(name: string, type: TrinoType, nullable = true): Field {
  const metadata = new Map([[TRINO_TYPE_METADATA, type.signature]])
  if (type.kind === 'json') metadata.set('ARROW:extension:name', 'arrow.json')
  if (type.kind === 'uuid') metadata.set('ARROW:extension:name', 'arrow.uuid')
  if (type.kind === 'json' || type.kind === 'uuid') metadata.set('ARROW:extension:metadata', '')
  return new Field(name, arrowType(type), nullable, metadata)
}

/** Arrow's time unit for a fractional-second precision, or undefined beyond nanoseconds. */
export function unitOf(precision: number): { unit: TimeUnit; digits: number } | undefined {
  if (precision === 0) return { unit: TimeUnit.SECOND, digits: 0 }
  if (precision <= 3) return { unit: TimeUnit.MILLISECOND, digits: 3 }
  if (precision <= 6) return { unit: TimeUnit.MICROSECOND, digits: 6 }
  if (precision <= 9) return { unit: TimeUnit.NANOSECOND, digits: 9 }
  return undefined
}

function timeType(precision: number): Time {
  const { unit } = unitOf(precision)!
  return new Time(unit, unit === TimeUnit.SECOND || unit === TimeUnit.MILLISECOND ? 32 : 64)
}

/** Names of anonymous row fields: Trino's own `field0`, `field1`, … */
function rowFieldName(name: string | undefined, index: number): string {
  return name ?? `field${index}`
}

/**
 * The Arrow type of a Trino type. Precisions Arrow cannot hold (time and timestamp beyond
 * nanoseconds, i.e. `(10)`–`(12)`) and types Lake does not know become Utf8 of Trino's text.
 */
export function arrowType(type: TrinoType): DataType {
  switch (type.kind) {
    case 'boolean':
      return new Bool()
    case 'tinyint':
      return new Int8()
    case 'smallint':
      return new Int16()
    case 'integer':
      return new Int32()
    case 'bigint':
      return new Int64()
    case 'real':
      return new Float32()
    case 'double':
      return new Float64()
    case 'decimal':
      return new Decimal(type.scale, type.precision, 128)
    case 'varbinary':
      return new Binary()
    case 'date':
      return new DateDay()
    case 'time':
      return unitOf(type.precision) === undefined ? new Utf8() : timeType(type.precision)
    case 'time with time zone':
      if (unitOf(type.precision) === undefined) return new Utf8()
      return new Struct([
        new Field('time', timeType(type.precision), false),
        new Field('offset_minutes', new Int16(), false),
      ])
    case 'timestamp': {
      const unit = unitOf(type.precision)
      return unit === undefined ? new Utf8() : new Timestamp(unit.unit)
    }
    case 'timestamp with time zone': {
      const unit = unitOf(type.precision)
      if (unit === undefined) return new Utf8()
      return new Struct([
        new Field('timestamp', new Timestamp(unit.unit, 'UTC'), false),
        new Field('zone', new Utf8(), false),
      ])
    }
    case 'interval day to second':
      return new Duration(TimeUnit.MILLISECOND)
    case 'interval year to month':
      return new Interval(IntervalUnit.YEAR_MONTH)
    case 'array':
      return new List(arrowField('item', type.element))
    case 'map':
      return new Map_(
        new Field<Struct>(
          'entries',
          new Struct<Record<string, DataType>>([
            arrowField('key', type.key, false),
            arrowField('value', type.value),
          ]),
          false,
        ) as never,
      )
    case 'row':
      return new Struct(type.fields.map((field, i) => arrowField(rowFieldName(field.name, i), field.type)))
    case 'uuid':
      return new FixedSizeBinary(16)
    case 'unknown':
      return new Null()
    default:
      // varchar, char, json, ipaddress, and every type Lake does not know.
      return new Utf8()
  }
}

/** A builder that converts Trino's JSON values of `type` into Arrow data of `arrowType(type)`. */
export function columnBuilder(type: TrinoType, arrow: DataType = arrowType(type)): ColumnBuilder {
  switch (type.kind) {
    case 'boolean':
      return new BoolBuilder(arrow)
    case 'tinyint':
      return new NumberBuilder(arrow, Int8Array, Number)
    case 'smallint':
      return new NumberBuilder(arrow, Int16Array, Number)
    case 'integer':
      return new NumberBuilder(arrow, Int32Array, Number)
    case 'bigint':
      return new BigIntBuilder(arrow, toInt64)
    case 'real':
      return new NumberBuilder(arrow, Float32Array, Number)
    case 'double':
      return new NumberBuilder(arrow, Float64Array, Number)
    case 'decimal':
      return new FixedBytesBuilder(arrow, 4, true, (value, out, at) =>
        writeDecimal(String(value), type.scale, out as Uint32Array, at),
      )
    case 'varbinary':
      return new BinaryBuilder(arrow)
    case 'date':
      return new NumberBuilder(arrow, Int32Array, (value) => parseDate(value as string))
    case 'time':
    case 'timestamp':
    case 'time with time zone':
    case 'timestamp with time zone':
      return temporalBuilder(type, arrow)
    case 'interval day to second':
      return new BigIntBuilder(arrow, (value) => parseDayToSecondMs(value as string))
    case 'interval year to month':
      return new NumberBuilder(arrow, Int32Array, (value) => parseYearToMonth(value as string))
    case 'array':
      return new ListBuilder(arrow, columnBuilder(type.element, (arrow as List).children[0]!.type))
    case 'map': {
      const entry = (arrow as Map_).children[0]!.type as Struct
      return new MapBuilder(
        arrow,
        columnBuilder(type.key, entry.children[0]!.type),
        columnBuilder(type.value, entry.children[1]!.type),
        mapKeyReader(type.key),
      )
    }
    case 'row': {
      const struct = arrow as Struct
      return new StructBuilder(
        arrow,
        type.fields.map((field, i) => columnBuilder(field.type, struct.children[i]!.type)),
        struct.children.map((child) => child.name),
      )
    }
    case 'uuid':
      return new FixedBytesBuilder(arrow, 16, false, (value, out, at) => writeUuid(value as string, out, at))
    case 'unknown':
      return new NullBuilder(arrow)
    default:
      return new Utf8Builder(arrow, (value) => JSON.stringify(value))
  }
}

/** A number here is a safe integer; longer ones arrive as digit strings (see parseJsonLossless). */
function toInt64(value: unknown): bigint | number {
  return typeof value === 'number' ? value : BigInt(value as string)
}

/**
 * Map keys arrive as JSON object keys, i.e. text. Scalar converters accept that text as they
 * accept the JSON value; structured keys (arrays, rows) are JSON text and are parsed.
 */
function mapKeyReader(type: TrinoType): (key: string) => unknown {
  if (type.kind === 'array' || type.kind === 'row' || type.kind === 'map')
    return (key) => parseJsonLossless(key)
  return (key) => key
}

const TEN_POW = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000]

function temporalBuilder(type: Extract<TrinoType, { precision: number }>, arrow: DataType): ColumnBuilder {
  const unit = unitOf(type.precision)
  // Beyond nanoseconds, Arrow has no unit: Trino's text is kept as it is.
  if (unit === undefined) return new Utf8Builder(arrow)
  const { digits } = unit
  const scale = TEN_POW[digits]!
  switch (type.kind) {
    case 'time': {
      const toUnits = (value: unknown) => {
        const t = parseTime(value as string, 0, digits)
        return t.seconds * scale + t.fraction
      }
      return digits <= 3 ? new NumberBuilder(arrow, Int32Array, toUnits) : new BigIntBuilder(arrow, toUnits)
    }
    case 'timestamp':
      return new BigIntBuilder(arrow, (value) => {
        const { seconds, fraction } = parseTimestamp(value as string, digits)
        return unitsOf(seconds, fraction, scale)
      })
    case 'time with time zone': {
      const struct = arrow as Struct
      const inner = new StructBuilder(
        arrow,
        [
          temporalBuilder(
            { kind: 'time', precision: type.precision, signature: '' },
            struct.children[0]!.type,
          ),
          new NumberBuilder(struct.children[1]!.type, Int16Array, Number),
        ],
        ['time', 'offset_minutes'],
      )
      return new MappedBuilder(inner, (value) => {
        const text = value as string
        const t = parseTime(text, 0, digits)
        const offset = parseOffsetMinutes(text.slice(t.end))
        if (offset === undefined) throw new RangeError(`not a time with time zone: ${text}`)
        return [text.slice(0, t.end), offset]
      })
    }
    case 'timestamp with time zone':
      return new ZonedTimestampBuilder(arrow as Struct, digits, scale)
    default:
      throw new RangeError(`not a temporal type: ${type.signature}`)
  }
}

/** Seconds since the epoch and a fraction in 10^-digits to one 64-bit count of units. */
export function unitsOf(seconds: number, fraction: number, scale: number): bigint | number {
  const units = seconds * scale + fraction
  return Number.isSafeInteger(units) ? units : BigInt(seconds) * BigInt(scale) + BigInt(fraction)
}

/** `YYYY-MM-DD HH:MM:SS[.fff…]` to the wall time's seconds since the epoch and its fraction. */
function parseTimestamp(text: string, digits: number): { seconds: number; fraction: number; end: number } {
  const days = parseDate(text)
  const space = text.indexOf(' ', 10)
  const time = parseTime(text, space + 1, digits)
  return { seconds: days * 86_400 + time.seconds, fraction: time.fraction, end: time.end }
}

/** The zone name `UTC` as UTF-8. */
const UTC = new Uint8Array([85, 84, 67])

/**
 * `timestamp(p) with time zone` into Struct{timestamp (the UTC instant), zone}: the fields are
 * appended straight to their builders, with no per-value array.
 */
export class ZonedTimestampBuilder implements ColumnBuilder {
  private readonly instants: BigIntBuilder
  private readonly zones: Utf8Builder
  private readonly struct: StructBuilder

  constructor(
    readonly type: Struct,
    /** Fraction digits of the Arrow unit (0, 3, 6, 9). */
    readonly digits: number,
    private readonly scale: number,
  ) {
    this.instants = new BigIntBuilder(type.children[0]!.type, (v) => v as bigint | number)
    this.zones = new Utf8Builder(type.children[1]!.type)
    this.struct = new StructBuilder(type, [this.instants, this.zones], ['timestamp', 'zone'])
  }

  get length(): number {
    return this.struct.length
  }

  append(value: unknown): void {
    if (value === null || value === undefined) {
      this.struct.append(null)
      return
    }
    const text = value as string
    const { seconds, fraction, end } = parseTimestamp(text, this.digits)
    // Most values carry the session zone; `UTC` is not sliced out again for each of them.
    const zone = text.length === end + 4 && text.endsWith(' UTC') ? 'UTC' : text.slice(end).trim()
    const utcSeconds = Math.round(wallTimeToUtcMs(seconds * 1000, zone) / 1000)
    this.instants.append(unitsOf(utcSeconds, fraction, this.scale))
    this.zones.append(zone)
    this.struct.appendValidFields()
  }

  /**
   * Appends an instant given in UTC (`seconds` since the epoch and a fraction in units of
   * 10^-digits) with the zone `UTC`: what the page decoder reads of `… UTC` without any text.
   */
  appendUtc(seconds: number, fraction: number): void {
    this.instants.appendInt64(unitsOf(seconds, fraction, this.scale))
    this.zones.appendUtf8(UTC, 0, 3)
    this.struct.appendValidFields()
  }

  finish() {
    return this.struct.finish()
  }
}

/** A builder whose values are first reshaped (e.g. a zoned timestamp into a struct's fields). */
class MappedBuilder implements ColumnBuilder {
  constructor(
    private readonly inner: ColumnBuilder,
    private readonly map: (value: unknown) => unknown,
  ) {}
  get type(): DataType {
    return this.inner.type
  }
  get length(): number {
    return this.inner.length
  }
  append(value: unknown): void {
    this.inner.append(value === null || value === undefined ? null : this.map(value))
  }
  finish() {
    return this.inner.finish()
  }
}

/**
 * A decimal's text (`-123.45`) as a 128-bit two's-complement unscaled integer, in four
 * little-endian 32-bit words at `out[at..at+4]`.
 */
export function writeDecimal(text: string, scale: number, out: Uint32Array, at: number): void {
  if (text.length <= 16) {
    // Up to 15 digits with exactly `scale` of them after the point (as Trino prints): exact as a
    // double, read digit by digit.
    const negative = text.charCodeAt(0) === 45
    let value = 0
    let digits = 0
    let dot = -1
    let i = negative ? 1 : 0
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 46 && dot === -1) dot = i
      else if (c >= 48 && c <= 57) {
        value = value * 10 + (c - 48)
        digits += 1
      } else break
    }
    const fractionDigits = dot === -1 ? 0 : text.length - dot - 1
    if (i === text.length && digits > 0 && fractionDigits === scale && dot !== text.length - 1) {
      writeWords(negative ? -value : value, out, at)
      return
    }
  }
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text)
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) throw new RangeError(`not a decimal: ${text}`)
  const fraction = m[3] ?? ''
  if (fraction.length > scale) throw new RangeError(`decimal ${text} has more than ${scale} fraction digits`)
  const digits = (m[2] ?? '') + fraction.padEnd(scale, '0')
  const negative = m[1] === '-'
  if (digits.length <= 15) {
    writeWords(negative ? -Number(digits) : Number(digits), out, at)
    return
  }
  const unsigned = BigInt.asUintN(128, negative ? -BigInt(digits) : BigInt(digits))
  for (let w = 0; w < 4; w++) out[at + w] = Number((unsigned >> BigInt(32 * w)) & 0xffffffffn)
}

function writeUuid(text: string, out: Uint32Array | Uint8Array, at: number): void {
  const hex = text.replaceAll('-', '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a uuid: ${text}`)
  for (let i = 0; i < 16; i++) out[at + i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
}
