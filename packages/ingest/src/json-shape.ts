/**
 * The JSON row reader's fast path: records laid out as the one before — the same keys in the
 * same order, without whitespace, as `JSON.stringify` writes them — read by comparing each key's
 * bytes in place and reading each value by its field's type straight into typed columns.
 *
 * A layout is first read by {@link readShaped}, which walks the layout's keys. One that keeps
 * coming back is compiled ({@link compileShape}) into a function of its own, with the keys'
 * bytes as constants and a statement per key, which reads an event in about four fifths of the
 * walk's time (decision 0008); where code cannot be generated
 * (`--disallow-code-generation-from-strings`) the walk stays. Both read exactly the same records into exactly the same values: anything
 * else is declined, and the reader then reads the record the general way.
 *
 * @module
 */
import {
  type ColumnBuilder,
  type DecimalType,
  type IcebergType,
  isoUtcMicrosNumberOrUndefined,
  plainDecimalNumberOrUndefined,
  type TypedColumnBuilder,
} from '@lake/catalog'
import { scanInteger, scanNumber, scannedNumber } from './json-number.js'

/** How a field's value is read: the common flat types inline, the rest through `coerceValue`. */
export const STRING = 0
export const BOOLEAN = 1
export const DOUBLE = 2
export const LONG = 3
export const INT = 4
/** Any JSON value, as `JSON.parse` would give it, coerced by the catalog's own rules. */
export const COERCED = 5
/** `Date#toISOString` text read in place, else as {@link COERCED}. */
export const TIMESTAMPTZ = 6
/** Plain decimal text read in place, else as {@link COERCED}. */
export const DECIMAL = 7
export type Read =
  | typeof STRING
  | typeof BOOLEAN
  | typeof DOUBLE
  | typeof LONG
  | typeof INT
  | typeof COERCED
  | typeof TIMESTAMPTZ
  | typeof DECIMAL

/** How a field of the schema is read. */
export interface FieldPlan {
  /** The field's name as UTF-8, or undefined when no JSON key without escapes can spell it. */
  readonly key: Uint8Array | undefined
  /**
   * Whether the name is a property of every object (`toString`): validation reads a missing
   * field by name, finds the inherited value and refuses it, so a record without it is declined.
   */
  readonly inherited: boolean
  readonly read: Read
  /** Whether a layout may hold it: a key without escapes, and a value read in place. */
  readonly shaped: boolean
  readonly type: IcebergType
  readonly required: boolean
  readonly name: string
}

