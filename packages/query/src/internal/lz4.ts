/**
 * Decompression of one LZ4 block (the raw block format, no frame), as Trino's `json+lz4`
 * encoding compresses each spooled segment; the segment's metadata carries the uncompressed
 * size the block format itself does not.
 *
 * @module
 */

/**
 * Decompresses the LZ4 block `src` into exactly `size` bytes.
 *
 * @throws RangeError when the block is malformed or does not decompress to `size` bytes
 */
export function lz4DecompressBlock(src: Uint8Array, size: number): Buffer {
  const out = Buffer.allocUnsafe(size)
  const end = src.length
  let i = 0
  let o = 0
  while (i < end) {
    const token = src[i++]!
    let literals = token >>> 4
    if (literals === 15) {
      let b = 255
      while (b === 255 && i < end) {
        b = src[i++]!
        literals += b
      }
    }
    if (i + literals > end || o + literals > size) throw new RangeError(`LZ4 literals overrun at byte ${i}`)
    // Most runs are a few bytes: a loop beats the subarray a bulk copy needs.
    if (literals < 32) for (const stop = i + literals; i < stop; ) out[o++] = src[i++]!
    else {
      out.set(src.subarray(i, i + literals), o)
      i += literals
      o += literals
    }
    // The last sequence has literals only.
    if (i === end) break
    if (i + 2 > end) throw new RangeError(`LZ4 block ends inside a match offset at byte ${i}`)
    const offset = src[i]! | (src[i + 1]! << 8)
    i += 2
    if (offset === 0 || offset > o)
      throw new RangeError(`LZ4 match offset ${offset} at byte ${i - 2} is invalid`)
    let length = token & 15
    if (length === 15) {
      let b = 255
      while (b === 255 && i < end) {
        b = src[i++]!
        length += b
      }
    }
    length += 4
    if (o + length > size) throw new RangeError(`LZ4 match overruns the ${size} bytes declared at byte ${i}`)
    let from = o - offset
    if (length >= 32 && offset >= length) {
      out.copyWithin(o, from, from + length)
      o += length
    } else {
      // Short, or overlapping (repeating the bytes it is still writing): byte by byte.
      for (const stop = o + length; o < stop; ) out[o++] = out[from++]!
    }
  }
  if (o !== size) throw new RangeError(`LZ4 block decompressed to ${o} bytes, ${size} declared`)
  return out
}
