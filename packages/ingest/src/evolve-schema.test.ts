import { col, defineSchema, typeToString } from '@lake/catalog'
import { CommitConflictError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { fastRetries, localCatalog, tableRows } from '../test/helpers.js'
import { evolveSchema } from './evolve-schema.js'

const schema = defineSchema({
  id: col.long().required(),
  n: col.int(),
  device: col.struct({ os: col.string() }),
})

async function setup() {
  const catalog = await localCatalog()
  await catalog.createTable('db.t', { schema, properties: fastRetries })
  return catalog
}

const columns = (table: { schema(): { asStruct(): unknown } }) =>
  typeToString(table.schema().asStruct() as Parameters<typeof typeToString>[0])

describe('evolveSchema', () => {
  it('adds optional columns with fresh ids, inside existing structs, and widens int to long, in one schema commit', async () => {
    const catalog = await setup()
    const table = await catalog.loadTable('db.t')
    const before = table.metadata.schemas.length
    expect(
      await evolveSchema(table, [{ id: 1, n: 2 ** 33, device: { os: 'a', model: 'x' }, tags: ['a'] }]),
    ).toBe(true)
    expect(columns(table)).toBe(
      'struct<id: long, n: long, device: struct<os: string, model: string>, tags: list<string>>',
    )
    expect(table.metadata.schemas.length).toBe(before + 1)
    const model = table.schema().findFieldByName('device.model')!
    expect(model.required).toBe(false)
    expect(model.id).toBeGreaterThan(3)
    expect(await evolveSchema(table, [{ id: 2, device: { model: 'y' } }])).toBe(false)
  })

  it('keeps rows written before the change readable: the new columns read null for them', async () => {
    const catalog = await setup()
    const table = await catalog.loadTable('db.t')
    await table.append([{ id: 1n, n: 5, device: { os: 'a' } }])
    await evolveSchema(table, [{ id: 2, n: 2 ** 33, country: 'nl', device: { os: 'b', model: 'x' } }])
    await table.append([{ id: 2n, n: 2n ** 33n, country: 'nl', device: { os: 'b', model: 'x' } }])
    const rows = (await tableRows(table)).sort((a, b) => Number(a.id) - Number(b.id))
    expect(rows.map((r) => [r.id, r.n, r.country, (r.device as { toJSON(): unknown }).toJSON()])).toEqual([
      [1n, 5n, null, { os: 'a', model: null }],
      [2n, 2n ** 33n, 'nl', { os: 'b', model: 'x' }],
    ])
  })

  it('uses a column another writer added meanwhile with the same type, and keeps one added with another', async () => {
    const catalog = await setup()
    const mine = await catalog.loadTable('db.t')
    const theirs = await catalog.loadTable('db.t')
    await evolveSchema(theirs, [{ id: 1, country: 'nl', score: 'high' }])
    // `mine` still holds the old schema: its commit conflicts, it reloads and finds country there.
    expect(await evolveSchema(mine, [{ id: 2, country: 'de', score: 3, city: 'x' }])).toBe(true)
    expect(columns(mine)).toBe(
      'struct<id: long, n: int, device: struct<os: string>, country: string, score: string, city: string>',
    )
    expect((await catalog.loadTable('db.t')).schema().schemaId).toBe(mine.schema().schemaId)
  })

  it('gives up after its retries when other schema changes keep landing first', async () => {
    const catalog = await setup()
    const mine = await catalog.loadTable('db.t')
    const theirs = await catalog.loadTable('db.t')
    await evolveSchema(theirs, [{ other: 1 }])
    await expect(evolveSchema(mine, [{ mine: 1 }], { retries: 0 })).rejects.toBeInstanceOf(
      CommitConflictError,
    )
  })
})
