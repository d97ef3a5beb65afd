import { readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CorruptFileError, type LakeError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { eq } from '../src/expr/expressions.js'
import { toPath } from '../src/io/local.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import type { Table } from '../src/table/table.js'
import { listFiles, newCatalog, tableDir } from './helpers.js'

const schema = defineSchema({ id: col.long().required(), name: col.string(), amount: col.double() })

async function tableWithData(properties: Record<string, string> = {}) {
  const { catalog } = await newCatalog()
  await catalog.createNamespace('db')
  const table = await catalog.createTable('db.t', { schema, properties })
  await table.append(
    Array.from({ length: 500 }, (_, i) => ({ id: BigInt(i), name: `name-${i}`, amount: i / 3 })),
  )
  return { catalog, table }
}

async function failure(promise: Promise<unknown>): Promise<LakeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(CorruptFileError)
  return error as LakeError
}

/** Reads every batch, counting the rows that came out before the error. */
async function readAll(table: Table): Promise<number> {
  let rows = 0
  for await (const batch of table.scan().batches()) rows += batch.numRows
  return rows
}

function only(files: string[], pattern: RegExp): string {
  const matching = files.filter((f) => pattern.test(f))
  expect(matching).toHaveLength(1)
  return matching[0]!
}

describe('corrupt and truncated files', () => {
  it.each([
    ['truncated', (text: string): string | Uint8Array => text.slice(0, text.length / 2)],
    ['not JSON', () => '\u0000\u0001garbage'],
    ['JSON of the wrong shape', () => '{"format-version": 2}'],
    ['invalid UTF-8', () => new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
    ['empty', () => ''],
  ])('reports %s table metadata as CorruptFileError naming the file', async (_, corrupt) => {
    const { catalog, table } = await tableWithData()
    const path = toPath(table.metadataLocation)
    await writeFile(path, corrupt(await readFile(path, 'utf8')))
    const error = await failure(catalog.loadTable('db.t'))
    expect(error.context.file).toBe(table.metadataLocation)
    expect(error.message).toContain('v2.metadata.json')
    await failure(catalog.dropTable('db.t', { purge: true }))
  })

  it('reports truncated gzip table metadata as CorruptFileError naming the file', async () => {
    const { catalog, table } = await tableWithData({ 'write.metadata.compression-codec': 'gzip' })
    expect(table.metadataLocation).toMatch(/v2\.gz\.metadata\.json$/)
    await truncate(toPath(table.metadataLocation), 20)
    const error = await failure(catalog.loadTable('db.t'))
    expect(error.context.file).toBe(table.metadataLocation)
  })

  it('reports a truncated manifest list on scan and on delete, writing nothing', async () => {
    const { table } = await tableWithData()
    const manifestList = table.currentSnapshot()!.manifestList
    const bytes = await readFile(toPath(manifestList))
    await writeFile(toPath(manifestList), bytes.subarray(0, bytes.length - 40))
    const scanError = await failure(table.scan().planFiles())
    expect(scanError.context.file).toBe(manifestList)
    const files = await listFiles(tableDir(table))
    const deleteError = await failure(table.delete(eq('id', 1n)))
    expect(deleteError.context.file).toBe(manifestList)
    expect(await listFiles(tableDir(table))).toEqual(files)
  })

  it.each([
    ['truncated', (bytes: Buffer) => bytes.subarray(0, Math.floor(bytes.length * 0.6))],
    ['cut to its header', (bytes: Buffer) => bytes.subarray(0, 10)],
    [
      'with its block bytes overwritten',
      (bytes: Buffer) => {
        const copy = Buffer.from(bytes)
        copy.fill(0xff, copy.length - 120, copy.length - 20)
        return copy
      },
    ],
  ])('reports a manifest %s as CorruptFileError naming it', async (_, corrupt) => {
    const { table } = await tableWithData()
    const files = await listFiles(tableDir(table))
    const manifest = join(tableDir(table), only(files, /^metadata\/[0-9a-f-]{36}-m0\.avro$/))
    await writeFile(manifest, corrupt(await readFile(manifest)))
    const error = await failure(table.scan().toArrow())
    expect(error.context.file).toBe(`file:${manifest}`)
  })

  it('reports a manifest cut at a block boundary, though it still parses as Avro', async () => {
    const { table } = await tableWithData()
    const files = await listFiles(tableDir(table))
    const manifest = join(tableDir(table), only(files, /^metadata\/[0-9a-f-]{36}-m0\.avro$/))
    const bytes = await readFile(manifest)
    // The header ends with the file's sync marker, as every block does: keep the header only.
    const sync = bytes.subarray(bytes.length - 16)
    await writeFile(manifest, bytes.subarray(0, bytes.indexOf(sync) + 16))
    const error = await failure(table.scan().toArrow())
    expect(error.context.file).toBe(`file:${manifest}`)
    await failure(table.delete(eq('id', 1n)))
  })

  it.each([
    ['truncated to half', (bytes: Buffer) => bytes.subarray(0, Math.floor(bytes.length / 2))],
    ['missing its last byte', (bytes: Buffer) => bytes.subarray(0, bytes.length - 1)],
    [
      'with a corrupt footer',
      (bytes: Buffer) =>
        Buffer.concat([
          bytes.subarray(0, bytes.length - 40),
          Buffer.alloc(32, 7),
          bytes.subarray(bytes.length - 8),
        ]),
    ],
    [
      'with corrupt compressed pages',
      (bytes: Buffer) => {
        const copy = Buffer.from(bytes)
        copy.fill(0x5a, 64, Math.min(copy.length - 600, 1200))
        return copy
      },
    ],
    ['empty', () => Buffer.alloc(0)],
  ])(
    'reports a Parquet data file %s as CorruptFileError naming it, yielding no rows of it',
    async (_, corrupt) => {
      const { table } = await tableWithData()
      const files = await listFiles(tableDir(table))
      const data = join(tableDir(table), only(files, /\.parquet$/))
      await writeFile(data, corrupt(await readFile(data)))
      let rows = 0
      const error = await failure(
        (async () => {
          for await (const batch of table.scan().batches()) rows += batch.numRows
        })(),
      )
      expect(rows).toBe(0)
      expect(error.context.file).toBe(`file:${data}`)
      await failure(table.scan().toArrow())
      await failure(readAll(table))
    },
  )

  it('reports a corrupt data file during a rewriting delete and commits nothing', async () => {
    const { table } = await tableWithData()
    const files = await listFiles(tableDir(table))
    const data = join(tableDir(table), only(files, /\.parquet$/))
    const bytes = await readFile(data)
    await writeFile(data, bytes.subarray(0, bytes.length - 100))
    const location = table.metadataLocation
    const error = await failure(table.delete(eq('id', 7n)))
    expect(error.context.file).toBe(`file:${data}`)
    expect(table.metadataLocation).toBe(location)
    expect(await listFiles(tableDir(table))).toEqual(files)
  })
})
