/**
 * Loads native zstd compression for Parquet pages: the optional dependency
 * `@toondepauw/node-zstd` (libzstd through the `zstd` crate, as prebuilt N-API binaries). When
 * it is not installed, has no binary for this platform, or fails its check, pages are compressed
 * by Lake's WebAssembly build (`zstd.ts`). See docs/decisions/0007.
 *
 * @module
 */
import { decompressZstd } from 'hyparquet-compressors'
import type { Zstd } from './zstd.js'

/** The addon's encoder: one per compression level. */
interface NativeEncoder {
  encodeSync(data: Buffer): Buffer
  /** On libuv's thread pool (an N-API async task). */
  encode(data: Buffer): Promise<Buffer>
}
interface NativeZstdModule {
  Encoder: new (level: number) => NativeEncoder
}

/** zstd on the addon's encoders, one per level, made on first use of the level. */
class NativeZstd implements Zstd {
  readonly kind = 'native'
  readonly #module: NativeZstdModule
  readonly #encoders = new Map<number, NativeEncoder>()

  constructor(module: NativeZstdModule) {
    this.#module = module
  }

  compress(input: Uint8Array, level: number): Uint8Array {
    // A view of the same bytes: the addon reads them in place.
    return this.#encoder(level).encodeSync(Buffer.from(input.buffer, input.byteOffset, input.byteLength))
  }

  compressAsync(input: Uint8Array, level: number): Promise<Uint8Array> {
    return this.#encoder(level).encode(Buffer.from(input.buffer, input.byteOffset, input.byteLength))
  }

  #encoder(level: number): NativeEncoder {
    let encoder = this.#encoders.get(level)
    if (encoder === undefined) {
      encoder = new this.#module.Encoder(level)
      this.#encoders.set(level, encoder)
    }
    return encoder
  }
}

/**
 * The addon's compressor when it round-trips a sample through the zstd decoder Lake reads
 * Parquet with (hyparquet-compressors), at levels 1 and 3; else undefined.
 */
function checked(module: Partial<NativeZstdModule> | undefined): Zstd | undefined {
  if (typeof module?.Encoder !== 'function' || typeof module.Encoder.prototype?.encode !== 'function')
    return undefined
  const zstd = new NativeZstd(module as NativeZstdModule)
  const sample = new TextEncoder().encode('Lake checks its zstd compressor. '.repeat(64))
  for (const level of [1, 3]) {
    const frame = zstd.compress(sample, level)
    const back = decompressZstd(frame)
    if (back.length !== sample.length || !back.every((b, i) => b === sample[i])) return undefined
  }
  return zstd
}

let loading: Promise<Zstd | undefined> | undefined

/**
 * The native zstd compressor, loaded once; `undefined` when `@toondepauw/node-zstd` cannot be
 * loaded here or does not round-trip its check.
 */
export function loadNativeZstd(): Promise<Zstd | undefined> {
  loading ??= import('@toondepauw/node-zstd').then(
    (module: Partial<NativeZstdModule> & { default?: Partial<NativeZstdModule> }) => {
      try {
        return checked(typeof module.Encoder === 'function' ? module : module.default)
      } catch {
        return undefined
      }
    },
    () => undefined,
  )
  return loading
}
