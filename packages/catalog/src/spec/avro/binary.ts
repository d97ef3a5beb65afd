import { CorruptFileError } from '@lake/errors'

/**
 * Avro's binary encoding of primitive values (Avro 1.11 spec, "Binary Encoding"), as a growable
 * output buffer and a bounds-checked input cursor. Longs are `bigint` throughout because
 * snapshot ids and sequence numbers use all 64 bits; the fast paths below keep the common small
 * values on plain numbers.
 *
 * @module
 */

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })
const TWO_POW_32 = 2 ** 32
const SAFE_LONG = 2n ** 52n

/** An output buffer that doubles when full; `finish()` returns exactly the bytes written. */
export class ByteWriter {
  #bytes: Uint8Array
  #view: DataView
  /** Number of bytes written so far. */
  length = 0

  constructor(initialCapacity = 1024) {
    this.#bytes = new Uint8Array(initialCapacity)
    this.#view = new DataView(this.#bytes.buffer)
  }

  #ensure(extra: number): void {
    const needed = this.length + extra
    if (needed <= this.#bytes.length) return
    let capacity = this.#bytes.length * 2
    while (capacity < needed) capacity *= 2
    const bytes = new Uint8Array(capacity)
    bytes.set(this.#bytes.subarray(0, this.length))
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer)
  }

  /** Forgets what was written, keeping the allocation for the next block. */
  reset(): void {
    this.length = 0
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.#bytes.slice(0, this.length)
  }

  /** A view of the bytes written, valid until the next write or reset. */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.length)
  }

  /** One byte, 0 or 1. */
  writeBoolean(value: boolean): void {
    this.#ensure(1)
    this.#bytes[this.length++] = value ? 1 : 0
  }

  /** A zig-zag varint of a 32-bit integer. */
  writeInt(value: number): void {
    this.#ensure(5)
    let n = ((value << 1) ^ (value >> 31)) >>> 0
    const bytes = this.#bytes
    while (n > 0x7f) {
      bytes[this.length++] = (n & 0x7f) | 0x80
      n >>>= 7
    }
    bytes[this.length++] = n
  }

  /** A zig-zag varint of a 64-bit integer. */
  writeLong(value: bigint): void {
    this.#ensure(10)
    if (value < SAFE_LONG && value > -SAFE_LONG) {
      const v = Number(value)
      let n = v >= 0 ? v * 2 : -v * 2 - 1
      const bytes = this.#bytes
      while (n >= 0x80) {
        bytes[this.length++] = (n % 0x80) | 0x80
        n = Math.floor(n / 0x80)
      }
      bytes[this.length++] = n
      return
    }
    let n = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
    while (n > 0x7fn) {
      this.#bytes[this.length++] = Number(n & 0x7fn) | 0x80
      n >>= 7n
    }
    this.#bytes[this.length++] = Number(n)
  }

  /** A non-negative count or length, without a detour through `bigint`. */
  writeLength(value: number): void {
    this.#ensure(10)
    const bytes = this.#bytes
    let n = value * 2
    while (n >= 0x80) {
      bytes[this.length++] = (n % 0x80) | 0x80
      n = Math.floor(n / 0x80)
    }
    bytes[this.length++] = n
  }

  /** Four bytes, IEEE 754 little-endian. */
  writeFloat(value: number): void {
    this.#ensure(4)
    this.#view.setFloat32(this.length, value, true)
    this.length += 4
  }

  /** Eight bytes, IEEE 754 little-endian. */
  writeDouble(value: number): void {
    this.#ensure(8)
    this.#view.setFloat64(this.length, value, true)
    this.length += 8
  }

  /** Raw bytes with no length prefix (Avro `fixed`, sync markers, magic). */
  writeFixed(value: Uint8Array): void {
    this.#ensure(value.length)
    this.#bytes.set(value, this.length)
    this.length += value.length
  }

  /** Length-prefixed bytes (Avro `bytes`). */
  writeBytes(value: Uint8Array): void {
    this.writeLength(value.length)
    this.writeFixed(value)
  }

  /** Length-prefixed UTF-8 (Avro `string`). */
  writeString(value: string): void {
    // Encode straight into the buffer after room for the longest possible length prefix, then
    // write the real prefix and close the gap if it came out shorter.
    const max = value.length * 3
    this.#ensure(max + 10)
    const bytes = this.#bytes
    const reserved = varintSize(max * 2)
    const start = this.length + reserved
    const { written } = utf8Encoder.encodeInto(value, bytes.subarray(start, start + max))
    const prefix = varintSize(written * 2)
    if (prefix !== reserved) bytes.copyWithin(this.length + prefix, start, start + written)
    let n = written * 2
    while (n >= 0x80) {
      bytes[this.length++] = (n % 0x80) | 0x80
      n = Math.floor(n / 0x80)
    }
    bytes[this.length++] = n
    this.length += written
  }
}

function varintSize(n: number): number {
  let size = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    size++
  }
  return size
}

/**
 * A cursor over Avro binary data. Every read is bounds-checked: running past the end means the
 * file is truncated or corrupt, and is reported as a {@link CorruptFileError}, never as a value.
 */
export class ByteReader {
  readonly bytes: Uint8Array
  readonly #view: DataView
  /** Offset of the next byte to read. */
  pos: number
  /** Reported in errors so a corrupt manifest can be found. */
  readonly file: string | undefined
  /** For a decompressed block, the offset of the block in the file, so errors can point at it. */
  readonly blockOffset: number | undefined

  constructor(bytes: Uint8Array, file?: string, blockOffset?: number) {
    this.bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.pos = 0
    this.file = file
    this.blockOffset = blockOffset
  }

