import { readFileSync } from 'node:fs'
import { CorruptFileError, UnsupportedError, ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { Schema } from './schema.js'
import { type JsonObject, parseMetadataJson, stringifyMetadataJson } from './snapshot.js'
import { sortField } from './sort-order.js'
import {
  newTableMetadata,
  parseTableMetadata,
  serializeTableMetadata,
  type TableMetadata,
  tableMetadataFromJson,
  tableMetadataToJson,
  withMetadataLogEntry,
} from './table-metadata.js'
import { Types } from './types.js'

const FIXTURES = new URL('../../test/fixtures/table-metadata/', import.meta.url)
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8')
const fixtureJson = (name: string) => parseMetadataJson(fixture(name)) as JsonObject
const reparse = (metadata: TableMetadata) => parseTableMetadata(serializeTableMetadata(metadata))

describe('golden files written by Iceberg Java', () => {
  it.each(['spark-v2-created.metadata.json', 'spark-v2-append.metadata.json'])(
    'writes %s back byte for byte',
    (name) => {
      const text = fixture(name)
      expect(serializeTableMetadata(parseTableMetadata(text, name))).toBe(text)
    },
  )

  it('reads the Spark-written append exactly, ids beyond 2^53 included', () => {
    const metadata = parseTableMetadata(fixture('spark-v2-append.metadata.json'))
    expect(metadata.formatVersion).toBe(2)
    expect(metadata.tableUuid).toBe('64919af4-5340-4aba-aa5a-93002be409b0')
    expect(metadata.currentSnapshotId).toBe(5288760946744945553n)
    expect(metadata.lastSequenceNumber).toBe(1n)
    expect(metadata.currentSnapshot()?.summary['total-records']).toBe('4')
    expect(metadata.refs.get('main')).toEqual({ snapshotId: 5288760946744945553n, type: 'branch' })
    expect(metadata.snapshotLog).toEqual([{ timestampMs: 1731430821537, snapshotId: 5288760946744945553n }])
    expect(metadata.metadataLog[0]?.metadataFile).toMatch(/00000-0fbb5ecb.*\.metadata\.json$/)
    expect(metadata.properties).toEqual({ owner: 'root', 'write.parquet.compression-codec': 'zstd' })
  })

  it('reads Java’s TableMetadataV2Valid.json and writes what Java would', () => {
    const source = fixtureJson('java-TableMetadataV2Valid.json')
    const metadata = tableMetadataFromJson(source)
    expect(metadata.currentSchema().schemaId).toBe(1)
    expect(metadata.currentSchema().identifierFieldIds).toEqual([1, 2])
    expect(metadata.schemas).toHaveLength(2)
    expect(metadata.defaultSortOrder().orderId).toBe(3)
    expect(metadata.lastSequenceNumber).toBe(34n)
    // No refs in the file: main is made to point at the current snapshot, as Java does.
    expect([...metadata.refs]).toEqual([['main', { snapshotId: 3055729675574597004n, type: 'branch' }]])

    const written = tableMetadataToJson(metadata)
    expect(Object.keys(written)).toEqual([
      'format-version',
      'table-uuid',
      'location',
      'last-sequence-number',
      'last-updated-ms',
      'last-column-id',
      'current-schema-id',
      'schemas',
      'default-spec-id',
      'partition-specs',
      'last-partition-id',
      'default-sort-order-id',
      'sort-orders',
      'properties',
      'current-snapshot-id',
      'refs',
      'snapshots',
      'statistics',
      'partition-statistics',
      'snapshot-log',
      'metadata-log',
    ])
    // Java leaves out a zero sequence number and adds refs and empty statistics; all else is as read.
    const expected = structuredClone(source)
    delete (expected.snapshots as JsonObject[])[0]!['sequence-number']
    expect(parseMetadataJson(stringifyMetadataJson(written))).toEqual({
      ...expected,
      refs: { main: { 'snapshot-id': 3055729675574597004n, type: 'branch' } },
      statistics: [],
      'partition-statistics': [],
    })
    expect(reparse(metadata)).toEqual(metadata)
  })

  it('keeps statistics and partition statistics as read, ids exact', () => {
    for (const name of [
      'java-TableMetadataStatisticsFiles.json',
      'java-TableMetadataPartitionStatisticsFiles.json',
    ]) {
      const source = fixtureJson(name)
      const written = tableMetadataToJson(tableMetadataFromJson(source))
      expect(written.statistics).toEqual(source.statistics ?? [])
      expect(written['partition-statistics']).toEqual(source['partition-statistics'] ?? [])
    }
    const text = serializeTableMetadata(parseTableMetadata(fixture('java-TableMetadataStatisticsFiles.json')))
    expect(text).toContain('"snapshot-id" : 3055729675574597004,\n      "sequence-number" : 1,')
  })

  it('reads a minimal v2 file without snapshots, properties or logs', () => {
    const metadata = tableMetadataFromJson(fixtureJson('java-TableMetadataV2ValidMinimal.json'))
    expect(metadata.currentSnapshot()).toBeUndefined()
    expect(metadata.snapshots).toEqual([])
    expect(metadata.properties).toEqual({})
    expect(metadata.refs.size).toBe(0)
    expect(tableMetadataToJson(metadata)['current-snapshot-id']).toBe(-1)
  })
})

describe('v1 metadata', () => {
  it('reads Java’s TableMetadataV1Valid.json: one schema, one spec, no sequence numbers', () => {
    const metadata = tableMetadataFromJson(fixtureJson('java-TableMetadataV1Valid.json'))
    expect(metadata.formatVersion).toBe(1)
    expect(metadata.lastSequenceNumber).toBe(0n)
    expect(metadata.schemas.map((s) => s.schemaId)).toEqual([0])
    expect(metadata.currentSchema().fields.map((f) => f.name)).toEqual(['x', 'y', 'z'])
    expect(metadata.partitionSpecs).toEqual([
      { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'x', transform: { kind: 'identity' } }] },
    ])
    expect(metadata.lastPartitionId).toBe(1000)
    expect(metadata.sortOrders).toEqual([{ orderId: 0, fields: [] }])
    expect(metadata.currentSnapshotId).toBeUndefined()
    expect(metadata.refs.size).toBe(0)
  })

  it('writes v1 with the single schema and partition-spec old readers need', () => {
    const metadata = tableMetadataFromJson(fixtureJson('java-TableMetadataV1Valid.json'))
    const written = tableMetadataToJson(metadata)
    expect(Object.keys(written).slice(0, 11)).toEqual([
      'format-version',
      'table-uuid',
      'location',
      'last-updated-ms',
      'last-column-id',
      'schema',
      'current-schema-id',
      'schemas',
      'partition-spec',
      'default-spec-id',
      'partition-specs',
    ])
    expect(written['last-sequence-number']).toBeUndefined()
    expect(written['partition-spec']).toEqual([
      { name: 'x', transform: 'identity', 'source-id': 1, 'field-id': 1000 },
    ])
    expect(reparse(metadata)).toEqual(metadata)
  })

  it('writes a Spark-written v1 file back as Java 1.x would', () => {
    const text = fixture('spark-v1-quickstart.metadata.json')
    const metadata = parseTableMetadata(text)
    expect(metadata.currentSnapshot()?.sequenceNumber).toBe(0n)
    expect(metadata.snapshotAsOf(1662532818843)?.snapshotId).toBe(638933773299822130n)
    const expected = text
      .replace('    "sequence-number" : 0,\n', '')
      .replace(
        '  } ],\n  "snapshot-log"',
        '  } ],\n  "statistics" : [ ],\n  "partition-statistics" : [ ],\n  "snapshot-log"',
      )
    expect(serializeTableMetadata(metadata)).toBe(expected)
  })

  it('numbers v1 partition fields without ids from 1000 and derives last-partition-id', () => {
    const json = fixtureJson('java-TableMetadataV1Valid.json')
    json['partition-spec'] = [
      { name: 'x', transform: 'identity', 'source-id': 1 },
      { name: 'y_bucket', transform: 'bucket[8]', 'source-id': 2 },
    ]
    const metadata = tableMetadataFromJson(json)
    expect(metadata.defaultSpec().fields.map((f) => f.fieldId)).toEqual([1000, 1001])
    expect(metadata.lastPartitionId).toBe(1001)
  })
})

