import { QueryError } from '@lake/errors'
import { makeData, RecordBatch, type Schema, Struct } from 'apache-arrow'
import {
  arrowSchema,
  columnBuilder,
  type TrinoColumn,
  unitOf,
  unitsOf,
  type ZonedTimestampBuilder,
} from '../types/arrow.js'
import type {
  BigIntBuilder,
  BoolBuilder,
  ColumnBuilder,
  FixedBytesBuilder,
  NumberBuilder,
  Utf8Builder,
} from '../types/builders.js'
import type { TrinoType } from '../types/signature.js'
import { daysFromCivil } from '../types/temporal.js'
import { decimalToDouble } from './double.js'
import { parseJsonLossless, skipValue, skipWhitespace } from './json.js'
import { text } from './page.js'

/** How the decoder reads a column's values: a fast path per common scalar type, else a JS value. */
const INT = 0
const BIGINT = 1
const FLOAT = 2
const BOOL = 3
const TEXT = 4
const VALUE = 5
const DECIMAL = 6
const DATE = 7
const TIMESTAMP = 8
const ZONED_TIMESTAMP = 9

function readerOf(type: TrinoType): number {
  switch (type.kind) {
    case 'decimal':
      return DECIMAL
    case 'date':
      return DATE
    case 'timestamp':
      return unitOf(type.precision) === undefined ? VALUE : TIMESTAMP
    case 'timestamp with time zone':
      return unitOf(type.precision) === undefined ? VALUE : ZONED_TIMESTAMP
    case 'tinyint':
    case 'smallint':
    case 'integer':
      return INT
    case 'bigint':
      return BIGINT
    case 'real':
    case 'double':
      return FLOAT
    case 'boolean':
      return BOOL
    case 'varchar':
    case 'char':
      return TEXT
    default:
      return VALUE
  }
}

/** Powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i)

/**
 * Turns the `data` arrays of Trino's pages into Arrow record batches of `batchRows` rows. The
 * rows are decoded from the response's UTF-8 bytes straight into one builder per column: integers,
 * doubles and booleans without a JS value in between, strings without escapes copied as bytes,
 * other values (decimals, dates, timestamps, nested types) read as JS values one at a time.
 * Batches are cut as they fill, so a batch never depends on how the server sized its pages.
 * Values stay exact: an integer of more than 15 digits is read through `BigInt`; a double is
 * computed from its digits exactly (see {@link decimalToDouble}), or, when that cannot decide
 * (more than 18 digits, an exponent beyond ±250, a value next to a halfway point), read through
 * `Number` of its text, as `JSON.parse` would.
 */
export class BatchAssembler {
  readonly schema: Schema
  private readonly builders: ColumnBuilder[]
  private readonly readers: number[]
  /** Per column: a decimal's scale, a timestamp's fraction digits. */
  private readonly scales: number[]
  private rows = 0
  private full: RecordBatch[] = []
  /** The byte index the decoder has reached. */
  private at = 0

  constructor(
    private readonly columns: readonly TrinoColumn[],
    private readonly batchRows: number,
    private readonly queryId: string | undefined,
  ) {
    this.schema = arrowSchema(columns)
    this.builders = this.schema.fields.map((field, i) => columnBuilder(columns[i]!.type, field.type))
    this.readers = columns.map((column) => readerOf(column.type))
    this.scales = columns.map(({ type }) =>
      type.kind === 'decimal' ? type.scale : 'precision' in type ? (unitOf(type.precision)?.digits ?? 0) : 0,
    )
  }

  /** Rows buffered and not yet returned in a batch. */
  get buffered(): number {
    return this.rows
  }

  /** The batches that filled up since the last call. */
  takeFull(): RecordBatch[] {
    const full = this.full
    this.full = []
    return full
  }

