import { readFileSync } from 'node:fs'
import { CommitConflictError, ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { Schema } from './schema.js'
import { parseMetadataJson, type Snapshot, stringifyMetadataJson } from './snapshot.js'
import { sortField } from './sort-order.js'
import {
  newTableMetadata,
  parseTableMetadata,
  serializeTableMetadata,
  type TableMetadata,
  withMetadataLogEntry,
} from './table-metadata.js'
import {
  applyUpdates,
  checkRequirements,
  type TableRequirement,
  type TableUpdate,
  tableRequirementFromJson,
  tableRequirementToJson,
  tableUpdateFromJson,
  tableUpdateToJson,
} from './table-update.js'
import { Types } from './types.js'

const FIXTURES = new URL('../../test/fixtures/table-metadata/', import.meta.url)
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8')

const created = parseTableMetadata(fixture('spark-v2-created.metadata.json'))
const appended = parseTableMetadata(fixture('spark-v2-append.metadata.json'))
const NOW = 1731430900000

function snapshot(id: bigint, sequenceNumber: bigint, parent?: bigint, timestampMs = NOW - 1000): Snapshot {
  return {
    snapshotId: id,
    ...(parent === undefined ? {} : { parentSnapshotId: parent }),
    sequenceNumber,
    timestampMs,
    manifestList: `s3://warehouse/nyc/taxis/metadata/snap-${id}.avro`,
    summary: { operation: 'append' },
    schemaId: 0,
  }
}

const setMain = (id: bigint): TableUpdate => ({
  action: 'set-snapshot-ref',
  'ref-name': 'main',
  type: 'branch',
  'snapshot-id': id,
})

const apply = (metadata: TableMetadata, ...updates: TableUpdate[]) =>
  applyUpdates(metadata, updates, { timestampMs: NOW })

describe('checkRequirements', () => {
  it('passes when every requirement holds', () => {
    expect(() =>
      checkRequirements(appended, [
        { type: 'assert-table-uuid', uuid: '64919AF4-5340-4ABA-AA5A-93002BE409B0' },
        { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 5288760946744945553n },
        { type: 'assert-ref-snapshot-id', ref: 'dev', 'snapshot-id': null },
        { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 5 },
        { type: 'assert-current-schema-id', 'current-schema-id': 0 },
        { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 1000 },
        { type: 'assert-default-spec-id', 'default-spec-id': 0 },
        { type: 'assert-default-sort-order-id', 'default-sort-order-id': 0 },
      ]),
    ).not.toThrow()
    expect(() => checkRequirements(undefined, [{ type: 'assert-create' }])).not.toThrow()
  })

  it.each<[string, TableRequirement, RegExp]>([
    ['an existing table', { type: 'assert-create' }, /table already exists/],
    ['another uuid', { type: 'assert-table-uuid', uuid: 'other' }, /UUID does not match/],
    [
      'a ref that moved',
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 1n },
      /branch main has changed: expected id 1 != 5288760946744945553/,
    ],
    [
      'a ref created concurrently',
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
      /branch main was created concurrently/,
    ],
    [
      'a missing ref',
      { type: 'assert-ref-snapshot-id', ref: 'dev', 'snapshot-id': 5288760946744945553n },
      /branch or tag dev is missing/,
    ],
    [
      'a new column id',
      { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 4 },
      /last assigned field id changed: expected id 4 != 5/,
    ],
    ['a new schema', { type: 'assert-current-schema-id', 'current-schema-id': 1 }, /current schema changed/],
    [
      'a new partition field id',
      { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 999 },
      /last assigned partition id changed/,
    ],
    [
      'a new default spec',
      { type: 'assert-default-spec-id', 'default-spec-id': 1 },
      /default partition spec changed/,
    ],
    [
      'a new default sort order',
      { type: 'assert-default-sort-order-id', 'default-sort-order-id': 1 },
      /default sort order changed/,
    ],
  ])('fails on %s with a retryable CommitConflictError naming the requirement', (_, requirement, message) => {
    try {
      checkRequirements(appended, [requirement])
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(CommitConflictError)
      expect((error as CommitConflictError).retryable).toBe(true)
      expect((error as CommitConflictError).message).toMatch(message)
      expect((error as CommitConflictError).context.requirement).toBe(requirement.type)
    }
  })

  it('fails for a missing table except on the last-assigned ids, as Java does', () => {
    expect(() => checkRequirements(undefined, [{ type: 'assert-table-uuid', uuid: 'x' }])).toThrow(
      /does not exist/,
    )
    expect(() =>
      checkRequirements(undefined, [
        { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 3 },
        { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 1000 },
      ]),
    ).not.toThrow()
  })

  it('reports the first requirement that fails', () => {
    expect(() =>
      checkRequirements(appended, [
        { type: 'assert-current-schema-id', 'current-schema-id': 0 },
        { type: 'assert-default-spec-id', 'default-spec-id': 9 },
        { type: 'assert-create' },
      ]),
    ).toThrow(/default partition spec/)
  })
})

