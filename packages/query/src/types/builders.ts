/**
 * Column builders: Trino's values of one column appended straight into Arrow buffers (typed
 * arrays, validity bitmaps, offsets), then handed to `makeData` once per batch. No per-value
 * Arrow objects and no per-value `Vector` calls. Besides `append` (a JSON value), the builders of
 * the common scalar types take values the page decoder reads from the response bytes without
 * making a JS value first (`appendNumber`, `appendInt64`, `appendUtf8`).
 */
import {
  type Binary,
  type Data,
  type DataType,
  type Field,
  type FixedSizeBinary,
  type List,
  type Map_,
  makeData,
  type Null,
  type Struct,
  type Utf8,
} from 'apache-arrow'

/** Appends JSON values of one column and yields them as Arrow data. */
export interface ColumnBuilder {
  readonly type: DataType
  /** Number of values appended since the last `finish`. */
  readonly length: number
  /** Appends one JSON value (`null` for SQL NULL). */
  append(value: unknown): void
  /** The appended values as Arrow data; the builder starts over empty. */
  finish(): Data
}

/** A validity bitmap that exists only once a null has been appended. */
class Validity {
  private bits: Uint8Array | null = null
  nullCount = 0

  setNull(index: number): void {
    if (this.bits === null) this.bits = new Uint8Array(Math.max(64, (index >> 3) + 1) * 2).fill(0xff)
    else if (index >> 3 >= this.bits.length) this.grow(index)
    this.bits[index >> 3]! &= ~(1 << (index & 7))
    this.nullCount += 1
  }

  /** Called for each valid value past the end of the bitmap, so that it reads as valid. */
  ensure(index: number): void {
    if (this.bits !== null && index >> 3 >= this.bits.length) this.grow(index)
  }

  private grow(index: number): void {
    const next = new Uint8Array(Math.max(this.bits!.length * 2, (index >> 3) + 1)).fill(0xff)
    next.set(this.bits!)
    this.bits = next
  }

  take(length: number): Uint8Array | undefined {
    const bits = this.bits
    this.bits = null
    this.nullCount = 0
    return bits === null ? undefined : bits.slice(0, (length + 7) >> 3)
  }
}

type NumericArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | Uint8Array
type NumericArrayConstructor = new (length: number) => NumericArray

/** Fixed-width values stored as JS numbers: ints up to 32 bits, floats, days, months, Time32. */
export class NumberBuilder implements ColumnBuilder {
  length = 0
  private values: NumericArray
  private readonly validity = new Validity()

  constructor(
    readonly type: DataType,
    private readonly ArrayType: NumericArrayConstructor,
    private readonly convert: (value: unknown) => number,
  ) {
    this.values = new this.ArrayType(1024)
  }

  append(value: unknown): void {
    const i = this.length
    if (i === this.values.length) this.grow()
    if (value === null || value === undefined) this.validity.setNull(i)
    else {
      this.validity.ensure(i)
      this.values[i] = this.convert(value)
    }
    this.length = i + 1
  }

  /** Appends a value that needs no conversion (an integer or float read from the page bytes). */
  appendNumber(value: number): void {
    const i = this.length
    if (i === this.values.length) this.grow()
    this.validity.ensure(i)
    this.values[i] = value
    this.length = i + 1
  }

  private grow(): void {
    const next = new this.ArrayType(this.values.length * 2)
    next.set(this.values as never)
    this.values = next
  }

  finish(): Data {
    const { length, type } = this
    const nullCount = this.validity.nullCount
    const nullBitmap = this.validity.take(length)
    const data = this.values.slice(0, length)
    this.length = 0
    return makeData({ type, length, nullCount, nullBitmap, data } as never)
  }
}

/**
 * 64-bit values: bigint, timestamps, Time64, durations. A converter returns a safe-integer
 * `number` when it can, written as two 32-bit words without allocating a `bigint`.
 */
export class BigIntBuilder implements ColumnBuilder {
  length = 0
  private values = new BigInt64Array(1024)
  private words = new Int32Array(this.values.buffer)
  private readonly validity = new Validity()

  constructor(
    readonly type: DataType,
    private readonly convert: (value: unknown) => bigint | number,
  ) {}

  append(value: unknown): void {
    if (value === null || value === undefined) {
      this.reserve()
      this.validity.setNull(this.length)
      this.length += 1
    } else this.appendInt64(this.convert(value))
  }