  /**
   * Decodes the JSON array of rows (or `null`) that starts at byte `start` of `bytes`; returns
   * the index after it. Full batches are kept for {@link takeFull}.
   *
   * @throws SyntaxError when the rows are not JSON arrays of one value per column
   * @throws QueryError when a value does not convert to its column's Arrow type
   */
  decodeRows(bytes: Buffer, start: number): number {
    let p = skipWhitespace(bytes, start)
    if (bytes[p] === 110) return this.literal(bytes, p, 'null')
    if (bytes[p] !== 91) throw new SyntaxError(`expected the rows' array at byte ${p}`)
    p = skipWhitespace(bytes, p + 1)
    if (bytes[p] === 93) return p + 1
    const n = this.builders.length
    let column = 0
    let valueAt = p
    try {
      for (;;) {
        if (bytes[p] !== 91) throw new SyntaxError(`expected a row at byte ${p}`)
        const rowAt = p
        p += 1
        for (column = 0; column < n; column++) {
          // Trino writes no whitespace: it is looked for only where the expected byte is not.
          if (column > 0) {
            if (bytes[p] !== 44) {
              p = skipWhitespace(bytes, p)
              if (bytes[p] !== 44)
                throw new SyntaxError(`a row at byte ${rowAt} has fewer values than columns`)
            }
            p += 1
          }
          if (bytes[p]! <= 32) p = skipWhitespace(bytes, p)
          valueAt = p
          p = this.readValue(bytes, p, column)
        }
        if (bytes[p] !== 93) {
          p = skipWhitespace(bytes, p)
          if (bytes[p] !== 93) throw new SyntaxError(`a row ends at byte ${p} with more values than columns`)
        }
        if (++this.rows === this.batchRows) this.full.push(this.flush())
        p += 1
        if (bytes[p] !== 44) p = skipWhitespace(bytes, p)
        if (bytes[p] === 44) {
          p += 1
          if (bytes[p] !== 91) p = skipWhitespace(bytes, p)
        } else if (bytes[p] === 93) return p + 1
        else throw new SyntaxError(`expected ',' or ']' after a row at byte ${p}`)
      }
    } catch (error) {
      if (error instanceof SyntaxError) throw error
      const { name, type } = this.columns[column]!
      throw new QueryError(
        `Cannot convert the value ${text(bytes, valueAt, safeEnd(bytes, valueAt))} of column ${name} (${type.signature}) to Arrow: ${(error as Error).message}`,
        { cause: error, context: { queryId: this.queryId, field: name, type: type.signature } },
      )
    }
  }

