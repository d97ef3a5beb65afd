/**
 * A record's JSON value read straight into a table's internal values, without the object
 * `JSON.parse` would build and the validation that would then read it back.
 *
 * The reader either accepts a record whole, with exactly the values the general path — `JSON.parse`
 * of the value's UTF-8 text, then the table's validation (`ColumnBuilder.add`) — would produce,
 * or declines it, and the worker takes the general path, so that what is refused, and why, is
 * decided there alone.
 *
 * @module
 */
import {
  coerceValue,
  type DecimalType,
  type IcebergType,
  isoUtcMillisOrUndefined,
  plainDecimalOrUndefined,
  type Schema,
} from '@lake/catalog'

/** How a field's value is read: the common flat types inline, the rest through `coerceValue`. */
const STRING = 0
const BOOLEAN = 1
const DOUBLE = 2
const LONG = 3
const INT = 4
/** Any JSON value, as `JSON.parse` would give it, coerced by the catalog's own rules. */
const COERCED = 5
/** `Date#toISOString` text read in place, else as {@link COERCED}. */
const TIMESTAMPTZ = 6
/** Plain decimal text read in place, else as {@link COERCED}. */
const DECIMAL = 7
type Read =
  | typeof STRING
  | typeof BOOLEAN
  | typeof DOUBLE
  | typeof LONG
  | typeof INT
  | typeof COERCED
  | typeof TIMESTAMPTZ
  | typeof DECIMAL

interface FieldPlan {
  /** The field's name, or undefined when no JSON key without escapes can spell it. */
  readonly key: string | undefined
  /**
   * Whether the name is a property of every object (`toString`): validation reads a missing
   * field by name, finds the inherited value and refuses it, so a record without it is declined.
   */
  readonly inherited: boolean
  readonly read: Read
  readonly type: IcebergType
  readonly required: boolean
  readonly name: string
}

/** Thrown inside the reader to decline a record: a constant, so that declining builds no stack. */
const DECLINED: unique symbol = Symbol('declined')

/** A field's value that validation would refuse. */
const INVALID: unique symbol = Symbol('invalid')

/** Slots of a reader's short strings read lately: a power of two. */
const RECENT_SLOTS = 1024

/** Nesting beyond this is declined rather than read by recursion. */
const MAX_DEPTH = 256

/** 10^0 … 10^22, the powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i)

/**
 * Reads JSON record values of one schema into rows of its internal values (see `ColumnBuilder`):
 * one value per top-level field, in field order.
 *
 * {@link JsonRowReader.read} accepts a value only when `JSON.parse(value.toString('utf8'))` is an
 * object whose validation against the schema would succeed, and then yields exactly the values
 * that validation would (numbers rounded as `JSON.parse` rounds them, strings with their escapes
 * and any unpaired surrogates, a duplicated key's last value, text read as timestamps and decimals
 * by the catalog's parsers, nested values by `coerceValue`). Anything else — invalid JSON, a value
 * of the wrong type, a required field null or missing, an unknown field unless unknown fields are
 * ignored, a key with escapes, a key `__proto__` — is declined, to be decoded and validated the
 * general way, which also says why it is refused.
 */
export class JsonRowReader {
  readonly #fields: readonly FieldPlan[]
  readonly #ignoreUnknown: boolean
  #text = ''
  /** The value's bytes while its text is all ASCII (each byte one character), else undefined. */
  #ascii: Buffer | undefined
  #at = 0
  /** Short strings read lately, by a hash of their characters (see {@link JsonRowReader.#slice}). */
  readonly #recent = new Array<string | undefined>(RECENT_SLOTS)

