import { CommitConflictError, NotFoundError, ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import { newTableMetadata, type TableMetadata } from '../src/spec/table-metadata.js'
import type { TableRequirement, TableUpdate } from '../src/spec/table-update.js'
import { parseTransform } from '../src/spec/transform.js'
import { newCatalog, scanRows } from './helpers.js'

// A REST create transaction (stage-create, then one commit) reaches the Hadoop catalog as a
// commit with `assert-create` whose updates build the table from nothing, as Java sends them.

const { schema } = defineSchema({ id: col.long().required(), ts: col.timestamptz(), kind: col.string() })

function staged(location: string): TableMetadata {
  return newTableMetadata({
    schema,
    spec: { fields: [{ sourceId: 2, name: 'ts_day', transform: parseTransform('day') }] },
    sortOrder: {
      orderId: 1,
      fields: [
        { sourceId: 1, transform: parseTransform('identity'), direction: 'asc', nullOrder: 'nulls-first' },
      ],
    },
    location,
    properties: { owner: 'rest' },
    tableUuid: '2b3c4d5e-0000-4000-8000-000000000001',
    timestampMs: 1_700_000_000_000,
  })
}

/** The updates Java's `TableMetadata.buildFrom(empty)` records for a new table. */
function createUpdates(metadata: TableMetadata): TableUpdate[] {
  return [
    { action: 'assign-uuid', uuid: metadata.tableUuid },
    { action: 'upgrade-format-version', 'format-version': metadata.formatVersion },
    { action: 'add-schema', schema: metadata.currentSchema(), 'last-column-id': metadata.lastColumnId },
    { action: 'set-current-schema', 'schema-id': -1 },
    { action: 'add-spec', spec: metadata.defaultSpec() },
    { action: 'set-default-spec', 'spec-id': -1 },
    { action: 'add-sort-order', 'sort-order': metadata.defaultSortOrder() },
    { action: 'set-default-sort-order', 'sort-order-id': -1 },
    { action: 'set-location', location: metadata.location },
    { action: 'set-properties', updates: metadata.properties },
  ]
}

const assertCreate: TableRequirement[] = [{ type: 'assert-create' }]

async function setup() {
  const { catalog, warehouse } = await newCatalog()
  await catalog.createNamespace('db')
  const location = `${catalog.warehouse}/db/t`
  return { catalog, warehouse, location }
}

describe('HadoopCatalog.commitTable with assert-create', () => {
  it('creates the table a create transaction describes, with the ids the client was given', async () => {
    const { catalog, location } = await setup()
    const metadata = staged(location)
    const result = await catalog.commitTable('db.t', assertCreate, createUpdates(metadata))
    expect(result.metadataLocation).toBe(`${location}/metadata/v1.metadata.json`)
    const table = await catalog.loadTable('db.t')
    expect(table.metadata.tableUuid).toBe(metadata.tableUuid)
    expect(table.schema().sameSchema(metadata.currentSchema())).toBe(true)
    expect(table.metadata.schemas).toHaveLength(1)
    expect(table.spec()).toEqual(metadata.defaultSpec())
    expect(table.metadata.partitionSpecs).toHaveLength(1)
    expect(table.metadata.lastPartitionId).toBe(1000)
    expect(table.sortOrder()).toEqual(metadata.defaultSortOrder())
    expect(table.metadata.sortOrders).toHaveLength(1)
    expect(table.properties).toEqual({ owner: 'rest' })
    expect(table.metadata.metadataLog).toEqual([])
    // And it is an ordinary table from then on.
    await table.append([{ id: 1n, ts: new Date('2024-01-02T03:04:05Z'), kind: 'a' }])
    expect(await scanRows(await catalog.loadTable('db.t'))).toHaveLength(1)
  })

  it('refuses a second create of the same table as a commit conflict, leaving the first', async () => {
    const { catalog, location } = await setup()
    await catalog.commitTable('db.t', assertCreate, createUpdates(staged(location)))
    const other = { ...staged(location), tableUuid: 'ffffffff-0000-4000-8000-000000000002' }
    await expect(
      catalog.commitTable('db.t', assertCreate, [
        ...createUpdates(staged(location)),
        { action: 'assign-uuid', uuid: other.tableUuid },
      ]),
    ).rejects.toThrow(CommitConflictError)
    expect((await catalog.loadTable('db.t')).metadata.tableUuid).toBe(staged(location).tableUuid)
  })

  it('reports a commit to a missing table without assert-create as not found', async () => {
    const { catalog } = await setup()
    await expect(
      catalog.commitTable('db.nope', [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }], []),
    ).rejects.toThrow(NotFoundError)
    await expect(catalog.commitTable('db.nope', [], [])).rejects.toThrow(NotFoundError)
  })

  it('refuses a table located elsewhere than the catalog places it, writing nothing', async () => {
    const { catalog } = await setup()
    const metadata = staged(`${catalog.warehouse}/elsewhere/t`)
    await expect(catalog.commitTable('db.t', assertCreate, createUpdates(metadata))).rejects.toThrow(
      ValidationError,
    )
    expect(await catalog.tableExists('db.t')).toBe(false)
  })

  it('refuses a create without a schema, and one in a missing namespace', async () => {
    const { catalog, location } = await setup()
    await expect(
      catalog.commitTable('db.t', assertCreate, [{ action: 'set-location', location }]),
    ).rejects.toThrow(ValidationError)
    await expect(
      catalog.commitTable('nope.t', assertCreate, createUpdates(staged(location))),
    ).rejects.toThrow(NotFoundError)
  })
})
