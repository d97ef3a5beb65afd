#!/usr/bin/env node
// Checks the built packages as users load them: every published package's CommonJS and ESM
// entries load and export the same names, and a table is created, appended to (a commit, through
// the retry policy) and scanned with each build of @lake/catalog. Run after `pnpm run build`.
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const packages = ['errors', 'catalog', 'query', 'ingest']
const require = createRequire(import.meta.url)
let failed = false

async function load(name) {
  const dist = join(root, 'packages', name, 'dist')
  const cjs = require(join(dist, 'index.cjs'))
  const esm = await import(pathToFileURL(join(dist, 'index.js')).href)
  return { cjs, esm }
}

async function roundTrip(catalog, form) {
  const warehouse = await mkdtemp(join(tmpdir(), `lake-dist-${form}-`))
  try {
    const { HadoopCatalog, defineSchema, col } = catalog
    const lake = new HadoopCatalog({ warehouse })
    await lake.createNamespace('db')
    const table = await lake.createTable('db.t', {
      schema: defineSchema({ id: col.long(), name: col.string() }),
    })
    await table.append([
      { id: 1n, name: 'a' },
      { id: 2n, name: 'b' },
    ])
    const rows = (await table.scan().toArrow()).numRows
    if (rows !== 2) throw new Error(`scanned ${rows} rows, not 2`)
  } finally {
    await rm(warehouse, { recursive: true, force: true })
  }
}

for (const name of packages) {
  try {
    const { cjs, esm } = await load(name)
    const a = Object.keys(cjs).sort().join(',')
    const b = Object.keys(esm).sort().join(',')
    if (a !== b) throw new Error(`CommonJS exports ${a}; ESM exports ${b}`)
    if (name === 'catalog') {
      await roundTrip(cjs, 'cjs')
      await roundTrip(esm, 'esm')
    }
    console.log(`@lake/${name}: CommonJS and ESM builds load${name === 'catalog' ? ', append and scan' : ''}`)
  } catch (error) {
    failed = true
    console.error(`@lake/${name}: ${error.stack ?? error}`)
  }
}
process.exit(failed ? 1 : 0)
