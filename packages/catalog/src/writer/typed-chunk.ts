/**
 * A column chunk's rows read straight from a typed column (`typed-column.ts`) for the flat column
 * writer (`flat-column.ts`), without a JavaScript value per row: statistics compare int64 values
 * on their 32-bit halves and strings and binaries as byte ranges; dictionary keys are hashes of
 * the values' bytes in a table of row numbers; PLAIN pages copy the values' bytes (a view of the
 * typed array when a page has no null). Only a chunk's least and greatest value become internal
 * values, for the footer's statistics and the Iceberg metrics read from them.
 *
 * What it writes is what the same rows as internal values give, with one exception: for strings,
 * the page and dictionary size estimates count UTF-8 bytes where hyparquet-writer's count UTF-16
 * units, so a chunk of non-ASCII strings may end a page at another row or refuse a dictionary
 * the values would get (or take one they would not). Counting UTF-16 units would need a string,
 * or a decode of the bytes, per value.
 *
 * Pure code: no I/O.
 *
 * @module
 */
import type { SchemaElement } from 'hyparquet-writer'
import type { ChunkDictionary, ChunkValues, Extremes, Physical } from './flat-column.js'
import { FRESH, type Lender } from './scratch.js'
import {
  type BytesColumn,
  gatherWords,
  LITTLE_ENDIAN,
  type TypedColumn,
  type TypedColumnKind,
} from './typed-column.js'

/** The typed layout each physical type is written from. */
const KIND_OF: Record<Physical, TypedColumnKind> = {
  BOOLEAN: 'boolean',
  INT32: 'int32',
  INT64: 'int64',
  FLOAT: 'float32',
  DOUBLE: 'float64',
  BYTE_ARRAY: 'bytes',
}

/** 32-bit words per value of the fixed-width layouts but boolean. */
const WORDS: Partial<Record<TypedColumnKind, 1 | 2>> = { int32: 1, float32: 1, int64: 2, float64: 2 }

/** Where an 8-byte value's low and high 32-bit halves sit in an `Int32Array` over it. */
const LOW = LITTLE_ENDIAN ? 0 : 1
const HIGH = 1 - LOW

const decoder = new TextDecoder()

/**
 * A typed column's rows as the flat column writer reads them. A column of another layout than
 * the physical type's throws (`ParquetFileWriter` turns it into a `ValidationError`). The arrays
 * it encodes into (pages, dictionary indexes) come from `lender`: new by default, or borrowed
 * from a `Scratch`.
 */
export function typedChunk(
  column: TypedColumn,
  physical: Physical,
  element: SchemaElement,
  lender: Lender = FRESH,
): ChunkValues {
  if (column.kind !== KIND_OF[physical]) {
    throw new Error(`parquet expected a ${physical} column, got a typed ${column.kind} column`)
  }
  const { valid } = column
  // Asked for once: a bytes column's extremes are then found among its distinct values alone.
  let dictionary: { bytes: number; found: TypedDictionary | undefined } | undefined
  const dictionaryOf = (bytes: number) => {
    if (dictionary?.bytes !== bytes) dictionary = { bytes, found: typedDictionary(column, bytes, lender) }
    return dictionary.found
  }
  return {
    length: column.length,
    extremes: () => {
      const found = dictionary?.found
      if (column.kind !== 'bytes' || found === undefined) return typedExtremes(column, element)
      return bytesExtremes(
        column,
        element.converted_type === 'UTF8',
        found.rows,
        column.length - found.present,
      )
    },
    dictionary: dictionaryOf,
    pageEnd: (from, pageBytes) => bytesPageEnd(column as BytesColumn, from, pageBytes),
    defined: (from, to) => (valid ? valid.subarray(from, to) : lender.bytes(to - from).fill(1)),
    plain: (from, to, present) => {
      const words = WORDS[column.kind]
      if (words === undefined || present < to - from)
        return plainRows(column, presentRows(valid, from, to, present, lender), lender)
      // Every row has a value: the page is the typed array's bytes as they are.
      const { values } = column as Exclude<TypedColumn, BytesColumn>
      return new Uint8Array(values.buffer, values.byteOffset + 4 * words * from, 4 * words * (to - from))
    },
  }
}

