/**
 * Flat columns held in typed arrays rather than as one JavaScript value per row: numbers,
 * booleans and timestamps side by side in one buffer, strings as their UTF-8 bytes with offsets.
 * A writer that produces them (an ingest worker reading JSON from record bytes) allocates no
 * value per row, and the Parquet encoder writes them out almost as they are.
 *
 * Pure code: no I/O.
 *
 * @module
 */
import { ValidationError } from '@lake/errors'
import type { IcebergType } from '../spec/types.js'
import { FRESH, type Lender } from './scratch.js'

/**
 * How a typed column lays out its values:
 * - `boolean`: a `Uint8Array`, 0 or 1 per row;
 * - `int32`: an `Int32Array` (int, date, decimal of up to 9 digits as its unscaled value);
 * - `int64`: a `BigInt64Array` (long, time, timestamps in microseconds, decimal of 10 to 18
 *   digits as its unscaled value);
 * - `float32`, `float64`: a `Float32Array` (float), a `Float64Array` (double);
 * - `bytes`: UTF-8 bytes (string) or the bytes themselves (binary), row `i` at
 *   `data.subarray(offsets[i], offsets[i + 1])`.
 */
export type TypedColumnKind = 'boolean' | 'int32' | 'int64' | 'float32' | 'float64' | 'bytes'

/** What every {@link TypedColumn} holds besides its values. */
export interface TypedColumnBase {
  /** Rows in the column. */
  readonly length: number
  /** Per row, 1 for a value and 0 for a null; absent when no row is null. A null's slot holds 0. */
  readonly valid: Uint8Array | undefined
}

/** A flat column of a {@link ColumnBatch} held in typed arrays (see {@link TypedColumnKind}). */
export type TypedColumn =
  | (TypedColumnBase & { readonly kind: 'boolean'; readonly values: Uint8Array })
  | (TypedColumnBase & { readonly kind: 'int32'; readonly values: Int32Array })
  | (TypedColumnBase & { readonly kind: 'int64'; readonly values: BigInt64Array })
  | (TypedColumnBase & { readonly kind: 'float32'; readonly values: Float32Array })
  | (TypedColumnBase & { readonly kind: 'float64'; readonly values: Float64Array })
  | (TypedColumnBase & {
      readonly kind: 'bytes'
      /** `length + 1` offsets into `data`. */
      readonly offsets: Int32Array
      readonly data: Uint8Array
    })

/** A column of a batch: one internal value per row, or a {@link TypedColumn}. */
export type BatchColumn = readonly unknown[] | TypedColumn

/** Whether a batch's column is held in typed arrays. */
export function isTypedColumn(column: BatchColumn): column is TypedColumn {
  return !Array.isArray(column)
}

/** The layout a column of this type takes when typed, or undefined when it has none. */
export function typedKind(type: IcebergType): TypedColumnKind | undefined {
  switch (type.kind) {
    case 'boolean':
      return 'boolean'
    case 'int':
    case 'date':
      return 'int32'
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return 'int64'
    case 'float':
      return 'float32'
    case 'double':
      return 'float64'
    case 'string':
    case 'binary':
      return 'bytes'
    case 'decimal':
      return type.precision <= 9 ? 'int32' : type.precision <= 18 ? 'int64' : undefined
    default:
      return undefined
  }
}

/** Bytes up to which {@link TypedColumnBuilder.setBytes} copies in a loop rather than through a view. */
const SHORT_COPY = 64

/** Whether typed arrays lay out values little-endian here (the low half of an int64 first). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const TWO_32 = 4294967296
const decoder = new TextDecoder()

/**
 * Row `i` of a typed column of `type` as its internal value (see `types.ts`): a bigint for
 * int64 columns and decimals, a string for strings (from UTF-8; invalid bytes as U+FFFD), a
 * `Uint8Array` view for binaries, null for a null.
 */