  /** Reads the value at `p` into column `c`'s builder; returns the index after it. */
  private readValue(bytes: Buffer, p: number, c: number): number {
    const first = bytes[p]!
    switch (this.readers[c]) {
      case INT:
        if (((first >= 48 && first <= 57) || first === 45) && this.integer(bytes, p)) {
          ;(this.builders[c] as NumberBuilder).appendNumber(this.integerValue as number)
          return this.at
        }
        break
      case BIGINT:
        if (((first >= 48 && first <= 57) || first === 45) && this.integer(bytes, p)) {
          ;(this.builders[c] as BigIntBuilder).appendInt64(this.integerValue)
          return this.at
        }
        break
      case FLOAT:
        if ((first >= 48 && first <= 57) || first === 45) {
          ;(this.builders[c] as NumberBuilder).appendNumber(this.double(bytes, p))
          return this.at
        }
        break
      case BOOL:
        if (first === 116 && bytes[p + 1] === 114 && bytes[p + 2] === 117 && bytes[p + 3] === 101) {
          ;(this.builders[c] as BoolBuilder).appendBoolean(true)
          return p + 4
        }
        if (
          first === 102 &&
          bytes[p + 1] === 97 &&
          bytes[p + 2] === 108 &&
          bytes[p + 3] === 115 &&
          bytes[p + 4] === 101
        ) {
          ;(this.builders[c] as BoolBuilder).appendBoolean(false)
          return p + 5
        }
        break
      case TEXT:
        if (first === 34) return this.text(bytes, p, this.builders[c] as Utf8Builder)
        break
      case DECIMAL:
        if (first === 34 && this.decimal(bytes, p + 1, this.scales[c]!)) {
          ;(this.builders[c] as FixedBytesBuilder).appendUnscaled(this.integerValue as number)
          return this.at
        }
        break
      case DATE:
        if (first === 34 && bytes[p + 11] === 34) {
          const days = dateAt(bytes, p + 1)
          if (!Number.isNaN(days)) {
            ;(this.builders[c] as NumberBuilder).appendNumber(days)
            return p + 12
          }
        }
        break
      case TIMESTAMP:
        if (first === 34 && this.timestamp(bytes, p + 1, this.scales[c]!) && bytes[this.at] === 34) {
          ;(this.builders[c] as BigIntBuilder).appendInt64(
            unitsOf(this.seconds, this.fraction, POW10[this.scales[c]!]!),
          )
          return this.at + 1
        }
        break
      case ZONED_TIMESTAMP:
        if (first === 34 && this.timestamp(bytes, p + 1, this.scales[c]!) && isUtcEnd(bytes, this.at)) {
          ;(this.builders[c] as ZonedTimestampBuilder).appendUtc(this.seconds, this.fraction)
          return this.at + 5
        }
        break
    }
    this.builders[c]!.append(this.jsValue(bytes, p))
    return this.at
  }

  private integerValue: number | bigint = 0
  private seconds = 0
  private fraction = 0

  /**
   * Reads the digits of a decimal string (after its opening quote) into `integerValue` when they
   * are the unscaled value of at most 15 digits with exactly `scale` fraction digits, as Trino
   * prints, and moves `at` past the closing quote; false, moving nothing, otherwise.
   */
  private decimal(bytes: Buffer, p: number, scale: number): boolean {
    const negative = bytes[p] === 45
    let i = negative ? p + 1 : p
    let value = 0
    let digits = 0
    let fractionDigits = 0
    let d = bytes[i]!
    while (d >= 48 && d <= 57) {
      value = value * 10 + (d - 48)
      digits += 1
      d = bytes[++i]!
    }
    if (d === 46 && digits > 0) {
      d = bytes[++i]!
      while (d >= 48 && d <= 57) {
        value = value * 10 + (d - 48)
        digits += 1
        fractionDigits += 1
        d = bytes[++i]!
      }
    }
    if (d !== 34 || digits === 0 || digits > 15 || fractionDigits !== scale) return false
    this.integerValue = negative ? -value : value
    this.at = i + 1
    return true
  }

  /**
   * Reads `YYYY-MM-DD HH:MM:SS[.f…]` at `p` into `seconds` (since the epoch, as wall time) and
   * `fraction` (in 10^-digits, extra digits dropped as the text parser does); `at` is left after
   * the time. False when the text is laid out otherwise.
   */
  private timestamp(bytes: Buffer, p: number, digits: number): boolean {
    const days = dateAt(bytes, p)
    if (Number.isNaN(days) || bytes[p + 10] !== 32 || bytes[p + 13] !== 58 || bytes[p + 16] !== 58)
      return false
    const seconds = twoDigits(bytes, p + 11) * 3600 + twoDigits(bytes, p + 14) * 60 + twoDigits(bytes, p + 17)
    if (Number.isNaN(seconds)) return false
    let i = p + 19
    let fraction = 0
    let places = 0
    if (bytes[i] === 46) {
      let d = bytes[++i]!
      while (d >= 48 && d <= 57) {
        if (places < digits) {
          fraction = fraction * 10 + (d - 48)
          places += 1
        }
        d = bytes[++i]!
      }
    }
    for (; places < digits; places++) fraction *= 10
    this.seconds = days * 86_400 + seconds
    this.fraction = fraction
    this.at = i
    return true
  }

