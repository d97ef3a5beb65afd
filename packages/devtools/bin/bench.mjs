#!/usr/bin/env node
// `pnpm bench <suite>`: runs one benchmark suite (or all) and prints its results as Markdown,
// ready for docs/benchmarks.md. Each suite compares Lake with a baseline in the same process.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const suites = {}
for (const pkg of readdirSync(join(root, 'packages'))) {
  let files = []
  try {
    files = readdirSync(join(root, 'packages', pkg, 'bench'))
  } catch {
    continue
  }
  for (const file of files) {
    const match = /^(.*)\.bench\.ts$/.exec(file)
    if (!match) continue
    // A suite is named by its file: packages/catalog/bench/avro.bench.ts is `pnpm bench avro`.
    suites[match[1]] = [...(suites[match[1]] ?? []), join(root, 'packages', pkg, 'bench', file)]
  }
}

const wanted = process.argv[2]
if (!wanted || !(wanted in suites || wanted === 'all')) {
  console.error(`usage: pnpm bench <${[...Object.keys(suites), 'all'].join('|')}> [args]`)
  process.exit(2)
}
const selected = wanted === 'all' ? Object.values(suites).flat() : suites[wanted]
for (const file of selected) {
  console.error(`==> ${file.slice(root.length + 1)}`)
  const result = spawnSync(
    'node',
    ['--expose-gc', '--conditions=lake-source', '--import', 'tsx', file, ...process.argv.slice(3)],
    { stdio: 'inherit', cwd: root },
  )
  if (result.status !== 0) process.exit(result.status ?? 1)
}
