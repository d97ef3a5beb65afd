/**
 * Manifest lists: round trips, sequence number inheritance, and golden files written by
 * PyIceberg 0.12.0 and Iceberg Java 1.9.2 (see test/fixtures/manifests/README.md). fastavro 1.13.1 was used once by
 * hand to read lists written here (v1 and v2): every record read back as written and the header
 * schema carries `field-id` 500–519 and `element-id` 508 (see manifest.test.ts).
 */
import { readFileSync } from 'node:fs'
import { CorruptFileError, UnsupportedError, ValidationError } from '@lake/errors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readAvroFile, readAvroHeader, writeAvroFile } from './avro/container.js'
import type { AvroSchema } from './avro/schema.js'
import { toBytes } from './conversions.js'
import { ManifestContent, type ManifestFile } from './data-file.js'
import { UNASSIGNED_SEQUENCE_NUMBER } from './manifest.js'
import { readManifestList, writeManifestList } from './manifest-list.js'
import { schemaFromJson } from './schema.js'
import { Types } from './types.js'

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../test/fixtures/manifests/${name}`, import.meta.url)))

const LONG = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
const COUNT = fc.integer({ min: 0, max: 2 ** 31 - 1 })

const manifestFile = (formatVersion: 1 | 2) =>
  fc.record(
    {
      manifestPath: fc.string({ minLength: 1, maxLength: 80 }),
      manifestLength: fc.bigInt({ min: 0n, max: 2n ** 40n }),
      partitionSpecId: fc.integer({ min: 0, max: 100 }),
      content:
        formatVersion === 2
          ? fc.constantFrom(ManifestContent.DATA, ManifestContent.DELETES)
          : fc.constant(ManifestContent.DATA),
      sequenceNumber: formatVersion === 2 ? fc.bigInt({ min: 0n, max: 2n ** 62n }) : fc.constant(0n),
      minSequenceNumber: formatVersion === 2 ? fc.bigInt({ min: 0n, max: 2n ** 62n }) : fc.constant(0n),
      addedSnapshotId: LONG,
      addedFilesCount: COUNT,
      existingFilesCount: COUNT,
      deletedFilesCount: COUNT,
      addedRowsCount: LONG,
      existingRowsCount: LONG,
      deletedRowsCount: LONG,
      partitions: fc.option(
        fc.array(
          fc.record(
            {
              containsNull: fc.boolean(),
              containsNaN: fc.boolean(),
              lowerBound: fc.uint8Array({ maxLength: 16 }),
              upperBound: fc.uint8Array({ maxLength: 16 }),
            },
            { requiredKeys: ['containsNull'] },
          ),
          { maxLength: 3 },
        ),
        { nil: undefined },
      ),
      keyMetadata: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: undefined }),
    },
    {
      requiredKeys: [
        'manifestPath',
        'manifestLength',
        'partitionSpecId',
        'content',
        'sequenceNumber',
        'minSequenceNumber',
        'addedSnapshotId',
        'addedFilesCount',
        'existingFilesCount',
        'deletedFilesCount',
        'addedRowsCount',
        'existingRowsCount',
        'deletedRowsCount',
      ],
    },
  )

function manifest(overrides: Partial<ManifestFile> = {}): ManifestFile {
  return {
    manifestPath: 's3://b/t/metadata/m0.avro',
    manifestLength: 4321n,
    partitionSpecId: 0,
    content: ManifestContent.DATA,
    sequenceNumber: UNASSIGNED_SEQUENCE_NUMBER,
    minSequenceNumber: UNASSIGNED_SEQUENCE_NUMBER,
    addedSnapshotId: 77n,
    addedFilesCount: 1,
    existingFilesCount: 0,
    deletedFilesCount: 0,
    addedRowsCount: 10n,
    existingRowsCount: 0n,
    deletedRowsCount: 0n,
    ...overrides,
  }
}

describe('manifest list round trips', () => {
  it.each([1, 2] as const)('reads back exactly the manifests written (v%i)', (formatVersion) => {
    fc.assert(
      fc.property(
        fc.array(manifestFile(formatVersion), { maxLength: 10 }),
        LONG,
        fc.option(LONG),
        (manifests, snapshotId, parent) => {
          const bytes = writeManifestList({
            manifests,
            snapshotId,
            parentSnapshotId: parent,
            sequenceNumber: 5n,
            formatVersion,
          })
          const list = readManifestList(bytes, { file: 'snap.avro' })
          expect(list.formatVersion).toBe(formatVersion)
          expect(list.manifests).toEqual(manifests)
          expect(list.metadata['snapshot-id']).toBe(String(snapshotId))
          expect(list.metadata['parent-snapshot-id']).toBe(parent === null ? 'null' : String(parent))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('writes the header Java writes', () => {
    const v2 = readAvroHeader(
      writeManifestList({
        manifests: [],
        snapshotId: 2n,
        parentSnapshotId: 1n,
        sequenceNumber: 3n,
        formatVersion: 2,
      }),
    ).metadata
    expect(Object.keys(v2).sort()).toEqual(
      [
        'avro.codec',
        'avro.schema',
        'format-version',
        'iceberg.schema',
        'parent-snapshot-id',
        'sequence-number',
        'snapshot-id',
      ].sort(),
    )
    expect(v2).toMatchObject({
      'snapshot-id': '2',
      'parent-snapshot-id': '1',
      'sequence-number': '3',
      'format-version': '2',
    })
    expect(v2['avro.schema']).toContain(
      '{"name":"manifest_path","type":"string","doc":"Location URI with FS scheme","field-id":500}',
    )
    expect(v2['avro.schema']).toContain('"element-id":508')
    expect(v2['avro.schema']).toContain('"name":"r508"')
    expect(schemaFromJson(JSON.parse(v2['iceberg.schema']!)).findField(509)?.name).toBe('contains_null')
    const v1 = readAvroHeader(
      writeManifestList({
        manifests: [],
        snapshotId: 2n,
        parentSnapshotId: null,
        sequenceNumber: 0n,
        formatVersion: 1,
      }),
    ).metadata
    expect(v1['sequence-number']).toBeUndefined()
    expect(v1['parent-snapshot-id']).toBe('null')
    expect(v1['avro.schema']).toContain(
      '{"name":"added_files_count","type":["null","int"],"doc":"Added entry count","default":null,"field-id":504}',
    )
  })
})

describe('sequence number inheritance', () => {
  it('gives this snapshot’s manifests with unassigned sequence numbers the list’s sequence number', () => {
    const bytes = writeManifestList({
      manifests: [
        manifest(),
        manifest({
          manifestPath: 'old.avro',
          addedSnapshotId: 5n,
          sequenceNumber: 2n,
          minSequenceNumber: 1n,
        }),
      ],
      snapshotId: 77n,
      parentSnapshotId: 5n,
      sequenceNumber: 3n,
      formatVersion: 2,
    })
    const [mine, old] = readManifestList(bytes).manifests
    expect(mine).toMatchObject({ sequenceNumber: 3n, minSequenceNumber: 3n })
    expect(old).toMatchObject({ sequenceNumber: 2n, minSequenceNumber: 1n })
  })

  it('refuses an unassigned sequence number on a manifest of another snapshot', () => {
    expect(() =>
      writeManifestList({
        manifests: [manifest({ addedSnapshotId: 5n })],
        snapshotId: 77n,
        parentSnapshotId: 5n,
        sequenceNumber: 3n,
        formatVersion: 2,
      }),
    ).toThrow(ValidationError)
  })

  it('refuses delete manifests in a v1 list', () => {
    expect(() =>
      writeManifestList({
        manifests: [manifest({ content: ManifestContent.DELETES })],
        snapshotId: 77n,
        parentSnapshotId: null,
        sequenceNumber: 0n,
        formatVersion: 1,
      }),
    ).toThrow(/delete manifests/)
  })
})

describe('reading manifest lists written by PyIceberg', () => {
  const summaries = [
    {
      containsNull: true,
      containsNaN: false,
      lowerBound: new TextEncoder().encode('books'),
      upperBound: new TextEncoder().encode('games'),
    },
    {
      containsNull: false,
      containsNaN: false,
      lowerBound: toBytes(Types.date, 19781),
      upperBound: toBytes(Types.date, 19784),
    },
    {
      containsNull: true,
      containsNaN: false,
      lowerBound: toBytes(Types.int, 7),
      upperBound: toBytes(Types.int, 9),
    },
  ]

  it('reads a v2 list exactly', () => {
    const list = readManifestList(fixture('pyiceberg-v2-manifest-list.avro'))
    expect(list.formatVersion).toBe(2)
    expect(list.metadata).toMatchObject({
      'snapshot-id': '701692570476946793',
      'parent-snapshot-id': 'null',
      'sequence-number': '1',
    })
    expect(list.manifests).toEqual([
      {
        manifestPath: 'memory://warehouse/db/events_v2/metadata/4a7a76a9-55f0-4e08-960a-00684651d795-m0.avro',
        manifestLength: 5649n,
        partitionSpecId: 0,
        content: ManifestContent.DATA,
        sequenceNumber: 1n,
        minSequenceNumber: 1n,
        addedSnapshotId: 701692570476946793n,
        addedFilesCount: 3,
        existingFilesCount: 0,
        deletedFilesCount: 0,
        addedRowsCount: 5n,
        existingRowsCount: 0n,
        deletedRowsCount: 0n,
        partitions: summaries,
      },
    ])
    expect(list.manifests[0]!.manifestLength).toBe(BigInt(fixture('pyiceberg-v2-manifest.avro').length))
  })

  it('reads a v1 list, whose manifests have sequence number 0', () => {
    const list = readManifestList(fixture('pyiceberg-v1-manifest-list.avro'))
    expect(list.formatVersion).toBe(1)
    expect(list.manifests).toEqual([
      {
        manifestPath: 'memory://warehouse/db/events_v1/metadata/da27b3e3-f5a0-42db-b30c-93adfd0cc07b-m0.avro',
        manifestLength: 5250n,
        partitionSpecId: 0,
        content: ManifestContent.DATA,
        sequenceNumber: 0n,
        minSequenceNumber: 0n,
        addedSnapshotId: 4137597872118774684n,
        addedFilesCount: 3,
        existingFilesCount: 0,
        deletedFilesCount: 0,
        addedRowsCount: 5n,
        existingRowsCount: 0n,
        deletedRowsCount: 0n,
        partitions: summaries,
      },
    ])
  })

  it('reports a truncated list as corrupt, naming the file', () => {
    const bytes = fixture('pyiceberg-v2-manifest-list.avro')
    expect(() => readManifestList(bytes.subarray(0, bytes.length - 30), { file: 'snap.avro' })).toThrow(
      CorruptFileError,
    )
  })

  it('refuses a v1 list without file counts rather than reporting zero files', () => {
    const schema: AvroSchema = {
      type: 'record',
      name: 'manifest_file',
      fields: [
        { name: 'manifest_path', type: 'string', 'field-id': 500 },
        { name: 'manifest_length', type: 'long', 'field-id': 501 },
        { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
        { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
        { name: 'added_data_files_count', type: ['null', 'int'], 'field-id': 504 },
      ],
    }
    const bytes = writeAvroFile({
      schema,
      records: [
        {
          manifest_path: 'm',
          manifest_length: 1n,
          partition_spec_id: 0,
          added_snapshot_id: 1n,
          added_data_files_count: null,
        },
      ],
      metadata: { 'format-version': '1' },
    })
    expect(() => readManifestList(bytes)).toThrow(UnsupportedError)
  })
})

describe('manifest lists as Iceberg Java 1.9.2 writes them', () => {
  it('reads a v2 list with a data and a delete manifest', () => {
    const list = readManifestList(fixture('java-v2-manifest-list.avro'))
    expect(list.metadata).toMatchObject({
      'snapshot-id': '7592047525948027895',
      'parent-snapshot-id': '6383774451725742272',
      'sequence-number': '2',
    })
    expect(
      list.manifests.map((m) => [
        m.content,
        m.sequenceNumber,
        m.minSequenceNumber,
        m.addedSnapshotId,
        m.addedFilesCount,
        m.addedRowsCount,
      ]),
    ).toEqual([
      [ManifestContent.DATA, 1n, 1n, 6383774451725742272n, 3, 9n],
      [ManifestContent.DELETES, 2n, 2n, 7592047525948027895n, 1, 1n],
    ])
    expect(list.manifests[0]!.manifestLength).toBe(BigInt(fixture('java-v2-manifest.avro').length))
    expect(list.manifests[1]!.partitions?.[3]).toEqual({
      containsNull: false,
      containsNaN: false,
      lowerBound: toBytes(Types.decimal(9, 2), 1025n),
      upperBound: toBytes(Types.decimal(9, 2), 1025n),
    })
  })

  it.each([1, 2] as const)(
    'rewrites the v%i list with the header schema and records Java wrote',
    (formatVersion) => {
      const bytes = fixture(`java-v${formatVersion}-manifest-list.avro`)
      const list = readManifestList(bytes)
      const parent = list.metadata['parent-snapshot-id']!
      const ours = writeManifestList({
        manifests: list.manifests,
        snapshotId: BigInt(list.metadata['snapshot-id']!),
        parentSnapshotId: parent === 'null' ? null : BigInt(parent),
        sequenceNumber: BigInt(list.metadata['sequence-number'] ?? 0),
        formatVersion,
      })
      const java = readAvroFile(bytes)
      const mine = readAvroFile(ours)
      expect(mine.metadata['avro.schema']).toBe(java.metadata['avro.schema'])
      expect(mine.records).toEqual(java.records)
      expect(Object.keys(mine.metadata).sort()).toEqual(Object.keys(java.metadata).sort())
      for (const key of [
        'snapshot-id',
        'parent-snapshot-id',
        'sequence-number',
        'format-version',
        'avro.codec',
      ]) {
        expect(mine.metadata[key], key).toBe(java.metadata[key])
      }
    },
  )
})
