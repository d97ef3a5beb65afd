/**
 * The CRC-32 checksums HDFS keeps for every 512 bytes of a block: CRC-32C (Castagnoli), the
 * default (`dfs.checksum.type` CRC32C), and CRC-32 (the IEEE/zlib polynomial) of older
 * clusters. No I/O.
 *
 * The loop is WebAssembly (`crc32.wat`, slicing-by-16 over 32-bit words, three instructions a
 * table lookup): measured at 1.3–1.6 GiB/s here, bytes copied in included, where the same loop
 * in JavaScript ran at 0.4–0.8 GiB/s (docs/decisions/0002). The tables are built here and
 * written into the module's memory when the kind changes; the bytes to check are copied in for
 * each call (a packet of 64 KiB at a time).
 *
 * Given {@link NativeCrc} functions (the CPU's CRC instructions, `crc32-native.ts`),
 * {@link verifyCrc32} checks a packet with one native call over all of it: CRCs are linear, so
 * the CRC the whole packet must have follows from its 512-byte pieces' checksums (zlib's
 * `crc32_combine`), and only a mismatch makes the WebAssembly loop find the piece at fault.
 *
 * @module
 */
import { CRC32_WASM } from './crc32-wasm.js'

/** Which CRC: HDFS's `ChecksumTypeProto` CRC32C or CRC32. */
export type CrcKind = 'crc32c' | 'crc32'

/** The reflected polynomials: Castagnoli 0x1EDC6F41 and IEEE 802.3 0x04C11DB7. */
const POLYNOMIALS: Record<CrcKind, number> = { crc32c: 0x82f63b78, crc32: 0xedb88320 }
/** The bytes to check go after the 16 KiB of tables at address 0. */
const DATA_AT = 64 * 1024
/** Bytes copied in per call of {@link crc32}. */
const PIECE = 1024 * 1024
const PAGE = 64 * 1024

/** The 16 slicing tables of 256 entries of a reflected polynomial. */
function buildTables(polynomial: number): Int32Array {
  const tables = new Int32Array(16 * 256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1
    tables[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!
    for (let slice = 1; slice < 16; slice++) {
      c = tables[c & 0xff]! ^ (c >>> 8)
      tables[slice * 256 + n] = c
    }
  }
  return tables
}

/** The part of the WebAssembly JS API used here (the project's `lib`, without DOM, omits it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => { exports: unknown }
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

/** The exports of `crc32.wat`. */
interface Crc32Module {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number }
  crc(crc: number, start: number, end: number): number
  verify(start: number, end: number, perChecksum: number, sums: number): number
}

let instance: Crc32Module | undefined
/** Whose tables are at address 0 (a cluster uses one kind, so they are rarely rewritten). */
let loaded: CrcKind | undefined
const tables: Partial<Record<CrcKind, Int32Array>> = {}

/** The module, instantiated on first use (600 bytes: compiled synchronously), with `kind`'s tables loaded. */
function wasm(kind: CrcKind): Crc32Module {
  if (!instance) {
    if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
      // WebAssembly memory is little-endian; the tables are written through an Int32Array.
      throw new Error('CRC-32 tables need a little-endian platform')
    }
    const module = new Wasm.Module(Buffer.from(CRC32_WASM, 'base64'))
    instance = new Wasm.Instance(module).exports as Crc32Module
  }
  if (loaded !== kind) {
    tables[kind] ??= buildTables(POLYNOMIALS[kind])
    new Int32Array(instance.memory.buffer, 0, 16 * 256).set(tables[kind])
    loaded = kind
  }
  return instance
}

/** The module's memory as bytes, grown to hold `bytes` from {@link DATA_AT}. */
function memoryFor(module: Crc32Module, bytes: number): Uint8Array {
  const needed = DATA_AT + bytes
  const have = module.memory.buffer.byteLength
  if (needed > have) module.memory.grow(Math.ceil((needed - have) / PAGE))
  return new Uint8Array(module.memory.buffer)
}

/**
 * CRC functions over whole byte ranges, computed natively (the shape of `@node-rs/crc32`'s
 * exports): each returns the unsigned CRC of `input`.
 */
export interface NativeCrc {
  crc32c(input: Uint8Array): number
  crc32(input: Uint8Array): number
}

/**
 * The linear map "append `length` zero bytes" on a raw CRC register (multiplication by
 * x^(8·length) modulo the polynomial), as four 256-entry tables, one per byte of the register:
 * with it `crc(a ‖ b) = shift(crc(a)) ^ crc(b)` for any `b` of `length` bytes.
 */
function shiftTables(kind: CrcKind, length: number): Int32Array {
  tables[kind] ??= buildTables(POLYNOMIALS[kind])
  const byteTable = tables[kind]
  const images = new Int32Array(32)
  for (let bit = 0; bit < 32; bit++) {
    let c = 1 << bit
    for (let n = 0; n < length; n++) c = byteTable[c & 0xff]! ^ (c >>> 8)
    images[bit] = c
  }
  const shift = new Int32Array(4 * 256)
  for (let slot = 0; slot < 4; slot++) {
    for (let value = 0; value < 256; value++) {
      let c = 0
      for (let bit = 0; bit < 8; bit++) if (value & (1 << bit)) c ^= images[slot * 8 + bit]!
      shift[slot * 256 + value] = c
    }
  }
  return shift
}

