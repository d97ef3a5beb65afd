import { CorruptFileError, UnsupportedError, ValidationError } from '@lake/errors'
import { readAvroFile, writeAvroFile } from './avro/container.js'
import { type FieldNames, type SpecField, specFieldNames, toAvroSchema } from './avro/iceberg-schema.js'
import type { AvroRecordNode } from './avro/schema.js'
import { nonNull } from './avro/schema.js'
import { ManifestContent, type ManifestFile, type PartitionFieldSummary } from './data-file.js'
import { intHeader, UNASSIGNED_SEQUENCE_NUMBER } from './manifest.js'
import { type StructTypeJson, typeToJson } from './schema.js'
import { type NestedField, type StructType, Types } from './types.js'

/**
 * Manifest lists (spec: "Manifest Lists"): the Avro file a snapshot points at, one
 * `manifest_file` record per manifest with its counts and partition summaries.
 *
 * @module
 */

/** Options of {@link writeManifestList}. */
export interface WriteManifestListOptions {
  manifests: readonly ManifestFile[]
  /** The snapshot the list belongs to. */
  snapshotId: bigint
  parentSnapshotId: bigint | null
  /**
   * The snapshot's sequence number (v2). Manifests this snapshot wrote with
   * `UNASSIGNED_SEQUENCE_NUMBER` get it; it is not written to v1 lists.
   */
  sequenceNumber: bigint
  formatVersion: 1 | 2
}

/** A manifest list as read from its bytes. */
export interface ManifestList {
  /** Manifests in file order; v1 lists, which have no sequence numbers, give 0 as the spec says. */
  manifests: ManifestFile[]
  /** Every header key and value. */
  metadata: Readonly<Record<string, string>>
  formatVersion: 1 | 2
}

/** Options of {@link readManifestList}. */
export interface ReadManifestListOptions {
  /** The list's path, named in errors. */
  file?: string
}

const FIELD_SUMMARY = Types.struct([
  {
    id: 509,
    name: 'contains_null',
    required: true,
    type: Types.boolean,
    doc: 'True if any file has a null partition value',
  },
  {
    id: 518,
    name: 'contains_nan',
    required: false,
    type: Types.boolean,
    doc: 'True if any file has a nan partition value',
  },
  {
    id: 510,
    name: 'lower_bound',
    required: false,
    type: Types.binary,
    doc: 'Partition lower bound for all files',
  },
  {
    id: 511,
    name: 'upper_bound',
    required: false,
    type: Types.binary,
    doc: 'Partition upper bound for all files',
  },
])

/** The Iceberg type of a `manifest_file` record, in Java's field order for each version. */
export function manifestFileType(formatVersion: 1 | 2): StructType {
  const v2 = formatVersion === 2
  const field = (
    id: number,
    name: string,
    type: NestedField['type'],
    doc: string,
    required = true,
  ): NestedField => ({
    id,
    name,
    required,
    type,
    doc,
  })
  const fields: NestedField[] = [
    field(500, 'manifest_path', Types.string, 'Location URI with FS scheme'),
    field(501, 'manifest_length', Types.long, 'Total file size in bytes'),
    field(502, 'partition_spec_id', Types.int, 'Spec ID used to write'),
  ]
  if (v2) {
    fields.push(
      field(517, 'content', Types.int, 'Contents of the manifest: 0=data, 1=deletes'),
      field(515, 'sequence_number', Types.long, 'Sequence number when the manifest was added'),
      field(516, 'min_sequence_number', Types.long, 'Lowest sequence number in the manifest'),
    )
  }
  fields.push(
    field(503, 'added_snapshot_id', Types.long, 'Snapshot ID that added the manifest'),
    field(504, 'added_files_count', Types.int, 'Added entry count', v2),
    field(505, 'existing_files_count', Types.int, 'Existing entry count', v2),
    field(506, 'deleted_files_count', Types.int, 'Deleted entry count', v2),
  )
  const rows = [
    field(512, 'added_rows_count', Types.long, 'Added rows count', v2),
    field(513, 'existing_rows_count', Types.long, 'Existing rows count', v2),
    field(514, 'deleted_rows_count', Types.long, 'Deleted rows count', v2),
  ]
  const partitions = field(
    507,
    'partitions',
    Types.list(508, FIELD_SUMMARY, true),
    'Summary for each partition',
    false,
  )
  // Java's v1 lists put the partition summaries before the row counts, v2 lists after them.
  fields.push(...(v2 ? [...rows, partitions] : [partitions, ...rows]))
  fields.push(field(519, 'key_metadata', Types.binary, 'Encryption key metadata blob', false))
  return Types.struct(fields)
}