/** The rows from `from` to `to` that hold a value, `present` of them. */
function presentRows(
  valid: Uint8Array | undefined,
  from: number,
  to: number,
  present: number,
  lender: Lender,
): Int32Array {
  const rows = lender.int32(present)
  let n = 0
  for (let i = from; i < to; i++) if (valid === undefined || valid[i] === 1) rows[n++] = i
  return rows
}

/** The PLAIN encoding of the values of `rows`, in that order. */
function plainRows(column: TypedColumn, rows: Int32Array, lender: Lender): Uint8Array {
  switch (column.kind) {
    case 'boolean': {
      const out = lender.bytes(Math.ceil(rows.length / 8)).fill(0)
      const { values } = column
      for (let n = 0; n < rows.length; n++) if (values[rows[n]!] === 1) out[n >> 3]! |= 1 << (n & 7)
      return out
    }
    case 'bytes':
      return bytesPlain(column, rows, lender)
    default: {
      const out = lender.int32(rows.length * WORDS[column.kind]!)
      gatherWords(out, column.values, rows)
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
    }
  }
}

/** Byte arrays PLAIN-encoded: each one's length as 4 bytes little-endian, then its bytes. */
function bytesPlain(column: BytesColumn, rows: Int32Array, lender: Lender): Uint8Array {
  const { offsets, data } = column
  let size = 4 * rows.length
  for (let n = 0; n < rows.length; n++) size += offsets[rows[n]! + 1]! - offsets[rows[n]!]!
  const out = lender.bytes(size)
  let at = 0
  for (let n = 0; n < rows.length; n++) {
    const start = offsets[rows[n]!]!
    const end = offsets[rows[n]! + 1]!
    const length = end - start
    out[at] = length & 0xff
    out[at + 1] = (length >>> 8) & 0xff
    out[at + 2] = (length >>> 16) & 0xff
    out[at + 3] = length >>> 24
    at += 4
    // Short values are copied byte by byte: a view per value to `set` costs more.
    if (length > 32) {
      out.set(data.subarray(start, end), at)
      at += length
    } else for (let k = start; k < end; k++) out[at++] = data[k]!
  }
  return out
}

/** The end of the page of byte arrays that starts at `from`: the value whose plain bytes reach `pageBytes`. */
function bytesPageEnd(column: BytesColumn, from: number, pageBytes: number): number {
  const { offsets, valid, length } = column
  let bytes = 0
  let i = from
  while (i < length && bytes < pageBytes) {
    if (valid === undefined || valid[i] === 1) bytes += 4 + offsets[i + 1]! - offsets[i]!
    i++
  }
  return i
}

/** The chunk's extremes: see {@link Extremes}. Decimals of up to 9 digits come out as bigints. */
function typedExtremes(column: TypedColumn, element: SchemaElement): Extremes {
  switch (column.kind) {
    case 'boolean':
      return booleanExtremes(column.values, column.valid)
    case 'int32': {
      const found = numberExtremes(column.values, column.valid)
      if (element.converted_type !== 'DECIMAL' || found.min === undefined) return found
      return { ...found, min: BigInt(found.min as number), max: BigInt(found.max as number) }
    }
    case 'int64':
      return int64Extremes(column.values, column.valid)
    case 'float32':
    case 'float64':
      return numberExtremes(column.values, column.valid)
    case 'bytes':
      return bytesExtremes(column, element.converted_type === 'UTF8')
  }
}

function booleanExtremes(values: Uint8Array, valid: Uint8Array | undefined): Extremes {
  let nulls = 0
  let falses = 0
  for (let i = 0; i < values.length; i++) {
    if (valid !== undefined && valid[i] === 0) nulls++
    else if (values[i] !== 1) falses++
  }
  const present = values.length - nulls
  if (present === 0) return { min: undefined, max: undefined, nulls, nans: 0 }
  return { min: falses === 0, max: falses < present, nulls, nans: 0 }
}

/** The least and greatest number but NaN (counted), as `<` orders them, and the nulls. */
function numberExtremes(
  values: Int32Array | Float32Array | Float64Array,
  valid: Uint8Array | undefined,
): Extremes {
  let min = 0
  let max = 0
  let found = false
  let nulls = 0
  let nans = 0
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!
    if (valid !== undefined && valid[i] === 0) nulls++
    else if (Number.isNaN(value)) nans++
    else if (!found) {
      min = value
      max = value
      found = true
    } else if (value < min) min = value
    else if (value > max) max = value
  }
  return found ? { min, max, nulls, nans } : { min: undefined, max: undefined, nulls, nans }
}