  /** Appends a 64-bit value: a safe-integer `number` (no `bigint` allocated) or a `bigint`. */
  appendInt64(v: bigint | number): void {
    this.reserve()
    const i = this.length
    this.validity.ensure(i)
    if (typeof v === 'number') {
      // ToInt32 keeps the low 32 bits exactly for any safe integer; the high word is the rest.
      this.words[2 * i] = v | 0
      this.words[2 * i + 1] = Math.floor(v / 4_294_967_296)
    } else this.values[i] = v
    this.length = i + 1
  }

  private reserve(): void {
    const i = this.length
    if (i === this.values.length) {
      const next = new BigInt64Array(i * 2)
      next.set(this.values)
      this.values = next
      this.words = new Int32Array(next.buffer)
    }
  }

  finish(): Data {
    const { length, type } = this
    const nullCount = this.validity.nullCount
    const nullBitmap = this.validity.take(length)
    const data = this.values.slice(0, length)
    this.length = 0
    return makeData({ type, length, nullCount, nullBitmap, data } as never)
  }
}

/** Fixed-size byte groups: decimal128 (16 bytes as four 32-bit words), uuid. */
export class FixedBytesBuilder implements ColumnBuilder {
  length = 0
  private values: Uint32Array | Uint8Array
  private readonly validity = new Validity()

  constructor(
    readonly type: DataType,
    private readonly width: number,
    private readonly words: boolean,
    private readonly write: (value: unknown, out: Uint32Array | Uint8Array, at: number) => void,
  ) {
    this.values = words ? new Uint32Array(1024 * width) : new Uint8Array(1024 * width)
  }

  append(value: unknown): void {
    const i = this.length
    if ((i + 1) * this.width > this.values.length) this.grow()
    if (value === null || value === undefined) this.validity.setNull(i)
    else {
      this.validity.ensure(i)
      this.write(value, this.values, i * this.width)
    }
    this.length = i + 1
  }

  private grow(): void {
    const next = this.words ? new Uint32Array(this.values.length * 2) : new Uint8Array(this.values.length * 2)
    next.set(this.values)
    this.values = next
  }

  /** Appends a decimal128 whose unscaled value is a safe integer (the builder's words are 32-bit). */
  appendUnscaled(value: number): void {
    const i = this.length
    if ((i + 1) * this.width > this.values.length) this.grow()
    this.validity.ensure(i)
    writeWords(value, this.values as Uint32Array, i * this.width)
    this.length = i + 1
  }

  finish(): Data {
    const { length, type } = this
    const nullCount = this.validity.nullCount
    const nullBitmap = this.validity.take(length)
    const data = this.values.slice(0, length * this.width)
    this.length = 0
    return makeData({ type: type as FixedSizeBinary, length, nullCount, nullBitmap, data } as never)
  }
}

/** Booleans, bit-packed. */
export class BoolBuilder implements ColumnBuilder {
  length = 0
  private values = new Uint8Array(128)
  private readonly validity = new Validity()

  constructor(readonly type: DataType) {}

  append(value: unknown): void {
    if (value !== null && value !== undefined) {
      this.appendBoolean(value === true || value === 'true')
      return
    }
    const i = this.length
    this.room(i)
    this.validity.setNull(i)
    this.length = i + 1
  }

  /** Appends a valid boolean (read from the page bytes). */
  appendBoolean(value: boolean): void {
    const i = this.length
    this.room(i)
    this.validity.ensure(i)
    if (value) this.values[i >> 3]! |= 1 << (i & 7)
    this.length = i + 1
  }

  /** Grows the bit array, doubling it, until it has the byte of bit `i`. */
  private room(i: number): void {
    if (i >> 3 < this.values.length) return
    const next = new Uint8Array(this.values.length * 2)
    next.set(this.values)
    this.values = next
  }

  finish(): Data {
    const { length, type } = this
    const nullCount = this.validity.nullCount
    const nullBitmap = this.validity.take(length)
    const data = this.values.slice(0, (length + 7) >> 3)
    this.values.fill(0)
    this.length = 0
    return makeData({ type, length, nullCount, nullBitmap, data } as never)
  }
}

/**
 * UTF-8 text, written into one growing byte buffer with offsets. The page decoder copies a
 * string's UTF-8 bytes from the response as they are when the string has no escapes; other
 * strings are encoded here (ASCII by a plain loop, the rest by `Buffer.write`).
 */
export class Utf8Builder implements ColumnBuilder {
  length = 0
  private offsets = new Int32Array(1025)
  private bytes = Buffer.allocUnsafe(16 * 1024)
  private readonly validity = new Validity()

  constructor(
    readonly type: DataType,
    private readonly toText: (value: unknown) => string = String,
  ) {}