describe('applyUpdates: snapshots', () => {
  it('turns the created table into the appended one exactly as Java did', () => {
    const added = appended.currentSnapshot()!
    const next = withMetadataLogEntry(
      applyUpdates(created, [{ action: 'add-snapshot', snapshot: added }, setMain(added.snapshotId)], {
        timestampMs: added.timestampMs,
      }),
      's3://warehouse/nyc/taxis/metadata/00000-0fbb5ecb-6357-4571-bd80-97ba28994012.metadata.json',
      created.lastUpdatedMs,
    )
    expect(serializeTableMetadata(next)).toBe(fixture('spark-v2-append.metadata.json'))
  })

  it('moves main, the current snapshot and the sequence number, and logs the snapshot’s own time', () => {
    const next = apply(
      appended,
      { action: 'add-snapshot', snapshot: snapshot(7n, 2n, 5288760946744945553n) },
      setMain(7n),
    )
    expect(next.currentSnapshotId).toBe(7n)
    expect(next.lastSequenceNumber).toBe(2n)
    expect(next.lastUpdatedMs).toBe(NOW)
    expect(next.refs.get('main')).toEqual({ snapshotId: 7n, type: 'branch' })
    expect(next.snapshotLog.at(-1)).toEqual({ timestampMs: NOW - 1000, snapshotId: 7n })
    expect(appended.currentSnapshotId).toBe(5288760946744945553n)
  })

  it('leaves the current snapshot alone when a snapshot is only added or tagged', () => {
    const next = apply(
      appended,
      { action: 'add-snapshot', snapshot: snapshot(7n, 2n, 5288760946744945553n) },
      {
        action: 'set-snapshot-ref',
        'ref-name': 'audit',
        type: 'tag',
        'snapshot-id': 7n,
        'max-ref-age-ms': 1000,
      },
    )
    expect(next.currentSnapshotId).toBe(5288760946744945553n)
    expect(next.refs.get('audit')).toEqual({ snapshotId: 7n, type: 'tag', maxRefAgeMs: 1000 })
    expect(next.snapshotLog).toEqual(appended.snapshotLog)
  })

  it('logs a rollback at the commit time', () => {
    const withTwo = apply(
      appended,
      { action: 'add-snapshot', snapshot: snapshot(7n, 2n, 5288760946744945553n) },
      setMain(7n),
    )
    const rolledBack = applyUpdates(withTwo, [setMain(5288760946744945553n)], { timestampMs: NOW + 5 })
    expect(rolledBack.currentSnapshotId).toBe(5288760946744945553n)
    expect(rolledBack.snapshotLog.at(-1)).toEqual({ timestampMs: NOW + 5, snapshotId: 5288760946744945553n })
  })

  it('keeps only the final snapshot of a commit that made several current', () => {
    const next = apply(
      appended,
      { action: 'add-snapshot', snapshot: snapshot(7n, 2n, 5288760946744945553n) },
      setMain(7n),
      { action: 'add-snapshot', snapshot: snapshot(8n, 3n, 7n) },
      setMain(8n),
    )
    expect(next.snapshotLog.map((e) => e.snapshotId)).toEqual([5288760946744945553n, 8n])
    expect(next.snapshots.map((s) => s.snapshotId)).toEqual([5288760946744945553n, 7n, 8n])
  })

  it('refuses a stale sequence number as a retryable conflict, but not for a snapshot without parent', () => {
    const stale = () =>
      apply(appended, { action: 'add-snapshot', snapshot: snapshot(7n, 1n, 5288760946744945553n) })
    expect(stale).toThrow(CommitConflictError)
    expect(stale).toThrow(/sequence number 1 older than last sequence number 1/)
    expect(() => apply(appended, { action: 'add-snapshot', snapshot: snapshot(7n, 2n) })).not.toThrow()
  })

  it('takes any sequence number in v1', () => {
    const v1 = created.with({ formatVersion: 1 })
    const next = apply(v1, { action: 'add-snapshot', snapshot: snapshot(7n, 0n) }, setMain(7n))
    expect(next.currentSnapshotId).toBe(7n)
    expect(next.lastSequenceNumber).toBe(0n)
  })

  it.each<[string, TableUpdate[], RegExp]>([
    [
      'a snapshot id used twice',
      [{ action: 'add-snapshot', snapshot: snapshot(5288760946744945553n, 9n) }],
      /already exists/,
    ],
    ['a ref to an unknown snapshot', [setMain(42n)], /Cannot set main to unknown snapshot: 42/],
    [
      'main as a tag',
      [{ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'tag', 'snapshot-id': 5288760946744945553n }],
      /must be a branch/,
    ],
    [
      'retention a tag cannot have',
      [
        {
          action: 'set-snapshot-ref',
          'ref-name': 't',
          type: 'tag',
          'snapshot-id': 5288760946744945553n,
          'min-snapshots-to-keep': 1,
        },
      ],
      /Tags do not support/,
    ],
  ])('refuses %s', (_, updates, message) => {
    expect(() => applyUpdates(appended, updates, { timestampMs: NOW })).toThrow(ValidationError)
    expect(() => applyUpdates(appended, updates, { timestampMs: NOW })).toThrow(message)
  })

  it('does nothing when main already points at the snapshot', () => {
    expect(apply(appended, setMain(5288760946744945553n))).toBe(appended)
  })
})