/** How a value of a field of type `type` is read. */
export function readOf(type: IcebergType): Read {
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

/**
 * A compiled layout's reading: {@link readShaped} of its shape, `view` being a view of `b`'s
 * ArrayBuffer, which `b` starts `base` bytes into.
 */
type ShapeRead = (
  b: Buffer,
  view: DataView<ArrayBufferLike>,
  base: number,
  start: number,
  end: number,
  columns: readonly TypedColumnBuilder[],
  r: number,
) => boolean

/** A record's layout (see {@link shapeOf}). */
interface Shape {
  /** Fields in key order. */
  readonly fields: readonly number[]
  /** Per key, its bytes with the brace or comma before it and the colon after it. */
  readonly keys: readonly Uint8Array[]
  /**
   * Per key, its bytes as little-endian 32-bit words: at 0, 4, 8 and so on, the last one ending
   * with the key (overlapping the one before when the length is not a multiple of 4). Keys are
   * at least 4 bytes (`{"":`).
   */
  readonly words: readonly Int32Array[]
  /** Fields without a key: null in each row read so. */
  readonly missing: readonly number[]
  /** Per key, its field's plan. */
  readonly plans: readonly FieldPlan[]
  /** Per key, how its value is read (`plans[k].read`), in a typed array. */
  readonly reads: Uint8Array
  /** Records read in this layout so far, up to the point of compiling it. */
  hits: number
  /** The layout's compiled reading; null when code cannot be generated here. */
  compiled: ShapeRead | null | undefined
}

/** Layouts a reader keeps, to find one again when records alternate between a few. */
const SHAPES_KEPT = 32

/**
 * The layouts of the records a reader has read lately: the last one, which the next record is
 * first tried as a repeat of ({@link Layouts.read}), and up to 32 others, each with its count of
 * records read and, past `compileAfter` of them, its compiled reading.
 */
export class Layouts {
  readonly #fields: readonly FieldPlan[]
  readonly #compileAfter: number
  /** The layout of the last record read key by key, when the next one may repeat it. */
  #last: Shape | undefined
  /** Layouts seen lately, by their fields in key order. */
  readonly #kept = new Map<string, Shape>()
  /** The typed columns of a layout's keys in a builder, as last looked up. */
  #columnsOf: { shape: Shape; builder: ColumnBuilder; columns: readonly TypedColumnBuilder[] } | undefined

  /** Layouts of records of fields `fields`, compiled after `compileAfter` records. */
  constructor(fields: readonly FieldPlan[], compileAfter: number) {
    this.#fields = fields
    this.#compileAfter = compileAfter
  }

  /**
   * Reads the record `b[start, end)` into row `r` of `builder` when it is laid out as the last
   * one: by the layout's compiled reading once it has read enough records, else by
   * {@link readShaped}. Anything else undoes the row and leaves the record to be read key by key,
   * which decides it exactly. Whether it read it.
   */
  read(b: Buffer, start: number, end: number, builder: ColumnBuilder, r: number): boolean {
    const shape = this.#last
    if (shape === undefined) return false
    const columns = this.#columns(shape, builder)
    if (columns === undefined) return false
    let compiled = shape.compiled
    if (compiled === undefined && shape.hits >= this.#compileAfter)
      compiled = shape.compiled = compileShape(shape) ?? null
    const view = viewOf(b)
    const base = b.byteOffset
    let read: boolean
    try {
      read = compiled
        ? compiled(b, view, base, start, end, columns, r)
        : readShaped(shape, b, view, base, start, end, columns, r)
    } catch {
      // A key compared past the end of the value's ArrayBuffer.
      read = false
    }
    if (!read) {
      builder.truncate(r)
      return false
    }
    for (const c of shape.missing) builder.setValue(c, null)
    builder.endRow()
    shape.hits++
    return true
  }

  /**
   * After a record read key by key: `order`, its fields in key order when it was accepted and
   * every key was a field read in place, each once, makes its layout the last; undefined, none.
   */
  follow(order: readonly number[] | undefined): void {
    const last = this.#last
    if (order === undefined) this.#last = undefined
    // The same layout again (the record differed in another way, such as whitespace): kept as is.
    else if (
      last === undefined ||
      last.fields.length !== order.length ||
      !last.fields.every((f, k) => f === order[k])
    ) {
      // A layout seen lately, or a new one (the oldest kept let go when too many are).
      const id = order.join()
      let shape = this.#kept.get(id)
      if (shape === undefined) {
        shape = shapeOf(this.#fields, order)
        if (this.#kept.size === SHAPES_KEPT) this.#kept.delete(this.#kept.keys().next().value!)
        this.#kept.set(id, shape)
      }
      this.#last = shape
    }
  }

  /** The typed column of each of the layout's keys in `builder`, or undefined if one is not typed. */
  #columns(shape: Shape, builder: ColumnBuilder): readonly TypedColumnBuilder[] | undefined {
    const last = this.#columnsOf
    if (last !== undefined && last.shape === shape && last.builder === builder) return last.columns
    const columns: TypedColumnBuilder[] = []
    for (const f of shape.fields) {
      const typed = builder.typedColumn(f)
      if (typed === undefined) return undefined
      columns.push(typed)
    }
    this.#columnsOf = { shape, builder, columns }
    return columns
  }
}

/**
 * The layout of a record whose keys were, in order, those of the fields `order` (of `fields`),
 * each read in place: the next record is first tried as a repeat of it.
 */
function shapeOf(fields: readonly FieldPlan[], order: readonly number[]): Shape {
  const keys: Uint8Array[] = []
  for (let k = 0; k < order.length; k++) {
    const name = fields[order[k]!]!.key!
    // `{"name":` before the first value, `,"name":` before the others.
    const key = new Uint8Array(name.length + 4)
    key[0] = k === 0 ? 123 : 44
    key[1] = 34
    key.set(name, 2)
    key[name.length + 2] = 34
    key[name.length + 3] = 58
    keys.push(key)
  }
  const missing: number[] = []
  for (let c = 0; c < fields.length; c++) if (!order.includes(c)) missing.push(c)
  const words = keys.map((key) => {
    const view = new DataView(key.buffer, key.byteOffset, key.byteLength)
    return Int32Array.from(wordOffsets(key.length), (at) => view.getInt32(at, true))
  })
  const plans = order.map((f) => fields[f]!)
  return {
    fields: [...order],
    keys,
    words,
    missing,
    plans,
    reads: Uint8Array.from(plans, (plan) => plan.read),
    hits: 0,
    compiled: undefined,
  }
}

/** Where a key of `length` bytes (4 or more) is compared a word at a time (see {@link Shape.words}). */
function wordOffsets(length: number): number[] {
  const offsets: number[] = []
  for (let at = 0; at < length - 4; at += 4) offsets.push(at)
  offsets.push(length - 4)
  return offsets
}

/**
 * Reads the record `b[start, end)` into row `r` of `columns` (the typed column of each of the
 * shape's keys) when it is laid out as `shape`, comparing each key's bytes in place and reading
 * each value by its field's type, without looking the key up or keeping a state per field:
 * strings of ASCII without escapes, literals, numbers, and instants and decimal text the
 * catalog's parsers take, as the reader reads them the general way. Anything else — another
 * key, whitespace, a null, an escape, a byte of 0x80 or above — returns false, leaving the
 * columns to be truncated. Keys are compared a word at a time over the value's whole
 * ArrayBuffer: a word read past the value's end is another record's bytes, which never make a
 * record accepted, as the closing brace must end the value; one past the ArrayBuffer's end throws.
 */
function readShaped(
  shape: Shape,
  b: Buffer,
  view: DataView<ArrayBufferLike>,
  base: number,
  start: number,
  end: number,
  columns: readonly TypedColumnBuilder[],
  r: number,
): boolean {
  const keys = shape.keys
  const words = shape.words
  const reads = shape.reads
  let at = start
  for (let k = 0; k < keys.length; k++) {
    const length = keys[k]!.length
    const keyWords = words[k]!
    const last = keyWords.length - 1
    let differ = view.getInt32(base + at + length - 4, true) ^ keyWords[last]!
    for (let w = 0; w < last; w++) differ |= view.getInt32(base + at + 4 * w, true) ^ keyWords[w]!
    if (differ !== 0) return false
    at += length
    const typed = columns[k]!
    const c = b[at]
    switch (reads[k]) {
      case STRING:
        if (c !== 34) return false
        at = copyPlainString(b, view, base, at + 1, end, typed, r)
        break
      case BOOLEAN:
        at = readBoolean(b, at, typed, r)
        break
      case DOUBLE:
        at = scanNumber(b, at)
        if (at >= 0) typed.setNumber(r, scannedNumber())
        break
      case INT:
        at = readInt(b, at, typed, r)
        break
      case LONG:
        at = readLong(b, at, typed, r)
        break
      case TIMESTAMPTZ:
        at = readInstant(b, at, typed, r)
        break
      case DECIMAL:
        at = readDecimal(b, at, end, shape.plans[k]!.type as DecimalType, typed, r)
        break
      default:
        return false
    }
    if (at < 0) return false
  }
  // `{}` for a layout of no keys; else the closing brace after the last value ends the record.
  return keys.length === 0
    ? end - start === 2 && b[start] === 123 && b[start + 1] === 125
    : at + 1 === end && b[at] === 125
}

/**
 * {@link readShaped} of `shape` compiled into a function of its own: the keys' words are
 * constants of its code and each key a statement of it, so that nothing is looked up per key.
 * The code is made only of numbers and the fixed statements below, never of a field's name or
 * a record's bytes. Undefined where code cannot be generated from strings.
 */
function compileShape(shape: Shape): ShapeRead | undefined {
  const statements: string[] = []
  for (let k = 0; k < shape.keys.length; k++) {
    const key = shape.keys[k]!
    const words = shape.words[k]!
    const offsets = wordOffsets(key.length)
    const compared = offsets.map((offset, w) => `(view.getInt32(base + at + ${offset}, true) ^ ${words[w]!})`)
    statements.push(`if ((${compared.join(' | ')}) !== 0) return false;`, `at += ${key.length};`)
    const column = `columns[${k}]`
    switch (shape.reads[k]) {
      case STRING:
        statements.push(
          `if (b[at] !== 34) return false;`,
          `at = copyPlainString(b, view, base, at + 1, end, ${column}, r);`,
        )
        break
      case BOOLEAN:
        statements.push(`at = readBoolean(b, at, ${column}, r);`)
        break
      case DOUBLE:
        statements.push(`at = scanNumber(b, at);`, `if (at >= 0) ${column}.setNumber(r, scannedNumber());`)
        break
      case INT:
        statements.push(`at = readInt(b, at, ${column}, r);`)
        break
      case LONG:
        statements.push(`at = readLong(b, at, ${column}, r);`)
        break
      case TIMESTAMPTZ:
        statements.push(`at = readInstant(b, at, ${column}, r);`)
        break
      case DECIMAL:
        statements.push(`at = readDecimal(b, at, end, types[${k}], ${column}, r);`)
        break
      default:
        return undefined
    }
    statements.push('if (at < 0) return false;')
  }
  statements.push(
    shape.keys.length === 0
      ? 'return end - start === 2 && b[start] === 123 && b[start + 1] === 125;'
      : 'return at + 1 === end && b[at] === 125;',
  )
  const helpers = {
    copyPlainString,
    readBoolean,
    scanNumber,
    scannedNumber,
    readInt,
    readLong,
    readInstant,
    readDecimal,
    types: shape.plans.map((plan) => plan.type),
  }
  const source = [
    `'use strict';`,
    `const { ${Object.keys(helpers).join(', ')} } = helpers;`,
    'return function readShape(b, view, base, start, end, columns, r) {',
    'let at = start;',
    ...statements,
    '};',
  ].join('\n')
  try {
    return new Function('helpers', source)(helpers) as ShapeRead
  } catch {
    // EvalError: code generation from strings is disallowed here.
    return undefined
  }
}

/** `true` or `false` at `at` into row `r`; the position after it, or -1. */
function readBoolean(b: Buffer, at: number, typed: TypedColumnBuilder, r: number): number {
  if (b[at] === 116 && b[at + 1] === 114 && b[at + 2] === 117 && b[at + 3] === 101) {
    typed.setBoolean(r, true)
    return at + 4
  }
  if (b[at] === 102 && b[at + 1] === 97 && b[at + 2] === 108 && b[at + 3] === 115 && b[at + 4] === 101) {
    typed.setBoolean(r, false)
    return at + 5
  }
  return -1
}

/** A number at `at` that is an int (-0 as 0) into row `r`; the position after it, or -1. */
function readInt(b: Buffer, at: number, typed: TypedColumnBuilder, r: number): number {
  const end = scanInteger(b, at)
  const n = scannedNumber()
  if (end < 0 || (n | 0) !== n) return -1
  typed.setNumber(r, n | 0)
  return end
}

/** A number at `at` that is a safe integer into row `r` of an int64 column; the position after it, or -1. */
function readLong(b: Buffer, at: number, typed: TypedColumnBuilder, r: number): number {
  const end = scanInteger(b, at)
  const n = scannedNumber()
  if (end < 0 || !Number.isSafeInteger(n)) return -1
  typed.setInt64Number(r, n)
  return end
}

/**
 * `Date#toISOString`'s 24 characters in quotes at `at`, of an instant whose microseconds are a
 * safe integer, into row `r` as those microseconds; the position after it, or -1.
 */
function readInstant(b: Buffer, at: number, typed: TypedColumnBuilder, r: number): number {
  const micros = quotedInstant(b, at)
  if (micros === undefined) return -1
  typed.setInt64Number(r, micros)
  return at + 26
}

/**
 * The microseconds of `Date#toISOString`'s 24 characters in quotes at `at` (the text ending at
 * `at + 26`) when they are a safe integer, as the catalog's parser reads them; else undefined.
 */
export function quotedInstant(b: Buffer, at: number): number | undefined {
  if (b[at] !== 34 || b[at + 25] !== 34) return undefined
  return isoUtcMicrosNumberOrUndefined(b, at + 1, at + 25)
}

/**
 * Plain decimal text in quotes at `at` (`-?digits[.digits]`, at most 15 digits, no more
 * fractional digits than the scale) whose unscaled value fits the precision, into row `r` as
 * that unscaled value; the position after it, or -1.
 */
function readDecimal(
  b: Buffer,
  at: number,
  stop: number,
  type: DecimalType,
  typed: TypedColumnBuilder,
  r: number,
): number {
  const to = decimalTextEnd(b, at, stop)
  if (to < 0) return -1
  const from = at + 1
  const unscaled = plainDecimalNumberOrUndefined(b, type, from, to)
  if (unscaled === undefined) return -1
  if (typed.kind === 'int32') typed.setNumber(r, unscaled)
  else typed.setInt64Number(r, unscaled)
  return to + 1
}

/**
 * Copies the string whose characters start at `i` into row `r` of the bytes column `typed`
 * when they are ASCII without escapes or control characters, ending before `stop`, and returns
 * the position after its closing quote; else -1, the row unfinished. Four bytes at a time while
 * none of them is a quote, a backslash, below 0x20 or 0x80 and above (`view` being a view of
 * `b`'s ArrayBuffer, which `b` starts `base` bytes into), then a byte at a time.
 */
function copyPlainString(
  b: Buffer,
  view: DataView<ArrayBufferLike>,
  base: number,
  i: number,
  stop: number,
  typed: TypedColumnBuilder,
  r: number,
): number {
  let to = typed.reserveBytes(r, stop - i)
  const data = typed.data
  const out = typed.dataView
  while (i + 4 <= stop) {
    const x = view.getInt32(base + i, true)
    const quote = x ^ 0x22222222
    const backslash = x ^ 0x5c5c5c5c
    // A byte of the word is 0 in `quote` or `backslash` (a quote or backslash), below 0x20,
    // or has its high bit: the word is left to the loop below.
    if (
      (((quote - 0x01010101) & ~quote) |
        ((backslash - 0x01010101) & ~backslash) |
        ((x - 0x20202020) & ~x) |
        x) &
      0x80808080
    )
      break
    out.setInt32(to, x, true)
    i += 4
    to += 4
  }
  for (;;) {
    if (i >= stop) return -1
    const d = b[i]!
    if (d === 34) break
    if (d === 92 || d < 32 || d >= 128) return -1
    data[to++] = d
    i++
  }
  typed.endBytes(r, to)
  return i + 1
}

/**
 * The view of the ArrayBuffer of the values read lately (a fetch's, or Node's pool's), made once
 * per ArrayBuffer and kept, with the last buffer asked for, until values of another are read. A
 * module's rather than a reader's: one more field on the reader slowed its every field, measured.
 */
let lastView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0))
/** The buffer {@link lastView} was last asked for: a fetch's values are all ranges of one. */
let lastBytes: Buffer = Buffer.alloc(0)

/** A view of all of `b`'s ArrayBuffer (see {@link lastView}). */
function viewOf(b: Buffer): DataView<ArrayBufferLike> {
  if (b !== lastBytes) {
    lastBytes = b
    if (lastView.buffer !== b.buffer) lastView = new DataView(b.buffer)
  }
  return lastView
}

/**
 * The closing quote of text in quotes at `at`, before `stop`, short enough to be plain decimal
 * text (at most 18 characters), or -1. A backslash or a byte past the digits is no digit: the
 * text is then left to the general parser.
 */
export function decimalTextEnd(b: Buffer, at: number, stop: number): number {
  if (b[at] !== 34) return -1
  const from = at + 1
  let to = from
  while (b[to] !== 34) {
    if (to >= stop || to - from > 17) return -1
    to++
  }
  return to
}