  append(value: unknown): void {
    if (value === null || value === undefined) {
      const i = this.reserve()
      this.validity.setNull(i)
      this.offsets[i + 1] = this.offsets[i]!
      this.length = i + 1
    } else this.appendString(typeof value === 'string' ? value : this.toText(value))
  }

  /** Appends text given as UTF-8 bytes `source[start..end)`. */
  appendUtf8(source: Uint8Array, start: number, end: number): void {
    const i = this.reserve()
    this.validity.ensure(i)
    const at = this.offsets[i]!
    const n = end - start
    if (at + n > this.bytes.length) this.growBytes(at + n)
    const bytes = this.bytes
    if (n < 16) for (let k = 0; k < n; k++) bytes[at + k] = source[start + k]!
    else bytes.set(source.subarray(start, end), at)
    this.offsets[i + 1] = at + n
    this.length = i + 1
  }

  private appendString(text: string): void {
    const i = this.reserve()
    this.validity.ensure(i)
    const at = this.offsets[i]!
    const n = text.length
    // At most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
    if (at + 3 * n > this.bytes.length) this.growBytes(at + 3 * n)
    const bytes = this.bytes
    let k = 0
    for (; k < n; k++) {
      const c = text.charCodeAt(k)
      if (c >= 0x80) break
      bytes[at + k] = c
    }
    this.offsets[i + 1] = k === n ? at + n : at + bytes.write(text, at, 'utf8')
    this.length = i + 1
  }

  /** Makes room for value `length`; returns its index. */
  private reserve(): number {
    const i = this.length
    if (i + 1 === this.offsets.length) {
      const next = new Int32Array(this.offsets.length * 2)
      next.set(this.offsets)
      this.offsets = next
    }
    return i
  }

  private growBytes(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2))
    this.bytes.copy(next, 0, 0, this.offsets[this.length]!)
    this.bytes = next
  }

  finish(): Data {
    const { length } = this
    const nullCount = this.validity.nullCount
    const nullBitmap = this.validity.take(length)
    const valueOffsets = this.offsets.slice(0, length + 1)
    const end = valueOffsets[length]!
    const data = new Uint8Array(end)
    data.set(this.bytes.subarray(0, end))
    this.offsets[0] = 0
    this.length = 0
    return makeData({ type: this.type as Utf8, length, nullCount, nullBitmap, valueOffsets, data })
  }
}

/** Bytes, given by Trino as base64. */
export class BinaryBuilder implements ColumnBuilder {
  length = 0
  private offsets = new Int32Array(1025)
  private bytes = Buffer.allocUnsafe(16 * 1024)
  private readonly validity = new Validity()

  constructor(readonly type: DataType) {}

  append(value: unknown): void {
    const i = this.length
    if (i + 1 === this.offsets.length) {
      const next = new Int32Array(this.offsets.length * 2)
      next.set(this.offsets)
      this.offsets = next
    }
    let end = this.offsets[i]!
    if (value === null || value === undefined) this.validity.setNull(i)
    else {
      this.validity.ensure(i)
      const text = value as string
      // base64 decodes to fewer bytes than it has characters.
      if (end + text.length > this.bytes.length) this.growBytes(end + text.length)
      end += this.bytes.write(text, end, 'base64')
    }
    this.offsets[i + 1] = end
    this.length = i + 1
  }

  private growBytes(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2))
    this.bytes.copy(next, 0, 0, this.offsets[this.length]!)
    this.bytes = next
  }

  finish(): Data {
    const { length, type } = this
    const nullCount = this.validity.nullCount
    const nullBitmap = this.validity.take(length)
    const valueOffsets = this.offsets.slice(0, length + 1)
    const end = valueOffsets[length]!
    const data = new Uint8Array(end)
    data.set(this.bytes.subarray(0, end))
    this.offsets[0] = 0
    this.length = 0
    return makeData({ type: type as Binary, length, nullCount, nullBitmap, valueOffsets, data } as never)
  }
}

/** `unknown`, the type of a bare NULL: every value is null. */
export class NullBuilder implements ColumnBuilder {
  length = 0
  constructor(readonly type: DataType) {}
  append(_value?: unknown): void {
    this.length += 1
  }
  finish(): Data {
    const length = this.length
    this.length = 0
    return makeData({ type: this.type as Null, length })
  }
}

/** Arrays: offsets into one child builder. */
export class ListBuilder implements ColumnBuilder {
  length = 0
  private offsets = new Int32Array(1025)
  private readonly validity = new Validity()