describe('invalid metadata', () => {
  const v2 = () => fixtureJson('java-TableMetadataV2Valid.json')

  it('refuses format versions above 2 as unsupported', () => {
    expect(() => parseTableMetadata(fixture('java-TableMetadataUnsupportedVersion.json'))).toThrow(
      UnsupportedError,
    )
  })

  it.each([
    ['schemas', /'schemas' must be an array/],
    ['partition-specs', /'partition-specs' must be an array/],
    ['last-partition-id', /'last-partition-id' must be an integer/],
    ['sort-orders', /'sort-orders' must be an array/],
    ['last-sequence-number', /'last-sequence-number'/],
    ['table-uuid', /'table-uuid'/],
  ])('refuses v2 metadata without %s', (key, message) => {
    const json = v2()
    delete json[key]
    expect(() => tableMetadataFromJson(json, 'v3.metadata.json')).toThrow(CorruptFileError)
    expect(() => tableMetadataFromJson(json, 'v3.metadata.json')).toThrow(message)
  })

  it.each([
    ['a current schema that does not exist', { 'current-schema-id': 2 }, /current schema 2/],
    ['a default spec that does not exist', { 'default-spec-id': 4 }, /Default partition spec 4/],
    ['a default sort order that does not exist', { 'default-sort-order-id': 1 }, /Default sort order 1/],
    [
      'a current snapshot that does not exist',
      { 'current-snapshot-id': 1 },
      /snapshot 1, which does not exist/,
    ],
    ['a ref to a missing snapshot', { refs: { dev: { 'snapshot-id': 7, type: 'tag' } } }, /Ref 'dev'/],
    [
      'main not at the current snapshot',
      { refs: { main: { 'snapshot-id': 3051729675574597004n, type: 'branch' } } },
      /not the head of main/,
    ],
    [
      'a snapshot after the last sequence number',
      { 'last-sequence-number': 0 },
      /after the last sequence number/,
    ],
    ['an entry that is not an object', { 'snapshot-log': [1] }, /snapshot-log entry/],
  ])('refuses %s', (_, change, message) => {
    const json = { ...v2(), ...change } as JsonObject
    expect(() => tableMetadataFromJson(json, 'v3.metadata.json')).toThrow(CorruptFileError)
    expect(() => tableMetadataFromJson(json, 'v3.metadata.json')).toThrow(message)
  })

  it('names the file in errors about malformed text', () => {
    try {
      parseTableMetadata('{"format-version": 2', 's3://b/t/metadata/v3.metadata.json')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(CorruptFileError)
      expect((error as CorruptFileError).context.file).toBe('s3://b/t/metadata/v3.metadata.json')
    }
  })
})