  /**
   * Reads a JSON integer at `p` into `integerValue` (a number up to 15 digits, else a bigint)
   * and moves `at` past it; false, moving nothing, when the number has a fraction or exponent.
   */
  private integer(bytes: Buffer, p: number): boolean {
    const negative = bytes[p] === 45
    let i = negative ? p + 1 : p
    const digitsAt = i
    let value = 0
    for (;;) {
      const d = bytes[i]!
      if (!(d >= 48 && d <= 57)) break
      value = value * 10 + (d - 48)
      i += 1
    }
    const next = bytes[i]
    if (i === digitsAt || next === 46 || next === 101 || next === 69) return false
    const digits = i - digitsAt
    this.integerValue = digits <= 15 ? (negative ? -value : value) : BigInt(latin1(bytes, p, i))
    this.at = i
    return true
  }

  /** Reads a JSON number at `p` as a double, exactly as `JSON.parse` would; moves `at` past it. */
  private double(bytes: Buffer, p: number): number {
    const negative = bytes[p] === 45
    let i = negative ? p + 1 : p
    // The first nine significant digits, then up to nine more (see decimalToDouble).
    let high = 0
    let low = 0
    let lowDigits = 0
    let exponent = 0
    let d = bytes[i]!
    const digitsAt = i
    while (d >= 48 && d <= 57) {
      if (high < 100_000_000) high = high * 10 + (d - 48)
      else {
        low = low * 10 + (d - 48)
        lowDigits += 1
      }
      d = bytes[++i]!
    }
    let digits = i - digitsAt
    if (d === 46) {
      const fractionAt = i + 1
      d = bytes[++i]!
      while (d >= 48 && d <= 57) {
        if (high < 100_000_000) high = high * 10 + (d - 48)
        else {
          low = low * 10 + (d - 48)
          lowDigits += 1
        }
        d = bytes[++i]!
      }
      exponent = fractionAt - i
      digits += i - fractionAt
    }
    if (d === 101 || d === 69) {
      d = bytes[++i]!
      const negativeExponent = d === 45
      if (d === 45 || d === 43) d = bytes[++i]!
      let e = 0
      const exponentAt = i
      while (d >= 48 && d <= 57) {
        e = e * 10 + (d - 48)
        d = bytes[++i]!
      }
      // No exponent digits, or more than four: left to Number (which rejects the former).
      exponent = i - exponentAt === 0 || i - exponentAt > 4 ? 9999 : exponent + (negativeExponent ? -e : e)
    }
    this.at = i
    if (digits > 0) {
      const magnitude = decimalToDouble(high, low, lowDigits, exponent)
      if (!Number.isNaN(magnitude)) return negative ? -magnitude : magnitude
    }
    const value = Number(latin1(bytes, p, i))
    if (Number.isNaN(value)) throw new SyntaxError(`not a JSON number at byte ${p}`)
    return value
  }

  /** A string at `p` into a UTF-8 column (its bytes as they are, unless it has escapes); the index after it. */
  private text(bytes: Buffer, p: number, builder: Utf8Builder): number {
    const n = bytes.length
    let i = p + 1
    let escaped = false
    while (i < n) {
      const c = bytes[i]!
      if (c === 34) break
      if (c === 92) {
        escaped = true
        i += 2
      } else i += 1
    }
    if (i >= n) throw new SyntaxError(`JSON string at byte ${p} does not end`)
    if (escaped) builder.append(JSON.parse(text(bytes, p, i + 1)))
    else builder.appendUtf8(bytes, p + 1, i)
    return i + 1
  }

