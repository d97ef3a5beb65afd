/**
 * The Kafka protocol's primitive types, as its message definitions name them: big-endian
 * integers, zigzag varints, length-prefixed strings and bytes, and arrays with an int32 count.
 * Only the non-flexible encodings: every request Lake sends has a version below the one that
 * made its API flexible (compact arrays and tagged fields). Pure code, no I/O.
 *
 * @module
 */
import { CorruptFileError } from '@lake/errors'

/** Writes a request body; grows as needed. */
export class Writer {
  #buffer: Buffer
  #length = 0

  constructor(capacity = 256) {
    this.#buffer = Buffer.allocUnsafe(capacity)
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.#buffer.subarray(0, this.#length)
  }

  int8(value: number): this {
    this.#reserve(1)
    this.#length = this.#buffer.writeInt8(value, this.#length)
    return this
  }

  int16(value: number): this {
    this.#reserve(2)
    this.#length = this.#buffer.writeInt16BE(value, this.#length)
    return this
  }

  int32(value: number): this {
    this.#reserve(4)
    this.#length = this.#buffer.writeInt32BE(value, this.#length)
    return this
  }

  int64(value: bigint): this {
    this.#reserve(8)
    this.#length = this.#buffer.writeBigInt64BE(value, this.#length)
    return this
  }

  /** `STRING`, or `NULLABLE_STRING` given null: an int16 length, then UTF-8. */
  string(value: string | null): this {
    if (value === null) return this.int16(-1)
    const length = Buffer.byteLength(value)
    this.int16(length)
    this.#reserve(length)
    this.#length += this.#buffer.write(value, this.#length)
    return this
  }

  /** `ARRAY`: an int32 count, then each item as `write` writes it. */
  array<T>(items: readonly T[], write: (item: T, writer: this) => void): this {
    this.int32(items.length)
    for (const item of items) write(item, this)
    return this
  }

  #reserve(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + bytes))
    this.#buffer.copy(grown, 0, 0, this.#length)
    this.#buffer = grown
  }
}

/**
 * Reads a response body or a record batch. Every read checks the bounds, so a truncated or
 * malformed response fails with a `CorruptFileError` naming `what` rather than reading past it.
 */
export class Reader {
  /** The next byte to read. */
  offset: number

  constructor(
    readonly buffer: Buffer,
    offset = 0,
    /** The end of what may be read. */
    readonly end = buffer.length,
    /** What is being read, for errors: `Fetch response from broker 1`. */
    readonly what = 'Kafka response',
  ) {
    this.offset = offset
  }

  /** Bytes left to read. */
  remaining(): number {
    return this.end - this.offset
  }

  int8(): number {
    const at = this.#take(1)
    return this.buffer.readInt8(at)
  }

  int16(): number {
    const at = this.#take(2)
    return this.buffer.readInt16BE(at)
  }

  int32(): number {
    const at = this.#take(4)
    return this.buffer.readInt32BE(at)
  }

  uint32(): number {
    const at = this.#take(4)
    return this.buffer.readUInt32BE(at)
  }

  int64(): bigint {
    const at = this.#take(8)
    return this.buffer.readBigInt64BE(at)
  }

  /**
   * An int64 that must be a safe integer as a number (offsets, timestamps); throws otherwise.
   * Read as two halves, without a bigint, on the record path.
   */
  safeInt64(field: string): number {
    const at = this.#take(8)
    const high = this.buffer.readInt32BE(at)
    const low = this.buffer.readUInt32BE(at + 4)
    if (high > 0x1fffff || high < -0x200000) throw this.corrupt(`${field} is beyond 2^53`)
    return high * 0x1_0000_0000 + low
  }

  boolean(): boolean {
    return this.int8() !== 0
  }

  /** `STRING`; a null one fails (use {@link nullableString} where the protocol allows null). */
  string(field: string): string {
    const value = this.nullableString()
    if (value === null) throw this.corrupt(`${field} is null`)
    return value
  }

  nullableString(): string | null {
    const length = this.int16()
    if (length < 0) return null
    const at = this.#take(length)
    return this.buffer.toString('utf8', at, at + length)
  }

  /** `NULLABLE_BYTES` as a view into the buffer, or null. */
  nullableBytes(): Buffer | null {
    const length = this.int32()
    if (length < 0) return null
    const at = this.#take(length)
    return this.buffer.subarray(at, at + length)
  }

  /** `ARRAY`: an int32 count (-1 for null, read as empty), then each item. */
  array<T>(read: (reader: this) => T): T[] {
    const count = this.int32()
    if (count > this.remaining())
      throw this.corrupt(`an array of ${count} items in ${this.remaining()} bytes`)
    const items: T[] = []
    for (let i = 0; i < count; i++) items.push(read(this))
    return items
  }

  /** A zigzag varint of up to 32 bits (record lengths, deltas, key and value lengths). */
  varint(): number {
    let value = 0
    let shift = 0
    for (;;) {
      if (this.offset >= this.end) throw this.corrupt('a varint runs past the end')
      const byte = this.buffer[this.offset++]!
      value |= (byte & 0x7f) << shift
      if ((byte & 0x80) === 0) break
      shift += 7
      if (shift > 28) throw this.corrupt('a varint is longer than 5 bytes')
    }
    return (value >>> 1) ^ -(value & 1)
  }

  /** A zigzag varlong (timestamp deltas) as a number; fails beyond 2^53. */
  varlong(): number {
    let value = 0
    let scale = 1
    for (;;) {
      if (this.offset >= this.end) throw this.corrupt('a varlong runs past the end')
      const byte = this.buffer[this.offset++]!
      value += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) break
      scale *= 128
      if (scale > 2 ** 49) throw this.corrupt('a varlong is beyond 2^53')
    }
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2
  }

  /** Skips `length` bytes and returns where they start. */
  skip(length: number): number {
    return this.#take(length)
  }

  /** An error naming what is read and where. */
  corrupt(why: string): CorruptFileError {
    return new CorruptFileError(`${this.what} is malformed: ${why}`, { context: { at: this.offset } })
  }

  #take(bytes: number): number {
    const at = this.offset
    if (bytes < 0 || at + bytes > this.end) throw this.corrupt(`${bytes} bytes wanted, ${this.end - at} left`)
    this.offset = at + bytes
    return at
  }
}