describe('applyUpdates: removing snapshots and refs', () => {
  // s1 ← s2 ← s3, main at s3, tag on s1, statistics for s1.
  const history = applyUpdates(
    created.with({ statistics: [{ 'snapshot-id': 1n, 'statistics-path': 's1.puffin' }] }),
    [{ action: 'add-snapshot', snapshot: snapshot(1n, 1n, undefined, NOW - 3000) }, setMain(1n)],
    { timestampMs: NOW - 3000 },
  )
  const s2 = applyUpdates(
    history,
    [{ action: 'add-snapshot', snapshot: snapshot(2n, 2n, 1n, NOW - 2000) }, setMain(2n)],
    {
      timestampMs: NOW - 2000,
    },
  )
  const s3 = applyUpdates(
    s2,
    [
      { action: 'add-snapshot', snapshot: snapshot(3n, 3n, 2n, NOW - 1000) },
      setMain(3n),
      { action: 'set-snapshot-ref', 'ref-name': 'v1', type: 'tag', 'snapshot-id': 1n },
    ],
    { timestampMs: NOW - 1000 },
  )

  it('removes snapshots with their refs and statistics, and the history before them', () => {
    expect(s3.snapshotLog.map((e) => e.snapshotId)).toEqual([1n, 2n, 3n])
    const next = apply(s3, { action: 'remove-snapshots', 'snapshot-ids': [1n, 99n] })
    expect(next.snapshots.map((s) => s.snapshotId)).toEqual([2n, 3n])
    expect(next.refs.has('v1')).toBe(false)
    expect(next.statistics).toEqual([])
    expect(next.snapshotLog.map((e) => e.snapshotId)).toEqual([2n, 3n])
    const gap = apply(s3, { action: 'remove-snapshots', 'snapshot-ids': [2n] })
    expect(gap.snapshotLog.map((e) => e.snapshotId)).toEqual([3n])
  })

  it('removing the current snapshot leaves the table without one', () => {
    const next = apply(s3, { action: 'remove-snapshots', 'snapshot-ids': [3n] })
    expect(next.currentSnapshotId).toBeUndefined()
    expect(next.refs.has('main')).toBe(false)
    expect(serializeTableMetadata(next)).toContain('"current-snapshot-id" : -1,')
  })

  it('removes refs; removing main unsets the current snapshot', () => {
    expect(apply(s3, { action: 'remove-snapshot-ref', 'ref-name': 'v1' }).refs.has('v1')).toBe(false)
    const headless = apply(s3, { action: 'remove-snapshot-ref', 'ref-name': 'main' })
    expect(headless.currentSnapshot()).toBeUndefined()
    expect(headless.snapshots).toHaveLength(3)
    expect(apply(s3, { action: 'remove-snapshot-ref', 'ref-name': 'nope' })).toBe(s3)
    expect(apply(s3, { action: 'remove-snapshots', 'snapshot-ids': [99n] })).toBe(s3)
  })
})