export function typedValueAt(column: TypedColumn, type: IcebergType, i: number): unknown {
  if (column.valid !== undefined && column.valid[i] === 0) return null
  switch (column.kind) {
    case 'boolean':
      return column.values[i] === 1
    case 'int32':
      return type.kind === 'decimal' ? BigInt(column.values[i]!) : column.values[i]!
    case 'int64':
    case 'float32':
    case 'float64':
      return column.values[i]!
    case 'bytes': {
      const bytes = column.data.subarray(column.offsets[i]!, column.offsets[i + 1]!)
      return type.kind === 'string' ? decoder.decode(bytes) : bytes
    }
  }
}

/** Every row of a typed column as internal values (see {@link typedValueAt}). */
export function typedValues(column: TypedColumn, type: IcebergType): unknown[] {
  const out = new Array<unknown>(column.length)
  for (let i = 0; i < column.length; i++) out[i] = typedValueAt(column, type, i)
  return out
}

/** Rows `start` to `end` (exclusive) of a typed column. */
export interface TypedRange {
  column: TypedColumn
  start: number
  end: number
}

/**
 * Ranges of typed columns of one kind, one after another, as a typed column of its own arrays
 * (a copy even of a single range, so the result holds no more memory than its rows). It has a
 * `valid` array only if one of the rows is null; byte rows are gathered into fresh data with
 * offsets from 0. Its arrays come from `lender`: new ones by default, or borrowed from a `Scratch`
 * for as long as it lends them.
 */
export function concatTyped(ranges: readonly TypedRange[], lender: Lender = FRESH): TypedColumn {
  const kind = ranges[0]!.column.kind
  let length = 0
  let nulls = false
  for (const { column, start, end } of ranges) {
    length += end - start
    nulls ||= column.valid?.subarray(start, end).includes(0) === true
  }
  let valid: Uint8Array | undefined
  if (nulls) {
    valid = lender.bytes(length)
    let at = 0
    for (const { column, start, end } of ranges) {
      if (column.valid) valid.set(column.valid.subarray(start, end), at)
      else valid.fill(1, at, at + end - start)
      at += end - start
    }
  }
  if (kind === 'bytes') {
    let bytes = 0
    for (const { column, start, end } of ranges) {
      const { offsets } = byteRows(column)
      bytes += offsets[end]! - offsets[start]!
    }
    const offsets = lender.int32(length + 1)
    const data = lender.bytes(bytes)
    offsets[0] = 0
    let row = 0
    let at = 0
    for (const { column, start, end } of ranges) {
      const source = byteRows(column)
      const base = source.offsets[start]!
      const stop = source.offsets[end]!
      data.set(source.data.subarray(base, stop), at)
      for (let i = start; i < end; i++) offsets[++row] = source.offsets[i + 1]! - base + at
      at += stop - base
    }
    return { kind, length, valid, offsets, data }
  }
  const values = allocate(kind, length, lender)
  let at = 0
  for (const { column, start, end } of ranges) {
    values.set(fixedRows(column).values.subarray(start, end) as never, at)
    at += end - start
  }
  return { kind, length, valid, values } as TypedColumn
}

/**
 * A copy of rows `start` to `end` (exclusive) of a typed column, holding no more memory than
 * those rows: a `valid` array only if one of them is null, byte rows in fresh data with offsets
 * from 0.
 */
export function sliceTyped(column: TypedColumn, start: number, end = column.length): TypedColumn {
  return concatTyped([{ column, start, end }])
}

/** The rows at `indexes` of a typed column, in that order (see {@link concatTyped} for its form). */
export function takeTyped(column: TypedColumn, indexes: readonly number[]): TypedColumn {
  const { kind } = column
  const length = indexes.length
  const source = column.valid
  let valid: Uint8Array | undefined
  if (source) {
    let nulls = false
    for (let i = 0; i < length && !nulls; i++) nulls = source[indexes[i]!] === 0
    if (nulls) {
      valid = new Uint8Array(length)
      for (let i = 0; i < length; i++) valid[i] = source[indexes[i]!]!
    }
  }
  if (column.kind === 'bytes') {
    const from = column.offsets
    let bytes = 0
    for (let i = 0; i < length; i++) bytes += from[indexes[i]! + 1]! - from[indexes[i]!]!
    const offsets = new Int32Array(length + 1)
    const data = new Uint8Array(bytes)
    let at = 0
    for (let i = 0; i < length; i++) {
      const r = indexes[i]!
      data.set(column.data.subarray(from[r]!, from[r + 1]!), at)
      at += from[r + 1]! - from[r]!
      offsets[i + 1] = at
    }
    return { kind: 'bytes', length, valid, offsets, data }
  }
  const values = allocate(kind, length)
  if (column.kind === 'boolean') for (let i = 0; i < length; i++) values[i] = column.values[indexes[i]!]!
  else gatherWords(new Int32Array(values.buffer), column.values, indexes)
  return { kind, length, valid, values } as TypedColumn
}

