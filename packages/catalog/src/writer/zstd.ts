/**
 * zstd compression on an instance of the zstd WebAssembly build that belongs to Lake alone.
 *
 * @bokuweb/zstd-wasm keeps one module-wide instance behind its `compress`: a second `init()`
 * (an application's, after Lake's, or the other way round) instantiates the module again and
 * points the shared heap views at the new memory, while the exports already bound keep running
 * in the old instance, so every frame compressed after it is silently corrupt. Lake therefore
 * instantiates the package's own `zstd.wasm` itself, with the imports its Emscripten glue would
 * give, and never touches the package's singleton: nothing an application does with the package
 * reaches this instance, and nothing Lake does reaches the application's.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** The part of the WebAssembly JS API used here: Node has it, but the project's `lib` (no DOM) does not declare it. */
interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>
  instantiate(module: object, imports: object): Promise<{ exports: Record<string, unknown> }>
  Memory: abstract new (...args: never[]) => WasmMemory
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

/** The exports of @bokuweb/zstd-wasm 0.0.27's `zstd.wasm`, by the names its glue (`zstd.js`) reads. */
interface ZstdWasm {
  /** `f`: the instance's memory. */
  memory: WasmMemory
  /** `g`: `__wasm_call_ctors`, run once before anything else. */
  init: () => void
  /** `h`: `ZSTD_isError(code)`. */
  isError: (code: number) => number
  /** `i`: `ZSTD_compressBound(size)`. */
  compressBound: (size: number) => number
  /** `m`: `ZSTD_compress(dst, dstCapacity, src, srcSize, level)`. */
  compress: (dst: number, capacity: number, src: number, size: number, level: number) => number
  /** `s`: `malloc(size)`. */
  malloc: (size: number) => number
  /** `t`: `free(pointer)`. */
  free: (pointer: number) => void
}

/** wasm32's limit, as the glue's `getHeapMax`. */
const HEAP_MAX = 2 ** 31
const PAGE = 65_536

/** A zstd compressor: one frame of the input at a level. */
export interface Zstd {
  /** `native` (`zstd-native.ts`) or Lake's WebAssembly build. */
  readonly kind: 'native' | 'wasm'
  compress(input: Uint8Array, level: number): Uint8Array
  /**
   * The same frame, compressed off the calling thread (the native library on libuv's threads);
   * `input` must not change until it settles.
   */
  compressAsync?(input: Uint8Array, level: number): Promise<Uint8Array>
}

/** A zstd compressor on its own WebAssembly instance; see the module comment for why. */
export class ZstdCompressor implements Zstd {
  readonly kind = 'wasm'
  readonly #wasm: ZstdWasm

  private constructor(wasm: ZstdWasm) {
    this.#wasm = wasm
  }

  /** Instantiates a new compressor from the package's `zstd.wasm`. */
  static async load(): Promise<ZstdCompressor> {
    const require = createRequire(import.meta.url)
    const file = join(dirname(require.resolve('@bokuweb/zstd-wasm')), 'zstd.wasm')
    const module = await Wasm.compile(await readFile(file))
    let memory: WasmMemory | undefined
    const fail = (what: string) => () => {
      throw new Error(`zstd WebAssembly ${what}`)
    }
    const imports = {
      a: {
        a: fail('exited'), // proc_exit
        b: () => {}, // emscripten_runtime_keepalive_clear
        c: fail('aborted'), // abort
        d: () => 0, // setitimer: zstd sets no timer
        e: (requested: number) => growHeap(memory!, requested >>> 0), // emscripten_resize_heap
      },
    }
    const { exports } = await Wasm.instantiate(module, imports)
    const wasm = bind(exports)
    memory = wasm.memory
    wasm.init()
    return new ZstdCompressor(wasm)
  }

  /** One zstd frame of `input` at `level`, as the package's `compress` makes it. */
  compress(input: Uint8Array, level: number): Uint8Array {
    const wasm = this.#wasm
    const bound = wasm.compressBound(input.byteLength)
    const dst = wasm.malloc(bound)
    const src = wasm.malloc(input.byteLength)
    try {
      if (dst === 0 || src === 0) throw new RangeError(`zstd cannot allocate ${bound} bytes`)
      // Views are made after malloc: a grown memory detaches the old buffer.
      new Uint8Array(wasm.memory.buffer, src, input.byteLength).set(input)
      const size = wasm.compress(dst, bound, src, input.byteLength, level) >>> 0
      if (wasm.isError(size)) throw new Error(`zstd compression failed with code ${size}`)
      return new Uint8Array(wasm.memory.buffer, dst, size).slice()
    } finally {
      wasm.free(src)
      wasm.free(dst)
    }
  }
}

/** The exports by name, or an error when the build is not the one these names belong to. */
function bind(exports: Record<string, unknown>): ZstdWasm {
  const fn = (name: string) => {
    const value = exports[name]
    if (typeof value !== 'function') throw new Error(`zstd.wasm has no function export '${name}'`)
    return value as (...args: number[]) => number
  }
  const memory = exports.f
  if (!(memory instanceof Wasm.Memory)) throw new Error("zstd.wasm has no memory export 'f'")
  return {
    memory,
    init: fn('g'),
    isError: fn('h'),
    compressBound: fn('i'),
    compress: fn('m'),
    malloc: fn('s'),
    free: fn('t'),
  }
}

/** Grows memory to hold `requested` bytes, as the glue's `_emscripten_resize_heap`: 1 on success. */
function growHeap(memory: WasmMemory, requested: number): number {
  const current = memory.buffer.byteLength
  if (requested > HEAP_MAX) return 0
  // Over-grow by up to 20% (capped at 96 MiB beyond the request), retrying smaller on failure.
  for (let cutDown = 1; cutDown <= 4; cutDown *= 2) {
    const overGrown = Math.min(current * (1 + 0.2 / cutDown), requested + 100_663_296)
    const size = Math.min(HEAP_MAX, Math.ceil(Math.max(requested, overGrown) / PAGE) * PAGE)
    try {
      memory.grow(Math.ceil((size - current) / PAGE))
      return 1
    } catch {
      // try a smaller step
    }
  }
  return 0
}