describe('applyUpdates: schemas, specs and sort orders', () => {
  const evolved = new Schema(
    [
      ...created.currentSchema().fields,
      { id: 6, name: 'pickup_time', required: false, type: Types.timestamptz },
    ],
    0,
  )

  it('adds a schema under the next id and makes the last added current', () => {
    const next = apply(
      created,
      { action: 'add-schema', schema: evolved },
      { action: 'set-current-schema', 'schema-id': -1 },
    )
    expect(next.schemas.map((s) => s.schemaId)).toEqual([0, 1])
    expect(next.currentSchemaId).toBe(1)
    expect(next.lastColumnId).toBe(6)
    expect(next.lastUpdatedMs).toBe(NOW)
  })

  it('reuses an equal schema instead of adding it twice', () => {
    const once = apply(
      created,
      { action: 'add-schema', schema: evolved },
      { action: 'set-current-schema', 'schema-id': -1 },
    )
    const back = apply(
      once,
      { action: 'add-schema', schema: created.currentSchema().withSchemaId(7) },
      { action: 'set-current-schema', 'schema-id': -1 },
    )
    expect(back.schemas).toHaveLength(2)
    expect(back.currentSchemaId).toBe(0)
    expect(back.lastColumnId).toBe(6)
    expect(apply(created, { action: 'add-schema', schema: created.currentSchema() })).toBe(created)
  })

  it('raises last-column-id from the deprecated field but never lowers it', () => {
    expect(apply(created, { action: 'add-schema', schema: evolved, 'last-column-id': 10 }).lastColumnId).toBe(
      10,
    )
    expect(apply(created, { action: 'add-schema', schema: evolved, 'last-column-id': 1 }).lastColumnId).toBe(
      6,
    )
  })

  it('adds a spec bound to the current schema, reusing field ids of equivalent fields', () => {
    const next = apply(
      created,
      { action: 'add-schema', schema: evolved },
      { action: 'set-current-schema', 'schema-id': -1 },
      {
        action: 'add-spec',
        spec: {
          fields: [
            { sourceId: 1, name: 'vendor_id', transform: { kind: 'identity' } },
            { sourceId: 6, name: 'pickup_day', transform: { kind: 'day' } },
          ],
        },
      },
      { action: 'set-default-spec', 'spec-id': -1 },
    )
    expect(next.defaultSpec()).toEqual({
      specId: 1,
      fields: [
        { sourceId: 1, fieldId: 1000, name: 'vendor_id', transform: { kind: 'identity' } },
        { sourceId: 6, fieldId: 1001, name: 'pickup_day', transform: { kind: 'day' } },
      ],
    })
    expect(next.lastPartitionId).toBe(1001)
    // Going back to an equivalent spec reuses it.
    const back = apply(
      next,
      {
        action: 'add-spec',
        spec: { fields: [{ sourceId: 1, name: 'vendor_id', transform: { kind: 'identity' } }] },
      },
      { action: 'set-default-spec', 'spec-id': -1 },
    )
    expect(back.partitionSpecs).toHaveLength(2)
    expect(back.defaultSpecId).toBe(0)
  })

  it('refuses specs that do not fit the schema or the format version', () => {
    const onMissing = { fields: [{ sourceId: 77, name: 'x', transform: { kind: 'identity' as const } }] }
    expect(() => apply(created, { action: 'add-spec', spec: onMissing })).toThrow(ValidationError)
    const v1 = created.with({ formatVersion: 1 })
    const gap = {
      fields: [{ sourceId: 2, fieldId: 1005, name: 'trip', transform: { kind: 'identity' as const } }],
    }
    expect(() => apply(v1, { action: 'add-spec', spec: gap })).toThrow(/must number its fields 1000/)
  })

  it('adds sort orders from id 1, reuses equal ones, and maps unsorted to 0', () => {
    const order = { orderId: 0, fields: [sortField(2, { direction: 'desc' })] }
    const next = apply(
      created,
      { action: 'add-sort-order', 'sort-order': order },
      { action: 'set-default-sort-order', 'sort-order-id': -1 },
    )
    expect(next.defaultSortOrder()).toEqual({ orderId: 1, fields: order.fields })
    const again = apply(next, { action: 'add-sort-order', 'sort-order': { ...order, orderId: 5 } })
    expect(again).toBe(next)
    const unsorted = apply(
      next,
      { action: 'add-sort-order', 'sort-order': { orderId: 3, fields: [] } },
      { action: 'set-default-sort-order', 'sort-order-id': -1 },
    )
    expect(unsorted.defaultSortOrderId).toBe(0)
    expect(unsorted.sortOrders).toHaveLength(2)
  })

  it.each<[string, TableUpdate[], RegExp]>([
    [
      'setting the last added schema when none was',
      [{ action: 'set-current-schema', 'schema-id': -1 }],
      /no schema has been added/,
    ],
    ['an unknown schema', [{ action: 'set-current-schema', 'schema-id': 4 }], /unknown schema: 4/],
    ['an unknown spec', [{ action: 'set-default-spec', 'spec-id': 4 }], /unknown spec: 4/],
    [
      'setting the last added spec when none was',
      [{ action: 'set-default-spec', 'spec-id': -1 }],
      /no partition spec/,
    ],
    ['an unknown sort order', [{ action: 'set-default-sort-order', 'sort-order-id': 4 }], /unknown order: 4/],
    [
      'a sort order on a missing column',
      [{ action: 'add-sort-order', 'sort-order': { orderId: 1, fields: [sortField(77)] } }],
      /Cannot find source column 77/,
    ],
    [
      'a current schema without the partition source',
      [
        {
          action: 'add-schema',
          schema: new Schema([{ id: 2, name: 'trip_id', required: false, type: Types.long }]),
        },
        { action: 'set-current-schema', 'schema-id': -1 },
      ],
      /Cannot find source column 1/,
    ],
  ])('refuses %s', (_, updates, message) => {
    expect(() => applyUpdates(created, updates, { timestampMs: NOW })).toThrow(ValidationError)
    expect(() => applyUpdates(created, updates, { timestampMs: NOW })).toThrow(message)
  })
})

