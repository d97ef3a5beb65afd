import { CommitConflictError, NotFoundError, ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { readManifestList, writeManifestList } from '../src/spec/manifest-list.js'
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

  it('creates a table with data (CREATE TABLE AS): the manifests it wrote first are its own', async () => {
    const { catalog, location } = await setup()
    // The data: a snapshot another table wrote, its manifests copied into db.t's metadata
    // folder and listed anew there, as an engine's create transaction leaves them.
    const source = await catalog.createTable('db.src', {
      schema,
      partitionBy: [{ source: 'ts', transform: 'day' }],
    })
    const rows = [
      { id: 1n, ts: new Date('2024-01-02T03:04:05Z'), kind: 'a' },
      { id: 2n, ts: new Date('2024-01-03T03:04:05Z'), kind: 'b' },
    ]
    await source.append(rows)
    const snapshot = (await catalog.loadTable('db.src')).currentSnapshot()!
    const io = catalog.io
    const listed = readManifestList(await io.read(snapshot.manifestList))
    const manifests = []
    for (const manifest of listed.manifests) {
      const copy = `${location}/metadata/${manifest.manifestPath.split('/').pop()}`
      await io.write(copy, await io.read(manifest.manifestPath))
      manifests.push({ ...manifest, manifestPath: copy })
    }
    const manifestList = `${location}/metadata/snap-${snapshot.snapshotId}-1-copy.avro`
    await io.write(
      manifestList,
      writeManifestList({
        manifests,
        snapshotId: snapshot.snapshotId,
        parentSnapshotId: null,
        sequenceNumber: 1n,
        formatVersion: 2,
      }),
    )
    const metadata = staged(location)
    await catalog.commitTable('db.t', assertCreate, [
      ...createUpdates(metadata),
      { action: 'add-snapshot', snapshot: { ...snapshot, manifestList, sequenceNumber: 1n } },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshot.snapshotId },
    ])
    const created = await catalog.loadTable('db.t')
    expect(created.metadata.tableUuid).toBe(metadata.tableUuid)
    const micros = (row: (typeof rows)[number]) => ({ ...row, ts: BigInt(row.ts.getTime()) * 1000n })
    const read = await scanRows(created)
    expect(read).toHaveLength(2)
    expect(read).toEqual(expect.arrayContaining(rows.map(micros)))
  })

  it('still refuses a create where the metadata folder holds files the commit does not list', async () => {
    const { catalog, location } = await setup()
    await catalog.io.write(`${location}/metadata/snap-1-1-stranger.avro`, new Uint8Array([1]))
    await expect(catalog.commitTable('db.t', assertCreate, createUpdates(staged(location)))).rejects.toThrow(
      /holds the files of a renamed table/,
    )
    expect(await catalog.tableExists('db.t')).toBe(false)
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