  constructor(
    readonly type: DataType,
    private readonly child: ColumnBuilder,
  ) {}

  append(value: unknown): void {
    const i = this.length
    this.reserve(i)
    if (value === null || value === undefined) this.validity.setNull(i)
    else {
      this.validity.ensure(i)
      for (const element of value as unknown[]) this.child.append(element)
    }
    this.offsets[i + 1] = this.child.length
    this.length = i + 1
  }

  protected reserve(i: number): void {
    if (i + 1 === this.offsets.length) {
      const next = new Int32Array(this.offsets.length * 2)
      next.set(this.offsets)
      this.offsets = next
    }
  }

  finish(): Data {
    const { length } = this
    const nullCount = this.validity.nullCount
    const nullBitmap = this.validity.take(length)
    const valueOffsets = this.offsets.slice(0, length + 1)
    this.length = 0
    return makeData({
      type: this.type as List,
      length,
      nullCount,
      nullBitmap,
      valueOffsets,
      child: this.child.finish(),
    })
  }
}

/** Maps: Trino sends a JSON object; its keys are text and are converted by `keyOf`. */
export class MapBuilder implements ColumnBuilder {
  length = 0
  private offsets = new Int32Array(1025)
  private readonly validity = new Validity()

  constructor(
    readonly type: DataType,
    private readonly keys: ColumnBuilder,
    private readonly values: ColumnBuilder,
    private readonly keyOf: (key: string) => unknown,
  ) {}

  append(value: unknown): void {
    const i = this.length
    if (i + 1 === this.offsets.length) {
      const next = new Int32Array(this.offsets.length * 2)
      next.set(this.offsets)
      this.offsets = next
    }
    if (value === null || value === undefined) this.validity.setNull(i)
    else {
      this.validity.ensure(i)
      const entries = value as Record<string, unknown>
      for (const key of Object.keys(entries)) {
        this.keys.append(this.keyOf(key))
        this.values.append(entries[key])
      }
    }
    this.offsets[i + 1] = this.keys.length
    this.length = i + 1
  }

  finish(): Data {
    const { length } = this
    const nullCount = this.validity.nullCount
    const nullBitmap = this.validity.take(length)
    const valueOffsets = this.offsets.slice(0, length + 1)
    const entryType = (this.type as Map_).children[0]!.type as Struct
    const entries = this.keys.length
    const child = makeData({
      type: entryType,
      length: entries,
      nullCount: 0,
      children: [this.keys.finish(), this.values.finish()],
    })
    this.length = 0
    return makeData({ type: this.type as Map_, length, nullCount, nullBitmap, valueOffsets, child })
  }
}

/** Rows: Trino sends the fields positionally, as a JSON array (by name, as an object, in old servers). */
export class StructBuilder implements ColumnBuilder {
  length = 0
  private readonly validity = new Validity()

  constructor(
    readonly type: DataType,
    private readonly fields: readonly ColumnBuilder[],
    private readonly names: readonly string[],
  ) {}

  /** Counts one valid struct whose fields the caller has appended to the field builders itself. */
  appendValidFields(): void {
    this.validity.ensure(this.length)
    this.length += 1
  }

  append(value: unknown): void {
    const i = this.length
    if (value === null || value === undefined) {
      this.validity.setNull(i)
      for (const field of this.fields) field.append(null)
    } else {
      this.validity.ensure(i)
      if (Array.isArray(value)) for (let f = 0; f < this.fields.length; f++) this.fields[f]!.append(value[f])
      else {
        const byName = value as Record<string, unknown>
        for (let f = 0; f < this.fields.length; f++) this.fields[f]!.append(byName[this.names[f]!])
      }
    }
    this.length = i + 1
  }

  finish(): Data {
    const { length } = this
    const nullCount = this.validity.nullCount
    const nullBitmap = this.validity.take(length)
    const children = this.fields.map((field) => field.finish())
    this.length = 0
    return makeData({ type: this.type as Struct, length, nullCount, nullBitmap, children })
  }
}

/** The names of a struct's fields, for {@link StructBuilder}. */
export function fieldNames(fields: readonly Field[]): string[] {
  return fields.map((field) => field.name)
}

/** A safe integer as a 128-bit two's-complement value in four little-endian 32-bit words. */
export function writeWords(value: number, out: Uint32Array, at: number): void {
  const high = Math.floor(value / 4_294_967_296)
  out[at] = value - high * 4_294_967_296
  out[at + 1] = high >>> 0
  out[at + 2] = out[at + 3] = value < 0 ? 0xffffffff : 0
}