/**
 * Copies the values of `rows` of a 4- or 8-byte typed array into `into`, as 32-bit words: bits
 * as they are, without reading a number or a bigint per value.
 */
export function gatherWords(
  into: Int32Array,
  values: Int32Array | BigInt64Array | Float32Array | Float64Array,
  rows: ArrayLike<number>,
): void {
  const words = values.BYTES_PER_ELEMENT / 4
  const from = new Int32Array(values.buffer, values.byteOffset, values.length * words)
  if (words === 1) for (let n = 0; n < rows.length; n++) into[n] = from[rows[n]!]!
  else {
    for (let n = 0; n < rows.length; n++) {
      const at = 2 * rows[n]!
      into[2 * n] = from[at]!
      into[2 * n + 1] = from[at + 1]!
    }
  }
}

/**
 * What is wrong with a typed column given as a column of `kind`, or undefined when nothing is:
 * another kind, arrays of another length than its rows, offsets that fall or leave its data, a
 * validity byte or boolean other than 0 or 1. The encoder trusts all of these.
 */
export function typedColumnProblem(column: TypedColumn, kind: TypedColumnKind): string | undefined {
  const { length, valid } = column
  if (column.kind !== kind) return `holds ${column.kind} values, not ${kind}`
  if (!Number.isInteger(length) || length < 0) return `has ${length} rows`
  if (valid !== undefined && valid.length !== length)
    return `has ${valid.length} validity bytes for ${length} rows`
  if (valid?.some((v) => v > 1)) return 'has a validity byte other than 0 or 1'
  if (column.kind === 'bytes') {
    const { offsets, data } = column
    if (offsets.length !== length + 1) return `has ${offsets.length} offsets for ${length} rows`
    if (offsets[0]! < 0 || offsets[length]! > data.length) return 'has offsets outside its data'
    for (let i = 0; i < length; i++)
      if (offsets[i + 1]! < offsets[i]!) return `has a falling offset at row ${i}`
    return undefined
  }
  if (column.values.length !== length) return `has ${column.values.length} values for ${length} rows`
  if (column.kind === 'boolean' && column.values.some((v) => v > 1)) return 'has a boolean other than 0 or 1'
  return undefined
}

type FixedColumn = Exclude<TypedColumn, { kind: 'bytes' }>
/** A typed column of the bytes kind (strings, binaries). */
export type BytesColumn = Extract<TypedColumn, { kind: 'bytes' }>

/** A column known to be of the bytes kind, as its type. */
function byteRows(column: TypedColumn): BytesColumn {
  return column as BytesColumn
}

/** A column known to be of a fixed-width kind, as its type. */
function fixedRows(column: TypedColumn): FixedColumn {
  return column as FixedColumn
}

/** The values array of `length` rows of a fixed-width kind (none for bytes), from `lender`. */
function allocate(
  kind: TypedColumnKind,
  length: number,
  lender: Lender = FRESH,
): Uint8Array | Int32Array | BigInt64Array | Float32Array | Float64Array {
  switch (kind) {
    case 'boolean':
    case 'bytes':
      return lender.bytes(kind === 'bytes' ? 0 : length)
    case 'int32':
      return lender.int32(length)
    case 'int64':
      return lender.bigint64(length)
    case 'float32':
      return lender.float32(length)
    case 'float64':
      return lender.float64(length)
  }
}

/**
 * A typed column growing row by row. Row `r` is written once, by one `set…` call or
 * {@link TypedColumnBuilder.setNull}, after every row before it; {@link TypedColumnBuilder.truncate}
 * drops rows written since (a row refused part way), and {@link TypedColumnBuilder.take} hands the
 * rows over as a {@link TypedColumn} and starts empty. The setters do not check their row or
 * their value's range: they are the inner loop of a reader that has checked both.
 */