  /** `ignoreUnknown`: top-level keys that are not fields are dropped (`unknownFields: 'ignore'`). */
  constructor(schema: Schema, ignoreUnknown: boolean) {
    this.#fields = schema.fields.map((field) => ({
      key: spellable(field.name) ? field.name : undefined,
      inherited: field.name in Object.prototype,
      read: readOf(field.type),
      type: field.type,
      required: field.required,
      name: field.name,
    }))
    this.#ignoreUnknown = ignoreUnknown
  }

  /** Values per row: the schema's top-level fields. */
  get width(): number {
    return this.#fields.length
  }

  /**
   * Appends the row of `value` to `out` ({@link JsonRowReader.width} values) and returns true,
   * or returns false, leaving `out` as it was, when the general path must decide the record.
   */
  read(value: Buffer, out: unknown[]): boolean {
    const base = out.length
    const fields = this.#fields
    for (let c = 0; c < fields.length; c++) out.push(undefined)
    try {
      this.#text = value.toString('utf8')
      // As many characters as bytes: every byte ASCII, or a byte not UTF-8 replaced by U+FFFD.
      this.#ascii = this.#text.length === value.length && !this.#text.includes('\ufffd') ? value : undefined
      this.#row(out, base)
    } catch {
      // DECLINED (not JSON the reader reads), or anything unforeseen: for the general path.
      out.length = base
      return false
    } finally {
      this.#text = ''
      this.#ascii = undefined
    }
    for (let c = 0; c < fields.length; c++) {
      const v = out[base + c]
      if (v === INVALID) {
        out.length = base
        return false
      }
      if (v === undefined || v === null) {
        const field = fields[c]!
        if (field.required || (v === undefined && field.inherited)) {
          out.length = base
          return false
        }
        out[base + c] = null
      }
    }
    return true
  }

  /** The record's object, its values set in `out` from `base`; what follows it must be whitespace. */
  #row(out: unknown[], base: number): void {
    const s = this.#text
    const fields = this.#fields
    let i = space(s, 0)
    if (s.charCodeAt(i) !== 123 /* { */) throw DECLINED
    i = space(s, i + 1)
    if (s.charCodeAt(i) === 125 /* } */) {
      i++
    } else {
      // Keys usually come in field order: the field after the last one is tried first.
      let next = 0
      for (;;) {
        if (s.charCodeAt(i) !== 34 /* " */) throw DECLINED
        const field = this.#key(i + 1, next)
        i = space(s, this.#at)
        if (s.charCodeAt(i) !== 58 /* : */) throw DECLINED
        this.#at = space(s, i + 1)
        if (field >= 0) {
          out[base + field] = this.#field(fields[field]!)
          next = field + 1 === fields.length ? 0 : field + 1
        } else {
          this.#any(0)
        }
        i = space(s, this.#at)
        const c = s.charCodeAt(i)
        if (c === 44 /* , */) {
          i = space(s, i + 1)
          continue
        }
        if (c !== 125 /* } */) throw DECLINED
        i++
        break
      }
    }
    if (space(s, i) !== s.length) throw DECLINED
  }

  /**
   * The field whose name is the key starting at `start` (after its quote), trying `next` first,
   * with the position after the closing quote in `#at`; -1 for an unknown key to be ignored.
   */
  #key(start: number, next: number): number {
    const s = this.#text
    const fields = this.#fields
    for (let k = 0; k < fields.length; k++) {
      const f = next + k < fields.length ? next + k : next + k - fields.length
      const key = fields[f]!.key
      if (key === undefined) continue
      const length = key.length
      if (s.charCodeAt(start + length) !== 34) continue
      let j = 0
      while (j < length && s.charCodeAt(start + j) === key.charCodeAt(j)) j++
      if (j === length) {
        this.#at = start + length + 1
        return f
      }
    }
    // Not a field, unless escapes spell one: the general path reads those.
    let i = start
    for (;;) {
      const c = s.charCodeAt(i)
      if (c === 34) break
      if (c === 92 /* \ */ || !(c >= 32)) throw DECLINED
      i++
    }
    if (!this.#ignoreUnknown || s.slice(start, i) === '__proto__') throw DECLINED
    this.#at = i + 1
    return -1
  }

  /**
   * A top-level field's value at `#at`, as its internal value (null for JSON null), or
   * {@link INVALID} when validation would refuse it: the record is declined unless a later
   * value of the same key replaces it, as `JSON.parse` keeps a duplicated key's last value.
   */
  #field(field: FieldPlan): unknown {
    const s = this.#text
    const c = s.charCodeAt(this.#at)
    if (c === 110 /* n */) return this.#literal('null', null)
    switch (field.read) {
      case STRING:
        if (c === 34) return this.#string()
        break
      case BOOLEAN:
        if (c === 116 /* t */) return this.#literal('true', true)
        if (c === 102 /* f */) return this.#literal('false', false)
        break
      case DOUBLE:
        if (c === 45 || (c >= 48 && c <= 57)) return this.#number()
        break
      case LONG:
        if (c === 45 || (c >= 48 && c <= 57)) {
          const n = this.#number()
          return Number.isSafeInteger(n) ? BigInt(n) : INVALID
        }
        break
      case INT:
        if (c === 45 || (c >= 48 && c <= 57)) {
          const n = this.#number()
          // The int32 range, -0 as 0.
          return (n | 0) === n ? n | 0 : INVALID
        }
        break
      case TIMESTAMPTZ:
        if (c === 34) {
          const micros = this.#isoInstant()
          if (micros !== undefined) return micros
        }
        return this.#coerced(field)
      case DECIMAL:
        if (c === 34) {
          const unscaled = this.#plainDecimal(field.type as DecimalType)
          if (unscaled !== undefined) return unscaled
        }
        return this.#coerced(field)
      case COERCED:
        return this.#coerced(field)
    }
    this.#any(0)
    return INVALID
  }

  /** The value at `#at` as `JSON.parse` gives it, coerced to the field's type, or {@link INVALID}. */
  #coerced(field: FieldPlan): unknown {
    const value = this.#any(0)
    try {
      return coerceValue(field.type, value, field.name)
    } catch {
      return INVALID
    }
  }

  /**
   * The string at `#at` when it is `Date#toISOString`'s `YYYY-MM-DDTHH:MM:SS.sssZ` of a valid
   * instant in years 0000-9999, as microseconds since the epoch (what the catalog's parser makes
   * of that text), moving past it; else undefined, leaving `#at` where it was.
   */
  #isoInstant(): bigint | undefined {
    const i = this.#at + 1
    if (this.#text.charCodeAt(i + 24) !== 34) return undefined
    const micros = isoUtcMillisOrUndefined(this.#text, i, i + 24)
    if (micros !== undefined) this.#at = i + 25
    return micros
  }

  /**
   * The string at `#at` when it is plain decimal text (`-?digits[.digits]`, at most 15 digits, no
   * more fractional digits than the scale) whose unscaled value fits the precision, as that
   * unscaled value (what the catalog's parser makes of it), moving past it; else undefined,
   * leaving `#at` where it was.
   */
  #plainDecimal(type: DecimalType): bigint | undefined {
    const start = this.#at + 1
    // An escape before the quote is no digit: the text is declined as it would be read so.
    const end = this.#text.indexOf('"', start)
    if (end < 0) return undefined
    const unscaled = plainDecimalOrUndefined(this.#text, type, start, end)
    if (unscaled !== undefined) this.#at = end + 1
    return unscaled
  }

  #literal<T>(text: string, value: T): T {
    if (!this.#text.startsWith(text, this.#at)) throw DECLINED
    this.#at += text.length
    return value
  }

  /** Any JSON value at `#at`, as `JSON.parse` gives it. */
  #any(depth: number): unknown {
    const s = this.#text
    const c = s.charCodeAt(this.#at)
    if (c === 34) return this.#string()
    if (c === 123) return this.#object(depth + 1)
    if (c === 91 /* [ */) return this.#array(depth + 1)
    if (c === 116) return this.#literal('true', true)
    if (c === 102) return this.#literal('false', false)
    if (c === 110) return this.#literal('null', null)
    return this.#number()
  }

  #object(depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) throw DECLINED
    const s = this.#text
    const object: Record<string, unknown> = {}
    let i = space(s, this.#at + 1)
    if (s.charCodeAt(i) === 125) {
      this.#at = i + 1
      return object
    }
    for (;;) {
      if (s.charCodeAt(i) !== 34) throw DECLINED
      this.#at = i
      const key = this.#string()
      // JSON.parse makes it an own property; assignment would set the prototype.
      if (key === '__proto__') throw DECLINED
      i = space(s, this.#at)
      if (s.charCodeAt(i) !== 58) throw DECLINED
      this.#at = space(s, i + 1)
      object[key] = this.#any(depth)
      i = space(s, this.#at)
      const c = s.charCodeAt(i)
      if (c === 44) {
        i = space(s, i + 1)
        continue
      }
      if (c !== 125) throw DECLINED
      this.#at = i + 1
      return object
    }
  }

  #array(depth: number): unknown[] {
    if (depth > MAX_DEPTH) throw DECLINED
    const s = this.#text
    const array: unknown[] = []
    this.#at = space(s, this.#at + 1)
    if (s.charCodeAt(this.#at) === 93 /* ] */) {
      this.#at++
      return array
    }
    for (;;) {
      array.push(this.#any(depth))
      const i = space(s, this.#at)
      const c = s.charCodeAt(i)
      if (c === 44) {
        this.#at = space(s, i + 1)
        continue
      }
      if (c !== 93) throw DECLINED
      this.#at = i + 1
      return array
    }
  }

  /** The string whose opening quote is at `#at`. */
  #string(): string {
    const s = this.#text
    const start = this.#at + 1
    let hash = 0
    for (let i = start; ; i++) {
      const c = s.charCodeAt(i)
      if (c === 34) {
        this.#at = i + 1
        return this.#slice(start, i, hash)
      }
      if (c === 92) return this.#escaped(s.slice(start, i), i)
      // Control characters are not allowed in JSON strings; NaN is the end of the text.
      if (!(c >= 32)) throw DECLINED
      hash = (Math.imul(hash, 31) + c) | 0
    }
  }

  /**
   * Characters `start` to `end` of the text (whose hash is `hash`) as a string that holds on to
   * nothing else, since buffered values live until their commit: a short one is the same string
   * as the last one of those characters when that is still at hand (as `JSON.parse` shares short
   * strings: a column of few distinct values then holds few strings); from 13 characters on V8's
   * slice would be a view keeping the whole text alive, so those are copied from the bytes when
   * the text is ASCII.
   */
  #slice(start: number, end: number, hash: number): string {
    const s = this.#text
    const length = end - start
    if (length <= 10) {
      const slot = (hash ^ length) & (RECENT_SLOTS - 1)
      const recent = this.#recent[slot]
      if (recent !== undefined && recent.length === length && s.startsWith(recent, start)) return recent
      const fresh = s.slice(start, end)
      this.#recent[slot] = fresh
      return fresh
    }
    const ascii = this.#ascii
    return length >= 13 && ascii !== undefined ? ascii.toString('latin1', start, end) : s.slice(start, end)
  }

  /** The rest of a string from the backslash at `at`, after the text before it. */
  #escaped(before: string, at: number): string {
    const s = this.#text
    let text = before
    let i = at
    let from = at
    for (;;) {
      const c = s.charCodeAt(i)
      if (c === 34) {
        this.#at = i + 1
        return text + s.slice(from, i)
      }
      if (c === 92) {
        text += s.slice(from, i)
        const e = s.charCodeAt(i + 1)
        if (e === 117 /* u */) {
          text += String.fromCharCode(hex(s, i + 2))
          i += 6
        } else {
          text += escapedCharacter(e)
          i += 2
        }
        from = i
        continue
      }
      if (!(c >= 32)) throw DECLINED
      i++
    }
  }

  /**
   * The number at `#at`, following JSON's grammar exactly, rounded as `JSON.parse` rounds it:
   * up to 15 digits with a power of ten up to 22 in one exact operation (Clinger's fast path),
   * anything else by `Number` of its text.
   */
  #number(): number {
    const s = this.#text
    const start = this.#at
    let i = start
    const negative = s.charCodeAt(i) === 45 /* - */
    if (negative) i++
    let mantissa = 0
    let digits = 0
    let d = s.charCodeAt(i) - 48
    if (d === 0) {
      i++
    } else if (d > 0 && d <= 9) {
      do {
        mantissa = mantissa * 10 + d
        digits++
        d = s.charCodeAt(++i) - 48
      } while (d >= 0 && d <= 9)
    } else {
      throw DECLINED
    }
    let exponent = 0
    if (s.charCodeAt(i) === 46 /* . */) {
      d = s.charCodeAt(++i) - 48
      if (!(d >= 0 && d <= 9)) throw DECLINED
      do {
        mantissa = mantissa * 10 + d
        digits++
        exponent--
        d = s.charCodeAt(++i) - 48
      } while (d >= 0 && d <= 9)
    }
    const e = s.charCodeAt(i)
    if (e === 101 || e === 69 /* e E */) {
      let sign = s.charCodeAt(++i)
      if (sign === 43 || sign === 45) i++
      else sign = 43
      d = s.charCodeAt(i) - 48
      if (!(d >= 0 && d <= 9)) throw DECLINED
      let power = 0
      do {
        if (power < 1e6) power = power * 10 + d
        d = s.charCodeAt(++i) - 48
      } while (d >= 0 && d <= 9)
      exponent += sign === 45 ? -power : power
    }
    this.#at = i
    let value: number
    // Below 10^15 the mantissa is exact, and so is 10^k up to 22: one rounding, the right one.
    if (digits <= 15 && exponent >= -22 && exponent <= 22) {
      value = exponent >= 0 ? mantissa * POW10[exponent]! : mantissa / POW10[-exponent]!
      return negative ? -value : value
    }
    return Number(s.slice(start, i))
  }
}