describe('applyUpdates: table-level fields', () => {
  it('returns the same metadata when nothing changes', () => {
    expect(applyUpdates(appended, [], { timestampMs: NOW })).toBe(appended)
    expect(
      apply(
        appended,
        { action: 'assign-uuid', uuid: appended.tableUuid },
        { action: 'upgrade-format-version', 'format-version': 2 },
        { action: 'set-location', location: appended.location },
        { action: 'set-properties', updates: {} },
        { action: 'remove-properties', removals: [] },
      ),
    ).toBe(appended)
  })

  it('sets and removes properties, location and uuid', () => {
    const next = apply(
      appended,
      { action: 'set-properties', updates: { 'commit.retry.num-retries': '10', owner: 'lake' } },
      { action: 'remove-properties', removals: ['write.parquet.compression-codec', 'absent'] },
      { action: 'set-location', location: 's3://warehouse/nyc/taxis_moved' },
      { action: 'assign-uuid', uuid: '00000000-0000-4000-8000-000000000000' },
    )
    expect(next.properties).toEqual({ owner: 'lake', 'commit.retry.num-retries': '10' })
    expect(next.location).toBe('s3://warehouse/nyc/taxis_moved')
    expect(next.tableUuid).toBe('00000000-0000-4000-8000-000000000000')
    expect(next.lastUpdatedMs).toBe(NOW)
  })

  it('upgrades v1 to v2 and refuses downgrades and unknown versions', () => {
    const v1 = newTableMetadata({
      schema: created.currentSchema(),
      location: 'file:///t',
      tableUuid: 'u',
      timestampMs: 1,
      formatVersion: 1,
    })
    const v2 = apply(v1, { action: 'upgrade-format-version', 'format-version': 2 })
    expect(v2.formatVersion).toBe(2)
    expect(serializeTableMetadata(v2)).toContain('"last-sequence-number" : 0,')
    expect(() => apply(v2, { action: 'upgrade-format-version', 'format-version': 1 })).toThrow(
      /Cannot downgrade/,
    )
    expect(() => apply(v2, { action: 'upgrade-format-version', 'format-version': 3 })).toThrow(
      ValidationError,
    )
  })

  it('refuses an unknown action', () => {
    expect(() => apply(appended, { action: 'set-statistics' } as unknown as TableUpdate)).toThrow(
      ValidationError,
    )
  })
})