  /** The JSON value at `p` as a JS value (long integers as digit strings); moves `at` past it. */
  private jsValue(bytes: Buffer, p: number): unknown {
    const first = bytes[p]
    if (first === 34) {
      const n = bytes.length
      let i = p + 1
      let plain = true
      while (i < n) {
        const c = bytes[i]!
        if (c === 34) break
        if (c === 92 || c >= 0x80) plain = false
        i += c === 92 ? 2 : 1
      }
      if (i >= n) throw new SyntaxError(`JSON string at byte ${p} does not end`)
      this.at = i + 1
      return plain ? latin1(bytes, p + 1, i) : JSON.parse(text(bytes, p, i + 1))
    }
    if (first === 110) {
      this.at = this.literal(bytes, p, 'null')
      return null
    }
    const end = skipValue(bytes, p)
    this.at = end
    return parseJsonLossless(text(bytes, p, end))
  }

  /** Checks the literal `word` at `p`; returns the index after it. */
  private literal(bytes: Buffer, p: number, word: string): number {
    for (let k = 0; k < word.length; k++)
      if (bytes[p + k] !== word.charCodeAt(k)) throw new SyntaxError(`expected ${word} at byte ${p}`)
    return p + word.length
  }

  /** The buffered rows as one batch (possibly empty). */
  flush(): RecordBatch {
    const length = this.rows
    const children = this.builders.map((builder) => builder.finish())
    this.rows = 0
    const data = makeData({ type: new Struct(this.schema.fields), length, nullCount: 0, children })
    return new RecordBatch(this.schema, data)
  }
}

/** The end of the value at `at` for an error message, or a little text when it has none. */
function safeEnd(bytes: Buffer, at: number): number {
  try {
    return skipValue(bytes, at)
  } catch {
    return Math.min(bytes.length, at + 40)
  }
}

/** Two decimal digits at `p`, or NaN. */
function twoDigits(bytes: Buffer, p: number): number {
  const a = bytes[p]! - 48
  const b = bytes[p + 1]! - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN
}

/** Days since the epoch of `YYYY-MM-DD` (a four-digit year) at `p`, or NaN; as `daysFromCivil`, from tables. */
function dateAt(bytes: Buffer, p: number): number {
  if (bytes[p + 4] !== 45 || bytes[p + 7] !== 45) return Number.NaN
  const year = twoDigits(bytes, p) * 100 + twoDigits(bytes, p + 2)
  const month = twoDigits(bytes, p + 5)
  const day = twoDigits(bytes, p + 8)
  // NaN propagates; a month or day out of range is left to the text parser's error.
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31) || Number.isNaN(year)) return Number.NaN
  return YEAR_DAYS[year]! + MONTH_DAYS[LEAP[year]! * 13 + month]! + day - 1
}

/** Days from the epoch to 1 January of each four-digit year, and whether it is a leap year. */
const YEAR_DAYS = Int32Array.from({ length: 10_000 }, (_, year) => daysFromCivil(year, 1, 1))
const LEAP = Uint8Array.from({ length: 10_000 }, (_, year) =>
  daysFromCivil(year, 3, 1) - daysFromCivil(year, 2, 1) === 29 ? 1 : 0,
)
/** Days in a year before each month (1–12), for common years then (from 13 on) for leap years. */
const MONTH_DAYS = Int32Array.from([
  0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 0, 0, 31, 60, 91, 121, 152, 182, 213, 244, 274,
  305, 335,
])

/** Whether ` UTC"` is at `p`: the zone of every value read with the session time zone UTC. */
function isUtcEnd(bytes: Buffer, p: number): boolean {
  return (
    bytes[p] === 32 &&
    bytes[p + 1] === 85 &&
    bytes[p + 2] === 84 &&
    bytes[p + 3] === 67 &&
    bytes[p + 4] === 34
  )
}

/** Node's Buffer method behind `toString('latin1', start, end)`, without that call's argument handling. */
type Latin1Slicing = Buffer & { latin1Slice(start: number, end: number): string }

/** The text of ASCII bytes `bytes[start..end)`. */
function latin1(bytes: Buffer, start: number, end: number): string {
  return (bytes as Latin1Slicing).latin1Slice(start, end)
}
