/**
 * Loads the CPU's own CRC instructions for `verifyCrc32`: the optional dependency
 * `@node-rs/crc32` (SSE 4.2 / PCLMULQDQ on x86-64, the CRC extension on ARMv8, as prebuilt
 * N-API binaries). When it is not installed, or has no binary for this platform, checks stay
 * on the WebAssembly loop of `crc32.ts`.
 *
 * @module
 */
import type { NativeCrc } from './crc32.js'

let loading: Promise<NativeCrc | undefined> | undefined

/** Functions that give the published check values, or nothing. */
function checked(candidate: Partial<NativeCrc> | undefined): NativeCrc | undefined {
  const { crc32c, crc32 } = candidate ?? {}
  if (typeof crc32c !== 'function' || typeof crc32 !== 'function') return undefined
  const nine = new TextEncoder().encode('123456789')
  if (crc32c(nine) !== 0xe3069283 || crc32(nine) !== 0xcbf43926) return undefined
  return { crc32c, crc32 }
}

/**
 * The native CRC functions, loaded once; `undefined` when `@node-rs/crc32` cannot be loaded here
 * or does not give the CRC-32C and CRC-32 check values.
 */
export function loadNativeCrc(): Promise<NativeCrc | undefined> {
  loading ??= import('@node-rs/crc32').then(
    (module: Partial<NativeCrc> & { default?: Partial<NativeCrc> }) =>
      checked(typeof module.crc32c === 'function' ? module : module.default),
    () => undefined,
  )
  return loading
}
