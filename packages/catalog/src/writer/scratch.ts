/**
 * Memory a row group's encoding borrows and gives back once the row group is written: its rows
 * gathered into one column each, its pages before compression, its dictionary indexes. Those
 * arrays are large and live for one row group, and an ingest worker writes a row group every few
 * seconds; allocated afresh, each is an `ArrayBuffer` outside V8's heap that, megabytes at a
 * time, makes V8 collect its whole heap again and again. Borrowed from a pool, the same buffers
 * are filled row group after row group.
 *
 * A {@link Scratch} hands out arrays that are not zeroed: whoever takes one writes every element
 * it reads. {@link Scratch.release} gives them all back at once, when nothing holds them any
 * more (the row group's bytes are in the file, its compressions done). Buffers of 16 KiB and
 * more are pooled, in power-of-two sizes, up to {@link POOL_BYTES} kept between row groups;
 * smaller arrays are allocated as usual.
 *
 * Pure code: no I/O.
 *
 * @module
 */

/** Arrays below this many bytes are allocated as usual: V8 handles small ones well. */
const MIN_POOLED = 16 * 1024

/** The most bytes of free buffers the pool keeps between row groups. */
export const POOL_BYTES = 64 * 1024 * 1024

/** Free buffers by size (a power of two). */
const free = new Map<number, ArrayBuffer[]>()
let freeBytes = 0

/** Where encoding takes its large arrays from: a {@link Scratch}, or {@link FRESH}. */
export interface Lender {
  /** `length` bytes; not zeroed, unless the lender says so. */
  bytes(length: number): Uint8Array
  int32(length: number): Int32Array
  bigint64(length: number): BigInt64Array
  float32(length: number): Float32Array
  float64(length: number): Float64Array
}

/** Arrays allocated as usual, zeroed, and never given back: for a caller without a {@link Scratch}. */
export const FRESH: Lender = {
  bytes: (length) => new Uint8Array(length),
  int32: (length) => new Int32Array(length),
  bigint64: (length) => new BigInt64Array(length),
  float32: (length) => new Float32Array(length),
  float64: (length) => new Float64Array(length),
}

/** Arrays borrowed for one row group, given back together. */
export class Scratch implements Lender {
  readonly #taken: ArrayBuffer[] = []

  /** `length` bytes, not zeroed. */
  bytes(length: number): Uint8Array {
    return new Uint8Array(this.#buffer(length), 0, length)
  }

  /** `length` 32-bit integers, not zeroed. */
  int32(length: number): Int32Array {
    return new Int32Array(this.#buffer(4 * length), 0, length)
  }

  /** `length` values of 8 bytes, not zeroed. */
  bigint64(length: number): BigInt64Array {
    return new BigInt64Array(this.#buffer(8 * length), 0, length)
  }

  float32(length: number): Float32Array {
    return new Float32Array(this.#buffer(4 * length), 0, length)
  }

  float64(length: number): Float64Array {
    return new Float64Array(this.#buffer(8 * length), 0, length)
  }

  /** Gives every array taken back to the pool: none of them may be read or written after. */
  release(): void {
    for (const buffer of this.#taken) {
      if (freeBytes + buffer.byteLength > POOL_BYTES) continue
      const list = free.get(buffer.byteLength)
      if (list) list.push(buffer)
      else free.set(buffer.byteLength, [buffer])
      freeBytes += buffer.byteLength
    }
    this.#taken.length = 0
  }

  #buffer(bytes: number): ArrayBuffer {
    if (bytes < MIN_POOLED) return new ArrayBuffer(bytes)
    const size = 2 ** Math.ceil(Math.log2(bytes))
    let buffer = free.get(size)?.pop()
    if (buffer) freeBytes -= size
    else buffer = new ArrayBuffer(size)
    this.#taken.push(buffer)
    return buffer
  }
}