describe('lookups', () => {
  // Three snapshots on main (a → b → c), a tag on a, with the largest possible id.
  const a = 9223372036854775807n
  const b = 4183447393574612455n
  const c = 1n
  const json = fixtureJson('spark-v2-append.metadata.json')
  const snapshot = (json.snapshots as JsonObject[])[0]!
  const metadata = tableMetadataFromJson({
    ...json,
    'last-sequence-number': 3,
    'last-updated-ms': 3000,
    'current-snapshot-id': c,
    refs: { main: { 'snapshot-id': c, type: 'branch' }, v1: { 'snapshot-id': a, type: 'tag' } },
    snapshots: [
      { ...snapshot, 'sequence-number': 1, 'snapshot-id': a, 'timestamp-ms': 1000 },
      { ...snapshot, 'sequence-number': 2, 'snapshot-id': b, 'parent-snapshot-id': a, 'timestamp-ms': 2000 },
      { ...snapshot, 'sequence-number': 3, 'snapshot-id': c, 'parent-snapshot-id': b, 'timestamp-ms': 3000 },
    ],
    'snapshot-log': [
      { 'timestamp-ms': 1000, 'snapshot-id': a },
      { 'timestamp-ms': 2000, 'snapshot-id': b },
      { 'timestamp-ms': 3000, 'snapshot-id': c },
    ],
    'metadata-log': [],
  })

  it('finds snapshots by id, ref and time, exactly at 2^63 - 1', () => {
    expect(metadata.snapshotById(a)?.timestampMs).toBe(1000)
    expect(metadata.snapshotById(2n)).toBeUndefined()
    expect(metadata.snapshotByRef('v1')?.snapshotId).toBe(a)
    expect(metadata.snapshotByRef('main')?.snapshotId).toBe(c)
    expect(metadata.snapshotByRef('nope')).toBeUndefined()
    expect(metadata.currentSnapshot()?.snapshotId).toBe(c)
    expect(metadata.snapshotAsOf(999)).toBeUndefined()
    expect(metadata.snapshotAsOf(1000)?.snapshotId).toBe(a)
    expect(metadata.snapshotAsOf(2999)?.snapshotId).toBe(b)
    expect(metadata.snapshotAsOf(1e13)?.snapshotId).toBe(c)
    expect(serializeTableMetadata(metadata)).toContain('"snapshot-id" : 9223372036854775807,')
  })

  it('walks ancestors until a parent has expired', () => {
    expect(metadata.ancestorsOf(c).map((s) => s.snapshotId)).toEqual([c, b, a])
    expect(metadata.ancestorsOf(b).map((s) => s.snapshotId)).toEqual([b, a])
    expect(metadata.ancestorsOf(undefined)).toEqual([])
    expect(metadata.ancestorsOf(42n)).toEqual([])
  })

  it('finds schemas, specs and sort orders by id', () => {
    expect(metadata.currentSchema().schemaId).toBe(0)
    expect(metadata.schemaById(0)).toBe(metadata.currentSchema())
    expect(metadata.schemaById(1)).toBeUndefined()
    expect(metadata.specById(0)).toBe(metadata.defaultSpec())
    expect(metadata.specById(1)).toBeUndefined()
    expect(metadata.sortOrderById(0)).toBe(metadata.defaultSortOrder())
  })

  it('refuses changes that break an invariant', () => {
    expect(() => metadata.with({ currentSchemaId: 5 })).toThrow(ValidationError)
    expect(() => metadata.with({ snapshotLog: [{ timestampMs: 100_000, snapshotId: c }] })).toThrow(
      /before the last log entry/,
    )
    expect(metadata.with({ location: 's3://b/t//' }).location).toBe('s3://b/t')
  })
})