/**
 * The least and greatest int64 compared on an `Int32Array` over the values — high halves
 * signed, then low halves unsigned — so that only the two found are read as bigints.
 */
function int64Extremes(values: BigInt64Array, valid: Uint8Array | undefined): Extremes {
  const halves = new Int32Array(values.buffer, values.byteOffset, 2 * values.length)
  let minAt = -1
  let maxAt = -1
  let minHigh = 0
  let minLow = 0
  let maxHigh = 0
  let maxLow = 0
  let nulls = 0
  for (let i = 0; i < values.length; i++) {
    if (valid !== undefined && valid[i] === 0) {
      nulls++
      continue
    }
    const high = halves[2 * i + HIGH]!
    const low = halves[2 * i + LOW]! >>> 0
    if (minAt < 0) {
      minAt = maxAt = i
      minHigh = maxHigh = high
      minLow = maxLow = low
    } else if (high < minHigh || (high === minHigh && low < minLow)) {
      minAt = i
      minHigh = high
      minLow = low
    } else if (high > maxHigh || (high === maxHigh && low > maxLow)) {
      maxAt = i
      maxHigh = high
      maxLow = low
    }
  }
  if (minAt < 0) return { min: undefined, max: undefined, nulls, nans: 0 }
  return { min: values[minAt], max: values[maxAt], nulls, nans: 0 }
}

/**
 * The least and greatest byte array in byte order — for strings, UTF-8 byte order, which is the
 * code point order `compareUtf8` gives the same strings — read out as a string or a copy of the
 * bytes (so that the footer's statistics do not hold on to the chunk's data). With `among`, only
 * those rows are compared (a dictionary's first row of each distinct value), and `nullCount`
 * nulls are counted for the rest.
 */
function bytesExtremes(column: BytesColumn, utf8: boolean, among?: Int32Array, nullCount = 0): Extremes {
  const { offsets, data, valid } = column
  let minAt = -1
  let maxAt = -1
  let nulls = among ? nullCount : 0
  const length = among ? among.length : column.length
  for (let k = 0; k < length; k++) {
    const i = among ? among[k]! : k
    if (valid !== undefined && valid[i] === 0) nulls++
    else if (minAt < 0) minAt = maxAt = i
    else if (compareRows(offsets, data, i, minAt) < 0) minAt = i
    else if (compareRows(offsets, data, i, maxAt) > 0) maxAt = i
  }
  if (minAt < 0) return { min: undefined, max: undefined, nulls, nans: 0 }
  const read = (row: number) => {
    const bytes = data.subarray(offsets[row]!, offsets[row + 1]!)
    return utf8 ? decoder.decode(bytes) : bytes.slice()
  }
  return { min: read(minAt), max: read(maxAt), nulls, nans: 0 }
}

/** Rows `a` and `b` of a bytes column compared byte by byte, a prefix first. */
function compareRows(offsets: Int32Array, data: Uint8Array, a: number, b: number): number {
  const aStart = offsets[a]!
  const bStart = offsets[b]!
  const aLength = offsets[a + 1]! - aStart
  const bLength = offsets[b + 1]! - bStart
  const length = Math.min(aLength, bLength)
  for (let k = 0; k < length; k++) {
    const difference = data[aStart + k]! - data[bStart + k]!
    if (difference !== 0) return difference
  }
  return aLength - bLength
}

/** The share of distinct bytes in a sample above which no dictionary is tried: hyparquet-writer's. */
const SAMPLE_REJECTION_RATIO = 0.9

/**
 * The chunk's dictionary by hyparquet-writer's rule, as `buildDictionary` applies it to values
 * (see `flat-column.ts`): a sample of up to 1,000 rows spread over the chunk mostly repeats, the
 * dictionary stays within `dictionaryBytes`, dictionary plus bit-packed indexes at most halve the
 * plain values, and a floating-point -0 means none. Values are numbered in first-seen order as
 * they are found, so a page's indexes are a slice of those numbers.
 */
