/**
 * A record's JSON value read straight from its bytes into a table's columns, without the text,
 * the object `JSON.parse` would build, and the validation that would then read it back.
 *
 * The reader either accepts a record whole, with exactly the values the general path — `JSON.parse`
 * of the value's UTF-8 text, then the table's validation (`ColumnBuilder.add`) — would produce,
 * or declines it, and the worker takes the general path, so that what is refused, and why, is
 * decided there alone.
 *
 * @module
 */
import { isUtf8 } from 'node:buffer'
import {
  type ColumnBuilder,
  coerceValue,
  type DecimalType,
  plainDecimalNumberOrUndefined,
  type Schema,
  type TypedColumnBuilder,
} from '@lake/catalog'
import { scanNumber, scannedNumber } from './json-number.js'
import {
  BOOLEAN,
  COERCED,
  DECIMAL,
  DOUBLE,
  decimalTextEnd,
  type FieldPlan,
  INT,
  Layouts,
  LONG,
  quotedInstant,
  readOf,
  STRING,
  TIMESTAMPTZ,
} from './json-shape.js'

/** Thrown inside the reader to decline a record: a constant, so that declining builds no stack. */
const DECLINED: unique symbol = Symbol('declined')

/** A field's value that validation would refuse. */
const INVALID: unique symbol = Symbol('invalid')

/** What {@link JsonRowReader.readInto} has made of a field of the row so far. */
const UNSEEN = 0
const WRITTEN = 1
/** Null in the record: written with the missing fields once the row is known to be accepted. */
const NULLED = 2
const REFUSED = 3
type FieldState = typeof UNSEEN | typeof WRITTEN | typeof NULLED | typeof REFUSED

/** Returned by the key cursor when the record's object has no more keys. */
const END = -1

/** Slots of a reader's short strings read lately: a power of two. */
const RECENT_SLOTS = 1024

/** Nesting beyond this is declined rather than read by recursion. */
const MAX_DEPTH = 256

/** Records read in a layout before it is compiled (see `json-shape.ts`). */
const COMPILE_AFTER = 100

const EMPTY = Buffer.alloc(0)

/**
 * Reads JSON record values of one schema from their bytes into a `ColumnBuilder` of the schema
 * ({@link JsonRowReader.readInto}).
 *
 * A value is accepted only when `JSON.parse(value.toString('utf8'))` is an object whose
 * validation against the schema would succeed, and then read as exactly the values validation
 * would give (numbers rounded as `JSON.parse` rounds them, strings with their escapes, bytes
 * that are not UTF-8 as U+FFFD, a duplicated key's last value, text read as timestamps and
 * decimals by the catalog's parsers, nested values by `coerceValue`). Anything else — invalid
 * JSON, a value of the wrong type, a required field null or missing, an unknown field unless
 * unknown fields are ignored, a key with escapes, a key `__proto__` — is declined, to be decoded
 * and validated the general way, which also says why it is refused.
 *
 * @example
 * ```ts
 * const reader = new JsonRowReader(schema, false)
 * const builder = new ColumnBuilder(schema, { typed: true })
 * if (!reader.readInto(message.value, builder)) builder.add(JSON.parse(message.value.toString('utf8')))
 * ```
 */