/**
 * Encodes a snapshot's manifest list as Java writes it: deflate-compressed Avro with header
 * `snapshot-id`, `parent-snapshot-id` (`null` for the first snapshot), (v2) `sequence-number`,
 * `format-version` and `iceberg.schema`.
 *
 * Sequence number inheritance happens here: a manifest whose sequence number (or minimum
 * sequence number) is `UNASSIGNED_SEQUENCE_NUMBER` must have been added by this snapshot and is
 * given `sequenceNumber`, so the manifest itself never has to be rewritten when a commit retries.
 *
 * @example
 * ```ts
 * const bytes = writeManifestList({ manifests, snapshotId, parentSnapshotId: parent?.snapshotId ?? null,
 *   sequenceNumber: metadata.lastSequenceNumber + 1n, formatVersion: 2 })
 * ```
 */
export function writeManifestList(options: WriteManifestListOptions): Uint8Array {
  const { snapshotId, parentSnapshotId, sequenceNumber, formatVersion } = options
  if (formatVersion !== 1 && formatVersion !== 2) {
    throw new UnsupportedError(`Cannot write manifest lists of format version ${formatVersion}`)
  }
  const type = manifestFileType(formatVersion)
  const metadata: Record<string, string> = {
    'snapshot-id': String(snapshotId),
    'parent-snapshot-id': parentSnapshotId === null ? 'null' : String(parentSnapshotId),
  }
  if (formatVersion === 2) metadata['sequence-number'] = String(sequenceNumber)
  metadata['format-version'] = String(formatVersion)
  const json = typeToJson(type) as StructTypeJson
  metadata['iceberg.schema'] = JSON.stringify({ type: 'struct', 'schema-id': 0, fields: json.fields })
  const records = options.manifests.map((manifest) => {
    if (formatVersion === 1) {
      if (manifest.content !== ManifestContent.DATA) {
        throw new ValidationError(
          `Version 1 tables cannot have delete manifests (${manifest.manifestPath})`,
          {
            context: { file: manifest.manifestPath },
          },
        )
      }
      return v1Record(manifest)
    }
    return {
      ...v1Record(manifest),
      content: manifest.content,
      sequence_number: assign(manifest.sequenceNumber, manifest, options),
      min_sequence_number: assign(manifest.minSequenceNumber, manifest, options),
    }
  })
  return writeAvroFile({ schema: toAvroSchema(type, 'manifest_file'), records, metadata, codec: 'deflate' })
}

function assign(value: bigint, manifest: ManifestFile, options: WriteManifestListOptions): bigint {
  if (value !== UNASSIGNED_SEQUENCE_NUMBER) return value
  if (manifest.addedSnapshotId !== options.snapshotId) {
    throw new ValidationError(
      `Manifest ${manifest.manifestPath} from snapshot ${manifest.addedSnapshotId} has no sequence number`,
      { context: { file: manifest.manifestPath } },
    )
  }
  return options.sequenceNumber
}