function typedDictionary(
  column: TypedColumn,
  dictionaryBytes: number,
  lender: Lender,
): TypedDictionary | undefined {
  const { length, valid } = column
  const key = rowKey(column)
  const bytes = column.kind === 'bytes'
  const width = 4 * (WORDS[column.kind] ?? 0)
  const offsets = bytes ? column.offsets : undefined
  const prefix = bytes ? 4 : 0
  const sampleSize = Math.min(length, 1000)
  const sampled = new DistinctRows(key, sampleSize)
  let sampleDistinct = 0
  let sampleTotal = 0
  for (let i = 0; i < sampleSize; i++) {
    const at = sampleSize === 1 ? 0 : Math.floor((i * (length - 1)) / (sampleSize - 1))
    if (valid !== undefined && valid[at] === 0) continue
    const size = (offsets ? offsets[at + 1]! - offsets[at]! : width) + prefix
    const known = sampled.size
    sampled.add(at)
    if (sampled.size > known) sampleDistinct += size
    sampleTotal += size
  }
  if (sampleTotal === 0 || sampleDistinct / sampleTotal > SAMPLE_REJECTION_RATIO) return undefined
  const floats = column.kind === 'float32' || column.kind === 'float64' ? column.values : undefined
  // Read only at rows that hold a value, each written below.
  const codes = lender.int32(length)
  const distinct = new DistinctRows(key, 1024)
  let distinctSize = 0
  let totalSize = 0
  let present = 0
  for (let i = 0; i < length; i++) {
    if (valid !== undefined && valid[i] === 0) continue
    // A dictionary keys -0 and 0 as one.
    if (floats !== undefined && Object.is(floats[i], -0)) return undefined
    present++
    const size = offsets ? offsets[i + 1]! - offsets[i]! : width
    totalSize += size
    const known = distinct.size
    codes[i] = distinct.add(i)
    if (distinct.size === known) continue
    // The dictionary's bytes: for typed rows its size estimate, UTF-8 bytes and all.
    distinctSize += size
    if (dictionaryBytes && distinctSize > dictionaryBytes) return undefined
  }
  const size = distinct.size
  const indexSize = Math.ceil((present * Math.ceil(Math.log2(size))) / 8)
  if (2 * (distinctSize + size * prefix + indexSize) > totalSize + present * prefix) return undefined
  const rows = distinct.rows()
  return {
    size,
    rows,
    present,
    page: () => plainRows(column, rows, lender),
    indexes: (from, to, count) => {
      if (count === to - from) return codes.subarray(from, to)
      const indexes = lender.int32(count)
      let n = 0
      for (let i = from; i < to; i++) if (valid![i] === 1) indexes[n++] = codes[i]!
      return indexes
    },
  }
}

/** A typed chunk's dictionary, with the first row of each distinct value and the rows that hold a value. */
interface TypedDictionary extends ChunkDictionary {
  readonly rows: Int32Array
  readonly present: number
}

/** How rows of a column are hashed and compared as dictionary keys. */
interface RowKey {
  hash(row: number): number
  same(a: number, b: number): boolean
}

/** A 32-bit hash's bits mixed (murmur3's finaliser), so that linear probing spreads them. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/**
 * A column's dictionary keys: the values as a `Map` would key them (floating point: -0 as 0, every
 * NaN as one), read as 32-bit words or bytes rather than as numbers, bigints or strings. A class
 * per layout, so that {@link DistinctRows.add}'s calls see a few shapes and are inlined.
 */
function rowKey(column: TypedColumn): RowKey {
  switch (column.kind) {
    case 'boolean':
    case 'int32':
      return new WordKey(column.values)
    case 'int64':
      return new PairKey(new Int32Array(column.values.buffer, column.values.byteOffset, 2 * column.length))
    case 'float32':
    case 'float64':
      return new FloatKey(column.values, WORDS[column.kind]!, column.length)
    case 'bytes':
      return new BytesKey(column.offsets, column.data)
  }
}

/** Values of 32 bits or fewer: the value itself. */
class WordKey implements RowKey {
  constructor(readonly values: Uint8Array | Int32Array) {}
  hash(r: number): number {
    return mix(this.values[r]!)
  }
  same(a: number, b: number): boolean {
    return this.values[a] === this.values[b]
  }
}

