import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { init } from '@bokuweb/zstd-wasm'
import { expect, it } from 'vitest'
import { HadoopCatalog } from '../src/catalog/hadoop-catalog.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'

// Runs in its own file, so its module instance is initialised here first, as an application would.
it('writes readable zstd files when the application initialised the zstd module before Lake', async () => {
  await init()
  const dir = await mkdtemp(join(tmpdir(), 'lake-zstd-'))
  try {
    const catalog = new HadoopCatalog({ warehouse: dir })
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.t', {
      schema: defineSchema({ id: col.long().required(), s: col.string() }),
    })
    for (let i = 0; i < 3; i++) {
      await table.append(
        Array.from({ length: 1000 }, (_, j) => ({ id: BigInt(i * 1000 + j), s: `value-${j % 7}` })),
      )
    }
    const read = await table.scan().toArrow()
    expect(read.numRows).toBe(3000)
    expect([...read.getChild('id')!.toArray()].reduce((a, b) => a + b, 0n)).toBe(4498500n)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