function v1Record(manifest: ManifestFile): Record<string, unknown> {
  if (manifest.content !== ManifestContent.DATA && manifest.content !== ManifestContent.DELETES) {
    throw new ValidationError(`Invalid manifest content ${manifest.content}`, {
      context: { file: manifest.manifestPath },
    })
  }
  return {
    manifest_path: manifest.manifestPath,
    manifest_length: manifest.manifestLength,
    partition_spec_id: manifest.partitionSpecId,
    added_snapshot_id: manifest.addedSnapshotId,
    added_files_count: manifest.addedFilesCount,
    existing_files_count: manifest.existingFilesCount,
    deleted_files_count: manifest.deletedFilesCount,
    added_rows_count: manifest.addedRowsCount,
    existing_rows_count: manifest.existingRowsCount,
    deleted_rows_count: manifest.deletedRowsCount,
    partitions: manifest.partitions?.map(summaryRecord) ?? null,
    key_metadata: manifest.keyMetadata ?? null,
  }
}

function summaryRecord(summary: PartitionFieldSummary): Record<string, unknown> {
  return {
    contains_null: summary.containsNull,
    contains_nan: summary.containsNaN ?? null,
    lower_bound: summary.lowerBound ?? null,
    upper_bound: summary.upperBound ?? null,
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

const FIELDS = {
  manifestPath: [500, 'manifest_path', 'string'],
  manifestLength: [501, 'manifest_length', 'long'],
  partitionSpecId: [502, 'partition_spec_id', 'int'],
  content: [517, 'content', 'int'],
  sequenceNumber: [515, 'sequence_number', 'long'],
  minSequenceNumber: [516, 'min_sequence_number', 'long'],
  addedSnapshotId: [503, 'added_snapshot_id', 'long'],
  addedFilesCount: [504, 'added_files_count', 'int'],
  existingFilesCount: [505, 'existing_files_count', 'int'],
  deletedFilesCount: [506, 'deleted_files_count', 'int'],
  addedRowsCount: [512, 'added_rows_count', 'long'],
  existingRowsCount: [513, 'existing_rows_count', 'long'],
  deletedRowsCount: [514, 'deleted_rows_count', 'long'],
  partitions: [507, 'partitions', 'array'],
  keyMetadata: [519, 'key_metadata', 'bytes'],
} as const satisfies Record<string, SpecField>

const SUMMARY_FIELDS = {
  containsNull: [509, 'contains_null', 'boolean'],
  containsNaN: [518, 'contains_nan', 'boolean'],
  lowerBound: [510, 'lower_bound', 'bytes'],
  upperBound: [511, 'upper_bound', 'bytes'],
} as const satisfies Record<string, SpecField>

/** Java's v1 names for the file counts, for lists written before they were renamed. */
const V1_NAMES: Record<number, string> = {
  504: 'added_data_files_count',
  505: 'existing_data_files_count',
  506: 'deleted_data_files_count',
}

/**
 * Decodes a manifest list of format version 1 or 2 by field id, whoever wrote it. A truncated or
 * corrupt file throws `CorruptFileError` naming `options.file`.
 */
export function readManifestList(bytes: Uint8Array, options: ReadManifestListOptions = {}): ManifestList {
  const { file } = options
  const avro = readAvroFile(bytes, { file })
  const root = nonNull(avro.schema)
  if (root.type !== 'record') throw corrupt(`A manifest list holds records, not '${root.type}'`, file)
  const names = specFieldNames(root, FIELDS, file, V1_NAMES)
  for (const key of ['manifestPath', 'manifestLength', 'partitionSpecId', 'addedSnapshotId'] as const) {
    if (names[key] === undefined) throw corrupt(`Manifest list schema has no ${FIELDS[key][1]}`, file)
  }
  const formatVersion = formatVersionOf(avro.metadata, names.sequenceNumber !== undefined, file)
  const summaryNames = summaryNamesOf(root, names.partitions, file)
  const manifests = avro.records.map((value, row) => {
    const record = value as Record<string, unknown>
    const get = (key: keyof typeof FIELDS) => {
      const name = names[key]
      return name === undefined ? null : record[name]
    }
    const count = <T>(key: keyof typeof FIELDS): T => {
      const n = get(key)
      if (n === null) {
        // v1 made the counts optional; without them a reader would have to open every manifest,
        // which `ManifestFile` (counts required) cannot express.
        throw new UnsupportedError(`Manifest list entry ${row} has no ${FIELDS[key][1]}`, {
          context: file === undefined ? { row } : { file, row },
        })
      }
      return n as T
    }
    const content = get('content') ?? ManifestContent.DATA
    if (content !== ManifestContent.DATA && content !== ManifestContent.DELETES) {
      throw corrupt(`Manifest list entry ${row} has invalid content ${String(content)}`, file)
    }
    const manifest: ManifestFile = {
      manifestPath: get('manifestPath') as string,
      manifestLength: get('manifestLength') as bigint,
      partitionSpecId: get('partitionSpecId') as number,
      content,
      sequenceNumber: (get('sequenceNumber') as bigint | null) ?? 0n,
      minSequenceNumber: (get('minSequenceNumber') as bigint | null) ?? 0n,
      addedSnapshotId: get('addedSnapshotId') as bigint,
      addedFilesCount: count<number>('addedFilesCount'),
      existingFilesCount: count<number>('existingFilesCount'),
      deletedFilesCount: count<number>('deletedFilesCount'),
      addedRowsCount: count<bigint>('addedRowsCount'),
      existingRowsCount: count<bigint>('existingRowsCount'),
      deletedRowsCount: count<bigint>('deletedRowsCount'),
    }
    const partitions = get('partitions') as Record<string, unknown>[] | null
    if (partitions !== null && summaryNames)
      manifest.partitions = partitions.map((s) => toSummary(s, summaryNames))
    const keyMetadata = get('keyMetadata')
    if (keyMetadata !== null) manifest.keyMetadata = keyMetadata as Uint8Array
    return manifest
  })
  return { manifests, metadata: avro.metadata, formatVersion }
}

function summaryNamesOf(
  root: AvroRecordNode,
  name: string | undefined,
  file?: string,
): FieldNames<typeof SUMMARY_FIELDS> | undefined {
  const field = root.fields.find((f) => f.name === name)
  if (!field) return undefined
  const list = nonNull(field.type)
  const item = list.type === 'array' ? nonNull(list.items) : undefined
  if (item?.type !== 'record') throw corrupt('Manifest list partitions are not a list of records', file)
  const names = specFieldNames(item, SUMMARY_FIELDS, file)
  if (names.containsNull === undefined) throw corrupt('Partition field summary has no contains_null', file)
  return names
}

function toSummary(
  record: Record<string, unknown>,
  names: FieldNames<typeof SUMMARY_FIELDS>,
): PartitionFieldSummary {
  const summary: PartitionFieldSummary = { containsNull: record[names.containsNull!] as boolean }
  const nan = names.containsNaN === undefined ? null : record[names.containsNaN]
  if (nan !== null && nan !== undefined) summary.containsNaN = nan as boolean
  const lower = names.lowerBound === undefined ? null : record[names.lowerBound]
  if (lower !== null && lower !== undefined) summary.lowerBound = lower as Uint8Array
  const upper = names.upperBound === undefined ? null : record[names.upperBound]
  if (upper !== null && upper !== undefined) summary.upperBound = upper as Uint8Array
  return summary
}

function formatVersionOf(
  metadata: Readonly<Record<string, string>>,
  hasSequence: boolean,
  file?: string,
): 1 | 2 {
  if (metadata['format-version'] === undefined) return hasSequence ? 2 : 1
  const version = intHeader(metadata, 'format-version', 1, file)
  if (version === 1 || version === 2) return version
  throw new UnsupportedError(`Manifest list format version ${version} is not supported`, {
    context: file === undefined ? {} : { file },
  })
}

function corrupt(message: string, file?: string): CorruptFileError {
  return new CorruptFileError(
    `${message}${file === undefined ? '' : ` in ${file}`}`,
    file === undefined ? {} : { context: { file } },
  )
}
