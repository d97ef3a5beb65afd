import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // import.meta.url in the CommonJS build too: the zstd writer finds its WebAssembly file with it.
  shims: true,
  // Optional dependencies with a native binary per platform: loaded at run time, if installed.
  external: ['@node-rs/crc32', '@toondepauw/node-zstd'],
})