export class JsonRowReader {
  readonly #fields: readonly FieldPlan[]
  readonly #ignoreUnknown: boolean
  /**
   * The bytes the value being read is `#start` to `#stop` of, and the position in them. Reads
   * may run past `#stop` (into the next record of a fetch) on a value that is not JSON; nothing
   * so read is ever accepted, since a record is accepted only when its closing brace is the
   * byte before `#stop`, and positions only move forward.
   */
  #bytes: Buffer = EMPTY
  #at = 0
  #start = 0
  #stop = 0
  /** 0x80 when the last string scanned has a byte of 0x80 or above, else 0 (see {@link JsonRowReader.#scan}). */
  #high = 0
  /** Whether the whole value is UTF-8: 1 or 0, or -1 until a string that is not ASCII asks. */
  #utf8 = -1
  /** Per field, what {@link JsonRowReader.readInto} wrote of the row so far. */
  readonly #state: Uint8Array
  /** Short strings read lately, by a hash of their bytes (see {@link JsonRowReader.#ascii}). */
  readonly #recent = new Array<string | undefined>(RECENT_SLOTS)
  /**
   * The layouts of records read lately, the next record first tried as a repeat of the last. In
   * one field, as are the layouts' counts, compiled readings and columns: with a 15th field,
   * every field of the reader was slower and its general reading took twice the time (measured
   * by `pnpm bench ingest-decode`).
   */
  readonly #layouts: Layouts
  /** The fields of the record being read, in key order. */
  readonly #order: number[] = []
  /** Whether every key of the record being read so far was a field read in place, each once. */
  #shapely = false