/** 64-bit integers: their two halves. */
class PairKey implements RowKey {
  constructor(readonly halves: Int32Array) {}
  hash(r: number): number {
    return mix(this.halves[2 * r]! ^ mix(this.halves[2 * r + 1]!))
  }
  same(a: number, b: number): boolean {
    const halves = this.halves
    return halves[2 * a] === halves[2 * b] && halves[2 * a + 1] === halves[2 * b + 1]
  }
}

/** Floating point: its bits, with -0 as 0 and every NaN as one. */
class FloatKey implements RowKey {
  readonly bits: Int32Array
  constructor(
    readonly values: Float32Array | Float64Array,
    readonly words: 1 | 2,
    length: number,
  ) {
    this.bits = new Int32Array(values.buffer, values.byteOffset, words * length)
  }
  hash(r: number): number {
    const value = this.values[r]!
    if (value === 0) return 0
    if (Number.isNaN(value)) return 1
    const bits = this.bits
    return this.words === 1 ? mix(bits[r]!) : mix(bits[2 * r]! ^ mix(bits[2 * r + 1]!))
  }
  same(a: number, b: number): boolean {
    const values = this.values
    return values[a] === values[b] || (Number.isNaN(values[a]!) && Number.isNaN(values[b]!))
  }
}

/** Byte arrays: FNV-1a over their bytes. */
class BytesKey implements RowKey {
  constructor(
    readonly offsets: Int32Array,
    readonly data: Uint8Array,
  ) {}
  hash(r: number): number {
    const { offsets, data } = this
    let h = 0x811c9dc5
    for (let k = offsets[r]!; k < offsets[r + 1]!; k++) h = Math.imul(h ^ data[k]!, 0x01000193)
    return mix(h)
  }
  same(a: number, b: number): boolean {
    return compareRows(this.offsets, this.data, a, b) === 0
  }
}

/**
 * The distinct values among rows, each numbered in first-seen order and stood for by the first
 * row that held it: an open-addressing hash table of row numbers, so that finding a value's
 * number makes no key object.
 */
class DistinctRows {
  readonly #key: RowKey
  /** Per slot, a value's number + 1, or 0 for an empty slot; a power of two long. */
  #slots: Int32Array
  /** Per value, its first row and its hash. */
  #rows: Int32Array
  #hashes: Int32Array
  size = 0

  constructor(key: RowKey, expected: number) {
    this.#key = key
    this.#slots = new Int32Array(2 ** Math.ceil(Math.log2(Math.max(16, 2 * expected))))
    this.#rows = new Int32Array(Math.max(16, expected))
    this.#hashes = new Int32Array(this.#rows.length)
  }

  /** The number of the value of row `row`, which is numbered next if it is new. */
  add(row: number): number {
    const hash = this.#key.hash(row)
    const slots = this.#slots
    const mask = slots.length - 1
    let slot = hash & mask
    for (let entry = slots[slot]! - 1; entry >= 0; entry = slots[slot]! - 1) {
      if (this.#hashes[entry] === hash && this.#key.same(this.#rows[entry]!, row)) return entry
      slot = (slot + 1) & mask
    }
    const entry = this.size++
    if (entry === this.#rows.length) {
      this.#rows = grow(this.#rows)
      this.#hashes = grow(this.#hashes)
    }
    this.#rows[entry] = row
    this.#hashes[entry] = hash
    slots[slot] = entry + 1
    if (2 * this.size > slots.length) this.#rehash()
    return entry
  }

  /** Each value's first row, in the values' order. */
  rows(): Int32Array {
    return this.#rows.subarray(0, this.size)
  }

  #rehash(): void {
    const slots = new Int32Array(2 * this.#slots.length)
    const mask = slots.length - 1
    for (let entry = 0; entry < this.size; entry++) {
      let slot = this.#hashes[entry]! & mask
      while (slots[slot] !== 0) slot = (slot + 1) & mask
      slots[slot] = entry + 1
    }
    this.#slots = slots
  }
}

function grow(array: Int32Array): Int32Array {
  const grown = new Int32Array(2 * array.length)
  grown.set(array)
  return grown
}