/** The next position from `i` that is not JSON whitespace (space, tab, line feed, return). */
function space(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i)
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i
    i++
  }
}

/** The value of the four hex digits at `i`. */
function hex(s: string, i: number): number {
  let value = 0
  for (let k = i; k < i + 4; k++) {
    const c = s.charCodeAt(k)
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
    if (d < 0) throw DECLINED
    value = value * 16 + d
  }
  return value
}

/** The character of a one-letter escape (`\n`), by the letter's code. */
function escapedCharacter(code: number): string {
  switch (code) {
    case 34:
      return '"'
    case 92:
      return '\\'
    case 47:
      return '/'
    case 98:
      return '\b'
    case 102:
      return '\f'
    case 110:
      return '\n'
    case 114:
      return '\r'
    case 116:
      return '\t'
    default:
      throw DECLINED
  }
}

/**
 * Whether a key without escapes can spell the name: JSON needs escapes for quotes, backslashes
 * and control characters, and `__proto__` is left to the general path (assigned, it is not data).
 */
function spellable(name: string): boolean {
  if (name === '__proto__') return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c === 34 || c === 92 || c < 32) return false
  }
  return true
}

function readOf(type: IcebergType): Read {
  switch (type.kind) {
    case 'string':
      return STRING
    case 'boolean':
      return BOOLEAN
    case 'double':
      return DOUBLE
    case 'long':
      return LONG
    case 'int':
      return INT
    case 'timestamptz':
      return TIMESTAMPTZ
    case 'decimal':
      return DECIMAL
    default:
      return COERCED
  }
}
