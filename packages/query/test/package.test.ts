import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as query from '../src/index.js'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

describe('@lake/query package', () => {
  it('exports ESM and CJS with their types first, and the sources for the workspace', () => {
    expect(pkg.type).toBe('module')
    expect(pkg.sideEffects).toBe(false)
    const root = pkg.exports['.']
    expect(Object.keys(root)).toEqual(['lake-source', 'import', 'require'])
    expect(Object.keys(root.import)[0]).toBe('types')
    expect(Object.keys(root.require)[0]).toBe('types')
    expect(pkg.files).toContain('!src/**/*.test.ts')
  })

  it('depends at run time on @lake/errors, apache-arrow, fzstd (json+zstd segments) and zod only', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@lake/errors', 'apache-arrow', 'fzstd', 'zod'])
  })

  it('exposes exactly its public API', () => {
    expect(Object.keys(query).sort()).toEqual([
      'QueryCancelledError',
      'QueryResult',
      'TRINO_TYPE_METADATA',
      'createTrinoClient',
      'decimal',
      'parseTrinoType',
    ])
  })
})