const shifts = new Map<string, Int32Array>()
/** Pieces up to this size are combined (their tables take 32 × size steps to build, once). */
const LARGEST_COMBINED_PIECE = 64 * 1024

/** The big-endian checksum at `checksums[at…]`, as a signed 32-bit number (compared with `^`). */
function checksumAt(checksums: Uint8Array, at: number): number {
  return (checksums[at]! << 24) | (checksums[at + 1]! << 16) | (checksums[at + 2]! << 8) | checksums[at + 3]!
}

/**
 * {@link verifyCrc32} through `native`: the CRC the pieces' checksums imply for all whole pieces
 * together, against one native CRC of them, then the short last piece on its own. Returns -1
 * when all match, the index of a short last piece that differs, or -2 when the whole pieces do
 * not match (which one is at fault is then left to the WebAssembly loop).
 */
function verifyNative(
  native: NativeCrc,
  kind: CrcKind,
  bytes: Uint8Array,
  start: number,
  end: number,
  bytesPerChecksum: number,
  checksums: Uint8Array,
  checksumsAt: number,
): number {
  const crcOf = kind === 'crc32c' ? native.crc32c : native.crc32
  if (bytesPerChecksum > LARGEST_COMBINED_PIECE) {
    // Pieces this large are worth a native call each (and building their tables is not).
    for (let piece = 0, from = start; from < end; piece++, from += bytesPerChecksum) {
      const sum = checksumAt(checksums, checksumsAt + piece * 4)
      if ((crcOf(bytes.subarray(from, Math.min(end, from + bytesPerChecksum))) ^ sum) !== 0) return piece
    }
    return -1
  }
  const whole = Math.floor((end - start) / bytesPerChecksum)
  const key = `${kind}:${bytesPerChecksum}`
  let shift = shifts.get(key)
  if (!shift) {
    shift = shiftTables(kind, bytesPerChecksum)
    shifts.set(key, shift)
  }
  let expected = 0
  let at = checksumsAt
  for (let piece = 0; piece < whole; piece++, at += 4) {
    const sum = checksumAt(checksums, at)
    expected =
      shift[expected & 0xff]! ^
      shift[256 + ((expected >>> 8) & 0xff)]! ^
      shift[512 + ((expected >>> 16) & 0xff)]! ^
      shift[768 + (expected >>> 24)]! ^
      sum
  }
  const wholeEnd = start + whole * bytesPerChecksum
  if (whole > 0 && (crcOf(bytes.subarray(start, wholeEnd)) ^ expected) !== 0) return -2
  if (wholeEnd < end && (crcOf(bytes.subarray(wholeEnd, end)) ^ checksumAt(checksums, at)) !== 0) return whole
  return -1
}

/**
 * The CRC of `bytes[start, end)`, continuing from `crc` (the result of the bytes before, 0 for
 * none), as an unsigned 32-bit number.
 *
 * @example
 * ```ts
 * crc32('crc32c', new TextEncoder().encode('123456789')) // 0xe3069283
 * ```
 */
export function crc32(kind: CrcKind, bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  const module = wasm(kind)
  const memory = memoryFor(module, Math.min(PIECE, end - start))
  let value = crc
  for (let at = start; at < end; at += PIECE) {
    const stop = Math.min(end, at + PIECE)
    memory.set(bytes.subarray(at, stop), DATA_AT)
    value = module.crc(value, DATA_AT, DATA_AT + (stop - at))
  }
  return value >>> 0
}

/**
 * Checks `bytes[start, end)` against big-endian CRC values at `checksums[checksumsAt…]`, one for
 * each `bytesPerChecksum` bytes (the last piece may be shorter), as HDFS sends them with a
 * packet of block data. Returns the index of the first piece whose checksum differs, or -1 when
 * all match. With `native`, the pieces are checked with the CPU's CRC instructions (see the
 * module's description); the answer is the same.
 */
export function verifyCrc32(
  kind: CrcKind,
  bytes: Uint8Array,
  start: number,
  end: number,
  bytesPerChecksum: number,
  checksums: Uint8Array,
  checksumsAt = 0,
  native?: NativeCrc,
): number {
  const length = end - start
  if (length <= 0) return -1
  const sumsLength = Math.ceil(length / bytesPerChecksum) * 4
  if (checksumsAt + sumsLength > checksums.length) {
    throw new RangeError(`${sumsLength} bytes of checksums needed, ${checksums.length - checksumsAt} given`)
  }
  if (native) {
    const found = verifyNative(native, kind, bytes, start, end, bytesPerChecksum, checksums, checksumsAt)
    if (found !== -2) return found
  }
  const module = wasm(kind)
  // The data, then its checksums at the next 4-byte boundary.
  const sumsAt = DATA_AT + Math.ceil(length / 4) * 4
  const memory = memoryFor(module, sumsAt - DATA_AT + sumsLength)
  memory.set(bytes.subarray(start, end), DATA_AT)
  memory.set(checksums.subarray(checksumsAt, checksumsAt + sumsLength), sumsAt)
  return module.verify(DATA_AT, DATA_AT + length, bytesPerChecksum, sumsAt)
}
