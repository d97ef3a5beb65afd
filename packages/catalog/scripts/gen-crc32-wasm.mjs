// Compiles src/io/crc32.wat into src/io/crc32-wasm.ts (the module's bytes, base64), so the
// published package needs no WebAssembly toolchain. `pnpm --filter @lake/catalog gen:crc32`;
// src/io/crc32.test.ts fails when the two drift apart.
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { compileCrc32Wat } from './crc32-wat.mjs'

const wat = fileURLToPath(new URL('../src/io/crc32.wat', import.meta.url))
const target = fileURLToPath(new URL('../src/io/crc32-wasm.ts', import.meta.url))
const bytes = await compileCrc32Wat(await readFile(wat, 'utf8'))
await writeFile(
  target,
  `// Generated from crc32.wat by scripts/gen-crc32-wasm.mjs: do not edit.\n\n/** The CRC-32 WebAssembly module of \`crc32.wat\`, base64. */\nexport const CRC32_WASM = '${Buffer.from(bytes).toString('base64')}'\n`,
)
console.log(`${target}: ${bytes.length} bytes of WebAssembly`)
