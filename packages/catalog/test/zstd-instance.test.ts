import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { compress, decompress, init } from '@bokuweb/zstd-wasm'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { compressors, decompressZstd } from 'hyparquet-compressors'
import { expect, it } from 'vitest'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import { ZstdCompressor } from '../src/writer/zstd.js'
import { newCatalog } from './helpers.js'

const rowsOf = (batch: number) =>
  Array.from({ length: 2000 }, (_, j) => ({
    id: BigInt(batch * 2000 + j),
    s: `batch ${batch} value ${j % 13}`,
  }))

// Runs in its own file, so the package's module instance starts uninitialised, as in an
// application that loads Lake first. Lake's first write happens before any `init()` here.
it("keeps Lake's zstd files intact when the application initialises the zstd module after Lake", async () => {
  const { catalog } = await newCatalog()
  await catalog.createNamespace('db')
  const table = await catalog.createTable('db.t', {
    schema: defineSchema({ id: col.long().required(), s: col.string() }),
  })
  await table.append(rowsOf(0))
  // Where native zstd loads, Lake's writer does not use WebAssembly: its instance is checked too.
  const lakeWasm = await ZstdCompressor.load()

  // The application initialises the package after Lake's first write, and it works for it.
  await init()
  const text = new TextEncoder().encode('the application compresses its own data '.repeat(100))
  expect(decompress(compress(text, 3))).toEqual(text)
  await table.append(rowsOf(1))

  // A second `init()` (a second library in the application, say) re-instantiates the package's
  // module once its asynchronous instantiation lands, after which the package's own frames are
  // corrupt; Lake's are not, as it compresses on an instance of its own.
  await init()
  await sleep(100)
  await table.append(rowsOf(2))

  const expected = [0, 1, 2].flatMap(rowsOf)
  const byId = (a: { id: bigint }, b: { id: bigint }) => Number(a.id - b.id)
  const read = await table.scan().toArrow()
  const scanned = read.toArray().map((r) => ({ id: r.id as bigint, s: r.s as string }))
  expect(scanned.sort(byId)).toEqual(expected)

  // Each file read directly by hyparquet, whose zstd decoder is not the package's.
  const files = (await table.scan().planFiles()).tasks.map((t) => fileURLToPath(t.dataFile.filePath))
  expect(files).toHaveLength(3)
  const direct: { id: bigint; s: string }[] = []
  for (const path of files) {
    const bytes = new Uint8Array(await readFile(path))
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    expect(parquetMetadata(file).row_groups[0]!.columns[0]!.meta_data!.codec).toBe('ZSTD')
    direct.push(...((await parquetReadObjects({ file, compressors })) as { id: bigint; s: string }[]))
  }
  expect(direct.sort(byId)).toEqual(expected)
  const page = new TextEncoder().encode('a page of Lake compressed after the inits '.repeat(50))
  expect(Uint8Array.from(decompressZstd(lakeWasm.compress(page, 3)))).toEqual(page)
})