describe('REST JSON', () => {
  const updates: TableUpdate[] = [
    { action: 'assign-uuid', uuid: '9c12d441-03fe-4693-9a96-a0705ddf69c1' },
    { action: 'upgrade-format-version', 'format-version': 2 },
    {
      action: 'add-schema',
      schema: new Schema([{ id: 1, name: 'x', required: true, type: Types.long }], 1, [1]),
      'last-column-id': 1,
    },
    { action: 'set-current-schema', 'schema-id': -1 },
    {
      action: 'add-spec',
      spec: { fields: [{ sourceId: 1, name: 'x_bucket', transform: { kind: 'bucket', numBuckets: 8 } }] },
    },
    {
      action: 'add-spec',
      spec: {
        specId: 3,
        fields: [{ sourceId: 1, fieldId: 1004, name: 'x', transform: { kind: 'identity' } }],
      },
    },
    { action: 'set-default-spec', 'spec-id': -1 },
    { action: 'add-sort-order', 'sort-order': { orderId: 1, fields: [sortField(1, { direction: 'desc' })] } },
    { action: 'set-default-sort-order', 'sort-order-id': -1 },
    { action: 'add-snapshot', snapshot: snapshot(9223372036854775807n, 5n, 4183447393574612455n) },
    {
      action: 'set-snapshot-ref',
      'ref-name': 'main',
      type: 'branch',
      'snapshot-id': 9223372036854775807n,
      'max-ref-age-ms': 1,
      'max-snapshot-age-ms': 2,
      'min-snapshots-to-keep': 3,
    },
    { action: 'remove-snapshots', 'snapshot-ids': [4183447393574612455n, 1n] },
    { action: 'remove-snapshot-ref', 'ref-name': 'dev' },
    { action: 'set-location', location: 's3://b/t' },
    { action: 'set-properties', updates: { a: '1' } },
    { action: 'remove-properties', removals: ['b'] },
  ]

  it.each(updates.map((u) => [u.action, u] as const))(
    'round-trips %s through text, ids exact',
    (_, update) => {
      const text = stringifyMetadataJson(tableUpdateToJson(update))
      expect(tableUpdateFromJson(parseMetadataJson(text))).toEqual(update)
    },
  )

  it('reads the spec’s example of moving main', () => {
    const text =
      '{"action":"set-snapshot-ref","ref-name":"main","type":"branch","snapshot-id":4183447393574612455}'
    expect(tableUpdateFromJson(parseMetadataJson(text))).toEqual(setMain(4183447393574612455n))
    expect(stringifyMetadataJson(tableUpdateToJson(setMain(4183447393574612455n)))).toBe(text)
  })

  it('writes a schema in Java’s key order', () => {
    const json = tableUpdateToJson(updates[2]!)
    expect(Object.keys(json.schema as object)).toEqual([
      'type',
      'schema-id',
      'identifier-field-ids',
      'fields',
    ])
  })

  const requirements: TableRequirement[] = [
    { type: 'assert-create' },
    { type: 'assert-table-uuid', uuid: 'u' },
    { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 9223372036854775807n },
    { type: 'assert-ref-snapshot-id', ref: 'dev', 'snapshot-id': null },
    { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 3 },
    { type: 'assert-current-schema-id', 'current-schema-id': 1 },
    { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 1000 },
    { type: 'assert-default-spec-id', 'default-spec-id': 0 },
    { type: 'assert-default-sort-order-id', 'default-sort-order-id': 0 },
  ]

  it.each(requirements.map((r) => [r.type, r] as const))('round-trips requirement %s', (_, requirement) => {
    const text = stringifyMetadataJson(tableRequirementToJson(requirement))
    expect(tableRequirementFromJson(parseMetadataJson(text))).toEqual(requirement)
  })

  it('writes a null snapshot id for a ref that must not exist', () => {
    expect(stringifyMetadataJson(tableRequirementToJson(requirements[3]!))).toBe(
      '{"type":"assert-ref-snapshot-id","ref":"dev","snapshot-id":null}',
    )
    expect(() => tableRequirementFromJson({ type: 'assert-ref-snapshot-id', ref: 'dev' })).toThrow(
      /'snapshot-id' is required/,
    )
  })

  it('refuses unknown and malformed input as a ValidationError', () => {
    expect(() => tableUpdateFromJson({ action: 'merge' })).toThrow(ValidationError)
    expect(() => tableUpdateFromJson({ action: 'set-location' })).toThrow(ValidationError)
    expect(() => tableUpdateFromJson({ action: 'add-spec', spec: { fields: [{ transform: 'x' }] } })).toThrow(
      ValidationError,
    )
    expect(() => tableRequirementFromJson({ type: 'assert-nothing' })).toThrow(ValidationError)
    expect(() =>
      tableRequirementFromJson({ type: 'assert-current-schema-id', 'current-schema-id': 'one' }),
    ).toThrow(ValidationError)
  })
})
