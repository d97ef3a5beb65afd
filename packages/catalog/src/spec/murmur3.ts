/**
 * The spec's 32-bit hash (appendix B): Murmur3, x86 variant, 32 bits, seed 0, over the bytes
 * the spec prescribes for each type. `bucket[N]` partitions are derived from it, so a single
 * differing bit here puts rows in partitions no other engine will look in.
 *
 * @module
 */
import { ValidationError } from '@lake/errors'
import { isInt32, toBytes } from './conversions.js'
import { type PrimitiveType, primitiveToString } from './types.js'

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

function mixK(k: number): number {
  return Math.imul(rotl(Math.imul(k, C1), 15), C2)
}

function mixH(h: number, k: number): number {
  return (Math.imul(rotl(h ^ mixK(k), 13), 5) + 0xe6546b64) | 0
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

function finish(h: number, length: number): number {
  let f = h ^ length
  f = Math.imul(f ^ (f >>> 16), 0x85ebca6b)
  f = Math.imul(f ^ (f >>> 13), 0xc2b2ae35)
  return f ^ (f >>> 16)
}

/**
 * Murmur3 x86 32-bit with seed 0 over `bytes`, as a signed 32-bit integer: the value Java's
 * Guava `murmur3_32_fixed().hashBytes(bytes).asInt()` returns, which the spec's test values use.
 */
export function murmur3Hash32(bytes: Uint8Array): number {
  const blocks = bytes.length & ~3
  let h = 0
  for (let i = 0; i < blocks; i += 4) {
    h = mixH(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))
  }
  const tail = bytes.length - blocks
  if (tail > 0) {
    let k = bytes[blocks]!
    if (tail > 1) k |= bytes[blocks + 1]! << 8
    if (tail > 2) k |= bytes[blocks + 2]! << 16
    h ^= mixK(k)
  }
  return finish(h, bytes.length)
}

/** Murmur3 of an 8-byte little-endian long given as its low and high 32-bit words. */
function hashLongWords(low: number, high: number): number {
  return finish(mixH(mixH(0, low), high), 8)
}

function hashLong(value: bigint): number {
  return hashLongWords(Number(BigInt.asUintN(32, value)), Number(BigInt.asIntN(32, value >> 32n)))
}

const SCRATCH = new DataView(new ArrayBuffer(8))

/**
 * `hashLong(doubleToLongBits(v))` with the spec's canonical forms: every NaN hashes as
 * `0x7ff8000000000000` and `-0.0` as `0.0`, so equal values always share a bucket.
 */
function hashDouble(value: number): number {
  if (Number.isNaN(value)) return hashLongWords(0, 0x7ff80000)
  SCRATCH.setFloat64(0, value === 0 ? 0 : value, true)
  return hashLongWords(SCRATCH.getInt32(0, true), SCRATCH.getInt32(4, true))
}

/**
 * The spec's 32-bit hash of an internal value (see `types.ts`), as `bucket[N]` uses it.
 *
 * `int`, `date` and `boolean` are hashed as 8-byte longs, so promoting `int` to `long` keeps
 * every bucket (spec appendix B, note 1). The spec's table writes `hashInt` for `date` and
 * `boolean`, but its test values are those of Java's `BucketUtil.hash(int)`, which hashes the
 * long; a 4-byte hash would not match them. `float` is hashed as the `double` it widens to. The
 * variable-length types hash their binary single-value serialisation: UTF-8 for `string`, 16
 * big-endian bytes for `uuid`, the minimal two's-complement unscaled value for `decimal`.
 * `boolean`, `float` and `double` cannot be bucketed but are hashed as the spec defines them.
 *
 * @example
 * ```ts
 * hashValue(Types.string, 'iceberg') // 1210000089
 * ```
 */
export function hashValue(type: PrimitiveType, value: unknown): number {
  switch (type.kind) {
    case 'boolean':
      if (typeof value !== 'boolean') throw notHashable(type, value)
      return hashLongWords(value ? 1 : 0, 0)
    case 'int':
    case 'date':
      if (typeof value !== 'number' || !isInt32(value)) throw notHashable(type, value)
      return hashLongWords(value, value < 0 ? -1 : 0)
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      if (typeof value !== 'bigint') throw notHashable(type, value)
      return hashLong(value)
    case 'float':
    case 'double':
      if (typeof value !== 'number') throw notHashable(type, value)
      return hashDouble(value)
    default:
      return murmur3Hash32(toBytes(type, value))
  }
}

function notHashable(type: PrimitiveType, value: unknown): ValidationError {
  return new ValidationError(`A ${typeof value} is not an internal ${primitiveToString(type)} value`, {
    context: { type: primitiveToString(type) },
  })
}
