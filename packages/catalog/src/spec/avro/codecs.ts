import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { UnsupportedError } from '@lake/errors'
import { snappyUncompress } from 'hyparquet'
import { decompressZstd } from 'hyparquet-compressors'
import type { ByteReader } from './binary.js'

/**
 * Block codecs of Avro object container files (Avro 1.11 spec, "Required Codecs" and "Optional
 * Codecs"). Java writes manifests with `deflate` by default, so deflate is read and written;
 * `snappy` and `zstandard` blocks are read, so files from writers configured for them open too.
 *
 * @module
 */

/** The codecs Lake writes. */
export type AvroWriteCodec = 'null' | 'deflate'

/** The codecs Lake reads. */
export const READABLE_CODECS = ['null', 'deflate', 'snappy', 'zstandard'] as const

/** Compresses one block's bytes. */
export function compressBlock(codec: AvroWriteCodec, data: Uint8Array): Uint8Array {
  return codec === 'deflate' ? plain(deflateRawSync(data)) : data
}

/**
 * Decompresses one block. `reader` is positioned after the block, so a corrupt block is reported
 * with the file and offset it came from.
 */
export function decompressBlock(codec: string, data: Uint8Array, reader: ByteReader): Uint8Array {
  switch (codec) {
    case 'null':
      return data
    case 'deflate':
      try {
        return plain(inflateRawSync(data))
      } catch (cause) {
        throw reader.corrupt('Avro deflate block does not inflate', cause)
      }
    case 'snappy':
      return unsnappy(data, reader)
    case 'zstandard':
      try {
        return decompressZstd(data)
      } catch (cause) {
        throw reader.corrupt('Avro zstandard block does not decompress', cause)
      }
    default:
      throw new UnsupportedError(
        `Avro codec '${codec}' is not supported (supported: ${READABLE_CODECS.join(', ')})`,
        {
          context: reader.file === undefined ? { codec } : { file: reader.file, codec },
        },
      )
  }
}

/** Node's `Buffer` as a plain `Uint8Array`, so decoded bytes compare equal to other `Uint8Array`s. */
function plain(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

/** Avro's snappy blocks are raw snappy followed by the big-endian CRC-32 of the uncompressed bytes. */
function unsnappy(data: Uint8Array, reader: ByteReader): Uint8Array {
  if (data.length < 5) throw reader.corrupt('Avro snappy block is too short')
  const body = data.subarray(0, data.length - 4)
  let length = 0
  let scale = 1
  for (let i = 0; i < 5; i++) {
    const b = body[i]
    if (b === undefined) throw reader.corrupt('Avro snappy block has a truncated length')
    length += (b & 0x7f) * scale
    if ((b & 0x80) === 0) break
    scale *= 0x80
  }
  const out = new Uint8Array(length)
  try {
    snappyUncompress(body, out)
  } catch (cause) {
    throw reader.corrupt('Avro snappy block does not decompress', cause)
  }
  const tail = data.subarray(data.length - 4)
  const expected = ((tail[0]! << 24) | (tail[1]! << 16) | (tail[2]! << 8) | tail[3]!) >>> 0
  if (crc32(out) !== expected) throw reader.corrupt('Avro snappy block fails its CRC-32 check')
  return out
}

let crcTable: Uint32Array | undefined

/** CRC-32 (IEEE), as Avro's snappy codec appends it. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