  /**
   * `ignoreUnknown`: top-level keys that are not fields are dropped (`unknownFields: 'ignore'`).
   * `compileAfter`: records read in a layout before it is compiled (tests compile at once).
   */
  constructor(schema: Schema, ignoreUnknown: boolean, compileAfter = COMPILE_AFTER) {
    this.#fields = schema.fields.map((field) => {
      const key = spellable(field.name) ? Buffer.from(field.name, 'utf8') : undefined
      const read = readOf(field.type)
      return {
        key,
        inherited: field.name in Object.prototype,
        read,
        shaped: key !== undefined && read !== COERCED,
        type: field.type,
        required: field.required,
        name: field.name,
      }
    })
    this.#ignoreUnknown = ignoreUnknown
    this.#state = new Uint8Array(this.#fields.length)
    this.#layouts = new Layouts(this.#fields, compileAfter)
  }

  /**
   * Adds the row of `value` to `builder` (of this reader's schema) and returns true, or returns
   * false, leaving the builder as it was, when the general path must decide the record. Typed
   * columns are written in place: numbers, instants and decimals without a bigint while they
   * are safe integers, strings without escapes as their bytes.
   */
  readInto(value: Buffer, builder: ColumnBuilder): boolean {
    return this.readRange(value, 0, value.length, builder)
  }

  /**
   * {@link JsonRowReader.readInto} of the value `bytes` holds from `start` to `end`: a record's
   * value read where the fetch put it, among other records' bytes.
   */
  readRange(bytes: Buffer, start: number, end: number, builder: ColumnBuilder): boolean {
    const r = builder.rowCount
    if (this.#layouts.read(bytes, start, end, builder, r)) return true
    return this.#readKeys(bytes, start, end, builder, r)
  }

  /** {@link JsonRowReader.readRange} key by key, into row `r`, when the record is not in the last layout. */
  #readKeys(bytes: Buffer, start: number, end: number, builder: ColumnBuilder, r: number): boolean {
    const fields = this.#fields
    const state = this.#state
    const order = this.#order
    state.fill(UNSEEN)
    order.length = 0
    this.#shapely = true
    try {
      this.#open(bytes, start, end)
      for (let f = this.#first(); f !== END; f = this.#next(f)) {
        const typed = builder.typedColumn(f)
        // A duplicated key: its last value replaces what the earlier one wrote.
        if (state[f] !== UNSEEN) {
          typed?.truncate(r)
          this.#shapely = false
        }
        state[f] =
          typed === undefined
            ? this.#setValue(builder, f, fields[f]!)
            : this.#write(builder, typed, r, f, fields[f]!)
        if (this.#shapely) {
          if (state[f] === WRITTEN && typed !== undefined && fields[f]!.shaped) order.push(f)
          else this.#shapely = false
        }
      }
    } catch {
      // DECLINED (not JSON the reader reads), or anything unforeseen: for the general path.
      builder.truncate(r)
      return false
    } finally {
      this.#close()
    }
    for (let c = 0; c < fields.length; c++) {
      const s = state[c]
      const field = fields[c]!
      if (s === REFUSED || (s !== WRITTEN && (field.required || (s === UNSEEN && field.inherited)))) {
        builder.truncate(r)
        return false
      }
    }
    // Only now: a null in a typed column makes it keep a validity array, even for a row dropped.
    for (let c = 0; c < fields.length; c++) if (state[c] !== WRITTEN) builder.setValue(c, null)
    builder.endRow()
    this.#layouts.follow(this.#shapely ? order : undefined)
    return true
  }

  #open(bytes: Buffer, start: number, end: number): void {
    this.#bytes = bytes
    this.#at = start
    this.#start = start
    this.#stop = end
    this.#utf8 = -1
  }

  /** Lets go of the value, which the reader outlives. */
  #close(): void {
    this.#bytes = EMPTY
  }

  /** The record's opening brace and its first key: that key's field (see {@link JsonRowReader.#entry}), or END. */
  #first(): number {
    const b = this.#bytes
    let i = space(b, this.#start)
    if (b[i] !== 123 /* { */) throw DECLINED
    i = space(b, i + 1)
    return b[i] === 125 /* } */ ? this.#end(i + 1) : this.#entry(i, 0)
  }

  /** What follows the value of field `previous`: the next key's field, or END after the closing brace. */
  #next(previous: number): number {
    const b = this.#bytes
    const i = space(b, this.#at)
    const c = b[i]
    if (c === 125) return this.#end(i + 1)
    if (c !== 44 /* , */) throw DECLINED
    // Keys usually come in field order: the field after the last one is tried first.
    return this.#entry(space(b, i + 1), previous + 1 === this.#fields.length ? 0 : previous + 1)
  }

  /**
   * The field of the key at `i` (trying field `hint` first), with `#at` at its value; keys of no
   * field, when ignored, are passed over with their values, up to the closing brace (END).
   */
  #entry(i: number, hint: number): number {
    const b = this.#bytes
    for (;;) {
      if (b[i] !== 34 /* " */) throw DECLINED
      const field = this.#key(i + 1, hint)
      i = space(b, this.#at)
      if (b[i] !== 58 /* : */) throw DECLINED
      this.#at = space(b, i + 1)
      if (field >= 0) return field
      // An unknown key passed over: the record's layout is not one to expect again.
      this.#shapely = false
      this.#any(0)
      i = space(b, this.#at)
      const c = b[i]
      if (c === 125) return this.#end(i + 1)
      if (c !== 44) throw DECLINED
      i = space(b, i + 1)
    }
  }

  /** END, when nothing but whitespace follows the record's closing brace (before `i`) up to the value's end. */
  #end(i: number): number {
    const b = this.#bytes
    const stop = this.#stop
    // Bounded: the bytes after the value may be whitespace too.
    while (i < stop) {
      const c = b[i]
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) throw DECLINED
      i++
    }
    if (i !== stop) throw DECLINED
    return END
  }

  /**
   * The field whose name is the key starting at `start` (after its quote), trying `hint` first,
   * with the position after the closing quote in `#at`; -1 for an unknown key to be ignored.
   */
  #key(start: number, hint: number): number {
    const b = this.#bytes
    const fields = this.#fields
    for (let k = 0; k < fields.length; k++) {
      const f = hint + k < fields.length ? hint + k : hint + k - fields.length
      const key = fields[f]!.key
      if (key === undefined) continue
      const length = key.length
      if (b[start + length] !== 34) continue
      let j = 0
      while (j < length && b[start + j] === key[j]) j++
      if (j === length) {
        this.#at = start + length + 1
        return f
      }
    }
    // Not a field, unless escapes spell one, or bytes that are not UTF-8 read as U+FFFD do:
    // the general path reads those.
    const end = this.#scan(start)
    if (b[end] !== 34 || !this.#ignoreUnknown || (this.#high !== 0 && !this.#isUtf8())) throw DECLINED
    if (end - start === 9 && b.toString('latin1', start, end) === '__proto__') throw DECLINED
    this.#at = end + 1
    return -1
  }

  /**
   * A top-level field's value at `#at` as its internal value (null for JSON null), or
   * {@link INVALID} when validation would refuse it: the record is declined unless a later value
   * of the same key replaces it, as `JSON.parse` keeps a duplicated key's last value.
   */
  #field(field: FieldPlan): unknown {
    const c = this.#bytes[this.#at]
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
        if (numberStart(c)) return this.#number()
        break
      case LONG:
        if (numberStart(c)) {
          const n = this.#number()
          return Number.isSafeInteger(n) ? BigInt(n) : INVALID
        }
        break
      case INT:
        if (numberStart(c)) {
          const n = this.#number()
          // The int32 range, -0 as 0.
          return (n | 0) === n ? n | 0 : INVALID
        }
        break
      case TIMESTAMPTZ: {
        const micros = c === 34 ? this.#isoInstant() : undefined
        return micros !== undefined ? BigInt(micros) : this.#coerced(field)
      }
      case DECIMAL: {
        const unscaled = c === 34 ? this.#plainDecimal(field.type as DecimalType) : undefined
        return unscaled !== undefined ? BigInt(unscaled) : this.#coerced(field)
      }
      case COERCED:
        return this.#coerced(field)
    }
    this.#any(0)
    return INVALID
  }

  /** Field `f`'s value at `#at` set by {@link ColumnBuilder.setValue}, for a column that is not typed. */
  #setValue(builder: ColumnBuilder, f: number, field: FieldPlan): FieldState {
    return this.#put(builder, f, this.#field(field))
  }

  /** Sets field `f` to a value read, unless it is null (set with the row) or {@link INVALID}. */
  #put(builder: ColumnBuilder, f: number, value: unknown): FieldState {
    if (value === INVALID) return REFUSED
    if (value === null) return NULLED
    builder.setValue(f, value)
    return WRITTEN
  }

  /**
   * Field `f`'s value at `#at` written to row `r` of its typed column: the same value
   * {@link JsonRowReader.#field} reads, without making it a JavaScript value where the column
   * takes it as it is.
   */
  #write(
    builder: ColumnBuilder,
    typed: TypedColumnBuilder,
    r: number,
    f: number,
    field: FieldPlan,
  ): FieldState {
    const c = this.#bytes[this.#at]
    if (c === 110) return this.#literal('null', NULLED)
    switch (field.read) {
      case STRING:
        if (c === 34) {
          this.#writeString(typed, r)
          return WRITTEN
        }
        break
      case BOOLEAN:
        if (c === 116 || c === 102) {
          typed.setBoolean(r, c === 116 ? this.#literal('true', true) : this.#literal('false', false))
          return WRITTEN
        }
        break
      case DOUBLE:
        if (numberStart(c)) {
          typed.setNumber(r, this.#number())
          return WRITTEN
        }
        break
      case LONG:
        if (numberStart(c)) {
          const n = this.#number()
          if (!Number.isSafeInteger(n)) return REFUSED
          typed.setInt64Number(r, n)
          return WRITTEN
        }
        break
      case INT:
        if (numberStart(c)) {
          const n = this.#number()
          if ((n | 0) !== n) return REFUSED
          typed.setNumber(r, n | 0)
          return WRITTEN
        }
        break
      case TIMESTAMPTZ: {
        const micros = c === 34 ? this.#isoInstant() : undefined
        // Not read in place: read as JSON and coerced, without trying the text again.
        if (micros === undefined) return this.#put(builder, f, this.#coerced(field))
        typed.setInt64Number(r, micros)
        return WRITTEN
      }
      case DECIMAL: {
        const unscaled = c === 34 ? this.#plainDecimal(field.type as DecimalType) : undefined
        if (unscaled === undefined) return this.#put(builder, f, this.#coerced(field))
        if (typed.kind === 'int32') typed.setNumber(r, unscaled)
        else typed.setInt64Number(r, unscaled)
        return WRITTEN
      }
      case COERCED:
        return this.#put(builder, f, this.#coerced(field))
    }
    this.#any(0)
    return REFUSED
  }

  /**
   * The string at `#at` written to row `r` of a bytes column: its bytes as they are when it has
   * no escapes and the value is UTF-8 (so that decoding and encoding again would give them back),
   * else the string `JSON.parse` would read.
   */
  #writeString(typed: TypedColumnBuilder, r: number): void {
    const b = this.#bytes
    const start = this.#at + 1
    const end = this.#scan(start)
    if (b[end] === 92 /* \ */) {
      typed.setString(r, this.#escaped(start, end))
      return
    }
    this.#at = end + 1
    if (this.#high === 0 || this.#isUtf8()) typed.setBytes(r, b, start, end)
    else typed.setString(r, b.toString('utf8', start, end))
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
   * instant whose microseconds since the epoch are a safe integer, as those microseconds (what
   * the catalog's parser makes of that text), moving past it; else undefined, leaving `#at`
   * where it was.
   */
  #isoInstant(): number | undefined {
    const micros = quotedInstant(this.#bytes, this.#at)
    if (micros !== undefined) this.#at += 26
    return micros
  }

  /**
   * The string at `#at` when it is plain decimal text (`-?digits[.digits]`, at most 15 digits, no
   * more fractional digits than the scale) whose unscaled value fits the precision, as that
   * unscaled value (what the catalog's parser makes of it), moving past it; else undefined,
   * leaving `#at` where it was.
   */
  #plainDecimal(type: DecimalType): number | undefined {
    const end = decimalTextEnd(this.#bytes, this.#at, this.#stop)
    if (end < 0) return undefined
    const unscaled = plainDecimalNumberOrUndefined(this.#bytes, type, this.#at + 1, end)
    if (unscaled !== undefined) this.#at = end + 1
    return unscaled
  }

  /** `value`, when `text` (ASCII) is at `#at`, moving past it. */
  #literal<T>(text: string, value: T): T {
    const b = this.#bytes
    const at = this.#at
    for (let k = 0; k < text.length; k++) if (b[at + k] !== text.charCodeAt(k)) throw DECLINED
    this.#at = at + text.length
    return value
  }

  /** Any JSON value at `#at`, as `JSON.parse` gives it. */
  #any(depth: number): unknown {
    const c = this.#bytes[this.#at]
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
    const b = this.#bytes
    const object: Record<string, unknown> = {}
    let i = space(b, this.#at + 1)
    if (b[i] === 125) {
      this.#at = i + 1
      return object
    }
    for (;;) {
      if (b[i] !== 34) throw DECLINED
      this.#at = i
      const key = this.#string()
      // JSON.parse makes it an own property; assignment would set the prototype.
      if (key === '__proto__') throw DECLINED
      i = space(b, this.#at)
      if (b[i] !== 58) throw DECLINED
      this.#at = space(b, i + 1)
      object[key] = this.#any(depth)
      i = space(b, this.#at)
      const c = b[i]
      if (c === 44) {
        i = space(b, i + 1)
        continue
      }
      if (c !== 125) throw DECLINED
      this.#at = i + 1
      return object
    }
  }

  #array(depth: number): unknown[] {
    if (depth > MAX_DEPTH) throw DECLINED
    const b = this.#bytes
    const array: unknown[] = []
    this.#at = space(b, this.#at + 1)
    if (b[this.#at] === 93 /* ] */) {
      this.#at++
      return array
    }
    for (;;) {
      array.push(this.#any(depth))
      const i = space(b, this.#at)
      const c = b[i]
      if (c === 44) {
        this.#at = space(b, i + 1)
        continue
      }
      if (c !== 93) throw DECLINED
      this.#at = i + 1
      return array
    }
  }

  /**
   * The position of the closing quote or the first backslash of the string whose characters
   * start at `start`, noting in `#high` whether one is 0x80 or above. Control characters are
   * not allowed in JSON strings, nor is the end of the value.
   */
  #scan(start: number): number {
    const b = this.#bytes
    let high = 0
    for (let i = start; i < this.#stop; i++) {
      const c = b[i]!
      if (c === 34 || c === 92) {
        this.#high = high & 0x80
        return i
      }
      if (c < 32) throw DECLINED
      high |= c
    }
    throw DECLINED
  }

  /** Whether the value is UTF-8, asked once per value: a string of it is then its bytes. */
  #isUtf8(): boolean {
    if (this.#utf8 < 0) this.#utf8 = isUtf8(this.#bytes.subarray(this.#start, this.#stop)) ? 1 : 0
    return this.#utf8 === 1
  }

  /** The string whose opening quote is at `#at`, as `JSON.parse` reads it. */
  #string(): string {
    const b = this.#bytes
    const start = this.#at + 1
    const end = this.#scan(start)
    if (b[end] === 92) return this.#escaped(start, end)
    this.#at = end + 1
    // Bytes that are not UTF-8 become U+FFFD as in the value's text: the quotes around them are
    // ASCII, so decoding the string alone decodes them alike.
    return this.#high === 0 ? this.#ascii(start, end) : b.toString('utf8', start, end)
  }

  /**
   * ASCII bytes `start` to `end` as a string, copied, so that it holds on to nothing else (buffered
   * values live until their commit); a short one is the same string as the last one of those
   * characters when that is still at hand (as `JSON.parse` shares short strings: a column of few
   * distinct values then holds few strings).
   */
  #ascii(start: number, end: number): string {
    const b = this.#bytes
    const length = end - start
    if (length > 10) return b.toString('latin1', start, end)
    let hash = length
    for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + b[i]!) | 0
    const slot = hash & (RECENT_SLOTS - 1)
    const recent = this.#recent[slot]
    if (recent !== undefined && recent.length === length) {
      let j = 0
      while (j < length && recent.charCodeAt(j) === b[start + j]) j++
      if (j === length) return recent
    }
    const fresh = b.toString('latin1', start, end)
    this.#recent[slot] = fresh
    return fresh
  }

  /** The string from `start` whose first backslash is at `at`. */
  #escaped(start: number, at: number): string {
    const b = this.#bytes
    let text = b.toString('utf8', start, at)
    let i = at
    for (;;) {
      const e = b[i + 1]
      if (e === 117 /* u */) {
        text += String.fromCharCode(hex(b, i + 2))
        i += 6
      } else {
        text += escapedCharacter(e)
        i += 2
      }
      const end = this.#scan(i)
      text += b.toString('utf8', i, end)
      if (b[end] === 34) {
        this.#at = end + 1
        return text
      }
      i = end
    }
  }

  /** The number at `#at` ({@link scanNumber}), moving past it. */
  #number(): number {
    const end = scanNumber(this.#bytes, this.#at)
    if (end < 0) throw DECLINED
    this.#at = end
    return scannedNumber()
  }
}

/** The next position from `i` that is not JSON whitespace (space, tab, line feed, return). */
function space(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i]
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i
    i++
  }
}

/** Whether a JSON number starts with this byte. */
function numberStart(c: number | undefined): boolean {
  return c === 45 || (c !== undefined && c >= 48 && c <= 57)
}

/** The value of the four hex digits at `i`. */
function hex(b: Uint8Array, i: number): number {
  let value = 0
  for (let k = i; k < i + 4; k++) {
    const c = b[k] ?? 0
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
    if (d < 0) throw DECLINED
    value = value * 16 + d
  }
  return value
}

/** The character of a one-letter escape (`\n`), by the letter's code. */
function escapedCharacter(code: number | undefined): string {
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
 * and control characters, UTF-8 has no bytes for an unpaired surrogate, and `__proto__` is left
 * to the general path (assigned, it is not data).
 */
function spellable(name: string): boolean {
  if (name === '__proto__' || Buffer.from(name, 'utf8').toString('utf8') !== name) return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c === 34 || c === 92 || c < 32) return false
  }
  return true
}