describe('withMetadataLogEntry', () => {
  const base = parseTableMetadata(fixture('spark-v2-append.metadata.json'))

  it('appends the previous file', () => {
    const next = withMetadataLogEntry(base, 's3://b/t/metadata/00001.metadata.json', 1731430821537)
    expect(next.metadataLog.at(-1)).toEqual({
      timestampMs: 1731430821537,
      metadataFile: 's3://b/t/metadata/00001.metadata.json',
    })
    expect(next.metadataLog).toHaveLength(2)
  })

  it('keeps at most write.metadata.previous-versions-max entries, and at least one', () => {
    let metadata = base.with({ properties: { 'write.metadata.previous-versions-max': '2' } })
    for (let i = 1; i <= 4; i++) metadata = withMetadataLogEntry(metadata, `m${i}`, 1731430821537)
    expect(metadata.metadataLog.map((e) => e.metadataFile)).toEqual(['m3', 'm4'])
    expect(
      withMetadataLogEntry(metadata, 'm5', 1731430821537, 0).metadataLog.map((e) => e.metadataFile),
    ).toEqual(['m5'])
  })

  it('keeps 100 entries by default', () => {
    let metadata = base.with({ metadataLog: [] })
    for (let i = 0; i < 105; i++) metadata = withMetadataLogEntry(metadata, `m${i}`, 1731430821537)
    expect(metadata.metadataLog).toHaveLength(100)
    expect(metadata.metadataLog[0]?.metadataFile).toBe('m5')
  })

  it('refuses a property that is not a number', () => {
    const metadata = base.with({ properties: { 'write.metadata.previous-versions-max': 'ten' } })
    expect(() => withMetadataLogEntry(metadata, 'm', 1731430821537)).toThrow(ValidationError)
  })
})