  /** True when every byte has been read. */
  atEnd(): boolean {
    return this.pos >= this.bytes.length
  }

  /** A {@link CorruptFileError} naming the file and the offset reached. */
  corrupt(message: string, cause?: unknown): CorruptFileError {
    const context: Record<string, unknown> = {}
    let where = ''
    if (this.file !== undefined) {
      context.file = this.file
      where = ` in ${this.file}`
    }
    if (this.blockOffset === undefined) {
      context.offset = this.pos
      where += ` at byte ${this.pos}`
    } else {
      context.blockOffset = this.blockOffset
      context.offset = this.pos
      where += ` in the block at byte ${this.blockOffset} (offset ${this.pos} after decompression)`
    }
    return new CorruptFileError(`${message}${where}`, { context, cause })
  }

  #need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw this.corrupt(
        `Avro data is truncated: ${n} more bytes needed, ${this.bytes.length - this.pos} left`,
      )
    }
  }

  /** One byte that must be 0 or 1. */
  readBoolean(): boolean {
    this.#need(1)
    const b = this.bytes[this.pos++]!
    if (b > 1) throw this.corrupt(`Invalid Avro boolean byte ${b}`)
    return b === 1
  }

  /** A zig-zag varint that must fit 32 bits. */
  readInt(): number {
    const bytes = this.bytes
    let n = 0
    let shift = 0
    let b: number
    do {
      if (this.pos >= bytes.length) this.#need(1)
      if (shift > 28) throw this.corrupt('Avro int varint is longer than 5 bytes')
      b = bytes[this.pos++]!
      n += (b & 0x7f) * 2 ** shift
      shift += 7
    } while (b & 0x80)
    if (n >= TWO_POW_32) throw this.corrupt('Avro int varint exceeds 32 bits')
    return (n >>> 1) ^ -(n & 1)
  }

  /** A zig-zag varint of up to 64 bits, exact beyond 2^53. */
  readLong(): bigint {
    const bytes = this.bytes
    const start = this.pos
    let n = 0
    let scale = 1
    let b: number
    // Seven bytes hold 49 bits, which a double keeps exactly; longer varints take the bigint path.
    for (let i = 0; i < 7; i++) {
      if (this.pos >= bytes.length) this.#need(1)
      b = bytes[this.pos++]!
      n += (b & 0x7f) * scale
      if ((b & 0x80) === 0) return BigInt(n % 2 === 0 ? n / 2 : -(n + 1) / 2)
      scale *= 0x80
    }
    this.pos = start
    return this.#readLongSlow()
  }

  #readLongSlow(): bigint {
    let n = 0n
    let shift = 0n
    let b: number
    do {
      this.#need(1)
      if (shift > 63n) throw this.corrupt('Avro long varint is longer than 10 bytes')
      b = this.bytes[this.pos++]!
      n |= BigInt(b & 0x7f) << shift
      shift += 7n
    } while (b & 0x80)
    n = BigInt.asUintN(64, n)
    return BigInt.asIntN(64, (n >> 1n) ^ -(n & 1n))
  }

  /**
   * A long used as a count or length. These are read without going through `bigint`, since
   * every string, byte array and block has one; a value beyond 2^48 cannot be a real length.
   */
  readLength(): number {
    const bytes = this.bytes
    let n = 0
    let scale = 1
    for (let i = 0; i < 7; i++) {
      if (this.pos >= bytes.length) this.#need(1)
      const b = bytes[this.pos++]!
      n += (b & 0x7f) * scale
      if ((b & 0x80) === 0) return n % 2 === 0 ? n / 2 : -(n + 1) / 2
      scale *= 0x80
    }
    throw this.corrupt('Avro length or count is out of range')
  }

  /** Four bytes, IEEE 754 little-endian. */
  readFloat(): number {
    this.#need(4)
    const v = this.#view.getFloat32(this.pos, true)
    this.pos += 4
    return v
  }

  /** Eight bytes, IEEE 754 little-endian. */
  readDouble(): number {
    this.#need(8)
    const v = this.#view.getFloat64(this.pos, true)
    this.pos += 8
    return v
  }

  /**
   * `size` raw bytes as a view into the input, not a copy: copying thousands of small bounds is
   * what made decoding slow (garbage collection), and the views only keep alive the decompressed
   * blocks of the file they came from.
   */
  readFixed(size: number): Uint8Array {
    this.#need(size)
    const v = this.bytes.subarray(this.pos, this.pos + size)
    this.pos += size
    return v
  }

  /** Length-prefixed bytes (Avro `bytes`), as a view like {@link ByteReader.readFixed}. */
  readBytes(): Uint8Array {
    const size = this.readLength()
    if (size < 0) throw this.corrupt(`Negative Avro bytes length ${size}`)
    return this.readFixed(size)
  }

  /** Length-prefixed UTF-8 (Avro `string`); invalid UTF-8 is corruption. */
  readString(): string {
    const size = this.readLength()
    if (size < 0) throw this.corrupt(`Negative Avro string length ${size}`)
    this.#need(size)
    const bytes = this.bytes
    const start = this.pos
    const end = start + size
    this.pos = end
    if (size < 48) {
      // Short ASCII strings (paths, names) decode faster by hand than through TextDecoder.
      let ascii = ''
      let i = start
      for (; i < end; i++) {
        const c = bytes[i]!
        if (c >= 0x80) break
        ascii += String.fromCharCode(c)
      }
      if (i === end) return ascii
    }
    try {
      return utf8Decoder.decode(bytes.subarray(start, end))
    } catch (cause) {
      this.pos = start
      throw this.corrupt('Avro string is not valid UTF-8', cause)
    }
  }
}