export class TypedColumnBuilder {
  readonly kind: TypedColumnKind
  #capacity: number
  #values: Uint8Array | Int32Array | BigInt64Array | Float32Array | Float64Array
  /** For int64: the same buffer as int32 halves, low first, to store numbers without a bigint. */
  #halves: Int32Array | undefined
  #valid: Uint8Array | undefined
  #offsets: Int32Array | undefined
  #data: Uint8Array
  /** A view of {@link TypedColumnBuilder.data}, made again when it is replaced. */
  #dataView: DataView<ArrayBufferLike>
  #dataLength = 0
  #length = 0

  constructor(kind: TypedColumnKind, capacity = 1024) {
    this.kind = kind
    this.#capacity = Math.max(16, capacity)
    this.#values = allocate(kind, this.#capacity)
    this.#halves = kind === 'int64' && LITTLE_ENDIAN ? new Int32Array(this.#values.buffer) : undefined
    this.#offsets = kind === 'bytes' ? new Int32Array(this.#capacity + 1) : undefined
    this.#data = new Uint8Array(kind === 'bytes' ? this.#capacity * 16 : 0)
    this.#dataView = new DataView(this.#data.buffer)
  }

  /** Rows written. */
  get length(): number {
    return this.#length
  }

  /** Makes room for row `r`; every setter calls it. */
  #room(r: number): void {
    if (r < this.#capacity) return
    const capacity = Math.max(r + 1, this.#capacity * 2)
    const values = allocate(this.kind, capacity)
    values.set(this.#values as never)
    this.#values = values
    if (this.#halves) this.#halves = new Int32Array(values.buffer)
    if (this.#valid) {
      const valid = new Uint8Array(capacity)
      valid.set(this.#valid)
      this.#valid = valid
    }
    if (this.#offsets) {
      const offsets = new Int32Array(capacity + 1)
      offsets.set(this.#offsets)
      this.#offsets = offsets
    }
    this.#capacity = capacity
  }

  #present(r: number): void {
    this.#room(r)
    if (this.#valid) this.#valid[r] = 1
    this.#length = r + 1
  }

  /** Row `r` is null. */
  setNull(r: number): void {
    this.#room(r)
    if (!this.#valid) {
      this.#valid = new Uint8Array(this.#capacity)
      this.#valid.fill(1, 0, r)
    }
    this.#valid[r] = 0
    if (this.#offsets) this.#offsets[r + 1] = this.#dataLength
    else if (this.#halves) {
      this.#halves[2 * r] = 0
      this.#halves[2 * r + 1] = 0
    } else if (this.kind === 'int64') (this.#values as BigInt64Array)[r] = 0n
    else (this.#values as Int32Array)[r] = 0
    this.#length = r + 1
  }

  /** Row `r` of a boolean column. */
  setBoolean(r: number, value: boolean): void {
    this.#present(r)
    ;(this.#values as Uint8Array)[r] = value ? 1 : 0
  }

  /** Row `r` of an int32, float32 or float64 column. */
  setNumber(r: number, value: number): void {
    this.#present(r)
    ;(this.#values as Float64Array)[r] = value
  }

  /** Row `r` of an int64 column from a safe integer, without making a bigint. */
  setInt64Number(r: number, value: number): void {
    this.#present(r)
    const halves = this.#halves
    if (halves) {
      const high = Math.floor(value / TWO_32)
      halves[2 * r] = value - high * TWO_32
      halves[2 * r + 1] = high
    } else (this.#values as BigInt64Array)[r] = BigInt(value)
  }

  /** Row `r` of an int64 column. */
  setInt64(r: number, value: bigint): void {
    this.#present(r)
    ;(this.#values as BigInt64Array)[r] = value
  }

  /** Row `r` of a bytes column: `source`'s bytes from `start` to `end`. */
  setBytes(r: number, source: Uint8Array, start: number, end: number): void {
    const length = end - start
    const at = this.#reserve(r, length)
    const data = this.#data
    // A view per value costs more than copying a short one byte by byte.
    if (length <= SHORT_COPY) for (let k = 0; k < length; k++) data[at + k] = source[start + k]!
    else data.set(source.subarray(start, end), at)
    this.#endBytes(r, at + length)
  }

  /**
   * Row `r` of a bytes column written in place, for a reader that checks and copies a value in
   * one pass: room for up to `maxLength` bytes in {@link TypedColumnBuilder.data} from the
   * position returned; {@link TypedColumnBuilder.endBytes} then ends the row where they end.
   * Until it does, the row is unfinished: `truncate` may drop it, nothing else may follow.
   */
  reserveBytes(r: number, maxLength: number): number {
    return this.#reserve(r, maxLength)
  }

  /** A bytes column's data, where {@link TypedColumnBuilder.reserveBytes} made room; replaced as it grows. */
  get data(): Uint8Array {
    return this.#data
  }

  /** A view of {@link TypedColumnBuilder.data}, to write several bytes with one store; replaced as it grows. */
  get dataView(): DataView<ArrayBufferLike> {
    return this.#dataView
  }

  /** Ends row `r`, begun by {@link TypedColumnBuilder.reserveBytes}, at `end` of {@link TypedColumnBuilder.data}. */
  endBytes(r: number, end: number): void {
    this.#endBytes(r, end)
  }

  /** Row `r` of a bytes column: a string's UTF-8 bytes (lone surrogates as U+FFFD). */
  setString(r: number, value: string): void {
    const at = this.#reserve(r, 3 * value.length)
    const { written } = encoder.encodeInto(value, this.#data.subarray(at))
    this.#endBytes(r, at + written)
  }

  /** Room for row `r` and `bytes` more bytes; returns where they go. */
  #reserve(r: number, bytes: number): number {
    this.#present(r)
    const at = this.#dataLength
    if (at + bytes > this.#data.length) {
      const data = new Uint8Array(Math.max(at + bytes, this.#data.length * 2))
      data.set(this.#data.subarray(0, at))
      this.#data = data
      this.#dataView = new DataView(data.buffer)
    }
    return at
  }

  #endBytes(r: number, end: number): void {
    this.#dataLength = end
    this.#offsets![r + 1] = end
  }

  /** The data bytes written so far, to reserve room before {@link TypedColumnBuilder.setBytes}. */
  get byteLength(): number {
    return this.#dataLength
  }

  /** Drops the rows from `length` on. */
  truncate(length: number): void {
    if (!Number.isInteger(length) || length < 0 || length > this.#length) {
      throw new ValidationError(`Cannot truncate ${this.#length} rows to ${length}`, {
        context: { field: 'length' },
      })
    }
    this.#length = length
    if (this.#offsets) this.#dataLength = this.#offsets[length]!
  }

  /**
   * The rows written, as a column over this builder's arrays rather than a copy of them. It
   * stays as it is while rows are written after it (growing the arrays leaves it the old ones),
   * until {@link TypedColumnBuilder.clear} or a `truncate` below its length lets its rows be
   * written over.
   */
  view(): TypedColumn {
    const length = this.#length
    // Rows truncated may have taken the only nulls with them.
    const valid = this.#valid?.subarray(0, length).includes(0) ? this.#valid.subarray(0, length) : undefined
    if (this.kind === 'bytes') {
      return {
        kind: 'bytes',
        length,
        valid,
        offsets: this.#offsets!.subarray(0, length + 1),
        data: this.#data.subarray(0, this.#dataLength),
      }
    }
    return { kind: this.kind, length, valid, values: this.#values.subarray(0, length) } as TypedColumn
  }

  /** Starts empty again, keeping the arrays: for a caller done with every {@link TypedColumnBuilder.view}. */
  clear(): void {
    this.#length = 0
    this.#dataLength = 0
  }

  /** The rows written, as a column no longer this builder's; the builder starts empty. */
  take(): TypedColumn {
    const column = sliceTyped(this.view(), 0)
    this.#length = 0
    this.#dataLength = 0
    this.#valid = undefined
    return column
  }
}

const encoder = new TextEncoder()