describe('newTableMetadata', () => {
  it('builds exactly the metadata Spark wrote for a new table', () => {
    // Ids deliberately out of order: they are reassigned from 1.
    const schema = new Schema([
      { id: 10, name: 'vendor_id', required: false, type: Types.long },
      { id: 20, name: 'trip_id', required: false, type: Types.long },
      { id: 30, name: 'trip_distance', required: false, type: Types.float },
      { id: 40, name: 'fare_amount', required: false, type: Types.double },
      { id: 50, name: 'store_and_fwd_flag', required: false, type: Types.string },
    ])
    const metadata = newTableMetadata({
      schema,
      spec: { fields: [{ sourceId: 10, name: 'vendor_id', transform: { kind: 'identity' } }] },
      location: 's3://warehouse/nyc/taxis/',
      properties: { owner: 'root', 'write.parquet.compression-codec': 'zstd', 'format-version': '2' },
      tableUuid: '64919af4-5340-4aba-aa5a-93002be409b0',
      timestampMs: 1731430316331,
    })
    expect(serializeTableMetadata(metadata)).toBe(fixture('spark-v2-created.metadata.json'))
  })

  it('assigns fresh ids as Java does: siblings first, then nested types', () => {
    const schema = new Schema(
      [
        {
          id: 100,
          name: 'a',
          required: true,
          type: Types.struct([
            { id: 101, name: 'b', required: true, type: Types.int },
            {
              id: 102,
              name: 'c',
              required: false,
              type: Types.list(
                103,
                Types.struct([{ id: 104, name: 'd', required: false, type: Types.string }]),
              ),
            },
          ]),
        },
        { id: 105, name: 'e', required: false, type: Types.map(106, Types.string, 107, Types.int) },
      ],
      7,
      [100],
    )
    const metadata = newTableMetadata({ schema, location: 'file:///t', tableUuid: 'u', timestampMs: 1 })
    const fresh = metadata.currentSchema()
    expect(fresh.schemaId).toBe(0)
    expect(fresh.identifierFieldIds).toEqual([1])
    expect(
      ['a', 'e', 'a.b', 'a.c', 'a.c.element', 'a.c.element.d', 'e.key', 'e.value'].map(
        (name) => fresh.findFieldByName(name)?.id,
      ),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(metadata.lastColumnId).toBe(8)
  })

  it('renumbers partition fields from 1000, gives a sorted order id 1 and drops reserved properties', () => {
    const schema = new Schema([
      { id: 5, name: 'id', required: true, type: Types.long },
      { id: 6, name: 'ts', required: true, type: Types.timestamptz },
    ])
    const metadata = newTableMetadata({
      schema,
      spec: {
        specId: 4,
        fields: [
          { sourceId: 6, fieldId: 1010, name: 'ts_day', transform: { kind: 'day' } },
          { sourceId: 5, name: 'id_bucket', transform: { kind: 'bucket', numBuckets: 16 } },
        ],
      },
      sortOrder: { orderId: 9, fields: [sortField(6, { direction: 'desc' })] },
      location: 'file:///t',
      properties: { 'format-version': '1', uuid: 'x', 'commit.retry.num-retries': '8' },
      tableUuid: 'u',
      timestampMs: 1,
    })
    expect(metadata.formatVersion).toBe(1)
    expect(metadata.properties).toEqual({ 'commit.retry.num-retries': '8' })
    expect(metadata.defaultSpec()).toEqual({
      specId: 0,
      fields: [
        { sourceId: 2, fieldId: 1000, name: 'ts_day', transform: { kind: 'day' } },
        { sourceId: 1, fieldId: 1001, name: 'id_bucket', transform: { kind: 'bucket', numBuckets: 16 } },
      ],
    })
    expect(metadata.lastPartitionId).toBe(1001)
    expect(metadata.defaultSortOrder()).toEqual({ orderId: 1, fields: [sortField(2, { direction: 'desc' })] })
    expect(metadata.lastUpdatedMs).toBe(1)
    expect(metadata.lastSequenceNumber).toBe(0n)
  })

  it('starts an unpartitioned, unsorted table at last-partition-id 999 and sort order 0', () => {
    const schema = new Schema([{ id: 1, name: 'id', required: true, type: Types.long }])
    const metadata = newTableMetadata({ schema, location: 'file:///t', tableUuid: 'u', timestampMs: 1 })
    expect(metadata.lastPartitionId).toBe(999)
    expect(metadata.defaultSortOrderId).toBe(0)
    expect(metadata.formatVersion).toBe(2)
    expect(stringifyMetadataJson(tableMetadataToJson(metadata)['partition-specs'])).toBe(
      '[{"spec-id":0,"fields":[]}]',
    )
  })

  it('refuses an unsupported format version and a spec on a missing column', () => {
    const schema = new Schema([{ id: 1, name: 'id', required: true, type: Types.long }])
    const base = { schema, location: 'file:///t', tableUuid: 'u', timestampMs: 1 }
    expect(() => newTableMetadata({ ...base, properties: { 'format-version': '3' } })).toThrow(
      UnsupportedError,
    )
    expect(() =>
      newTableMetadata({
        ...base,
        spec: { fields: [{ sourceId: 9, name: 'x', transform: { kind: 'identity' } }] },
      }),
    ).toThrow(ValidationError)
  })
})
