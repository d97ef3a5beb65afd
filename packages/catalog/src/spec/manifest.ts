import { CorruptFileError, UnsupportedError, ValidationError } from '@lake/errors'
import { readAvroFile, writeAvroFile } from './avro/container.js'
import {
  avroFieldName,
  type FieldNames,
  fromAvroValue,
  icebergTypeOf,
  type SpecField,
  specFieldNames,
  toAvroSchema,
  toAvroValue,
} from './avro/iceberg-schema.js'
import { type AvroFieldNode, type AvroNode, type AvroRecordNode, nonNull } from './avro/schema.js'
import { toBytes } from './conversions.js'
import {
  type DataFile,
  DataFileContent,
  ManifestContent,
  type ManifestEntry,
  ManifestEntryStatus,
  type ManifestFile,
  type PartitionFieldSummary,
} from './data-file.js'
import { type PartitionSpec, partitionFieldsToJson } from './partition-spec.js'
import { type Schema, type StructTypeJson, schemaToJson, typeToJson } from './schema.js'
import {
  type IcebergType,
  isPrimitive,
  type NestedField,
  type PrimitiveType,
  type StructType,
  Types,
} from './types.js'
import { compareValues } from './values.js'

/**
 * Manifests (spec: "Manifests"): Avro files listing data or delete files with their partition
 * tuples and column metrics. Written with the header and Avro schema Java writes, read with the
 * file's own schema by field id, so manifests from Java, PyIceberg or Lake read alike.
 *
 * @module
 */

/**
 * The sequence number of a manifest or entry written by a commit that has not been given its
 * sequence number yet; the manifest list replaces it (spec: "Sequence Number Inheritance").
 */
export const UNASSIGNED_SEQUENCE_NUMBER = -1n

/** The block size v1 manifests must carry in `block_size_in_bytes` (Java's 64 MiB default). */
const V1_BLOCK_SIZE = 67_108_864n

/** Options of {@link writeManifest}. */
export interface WriteManifestOptions {
  /** Entries in the order they are written. */
  entries: readonly ManifestEntry[]
  /** The table schema, recorded in the header for readers that project by it. */
  schema: Schema
  /** The partition spec of every file in the manifest. */
  spec: PartitionSpec
  /** The spec's partition type: one field per spec field, with the result type of its transform. */
  partitionType: StructType
  formatVersion: 1 | 2
  content: ManifestContent
  /**
   * The snapshot writing the manifest. Entries without a snapshot id get it; in v1, where
   * `snapshot_id` is required, an entry without either is refused.
   */
  snapshotId?: bigint
}

/** A manifest as read from its bytes. */
export interface Manifest {
  /** Entries in file order; sequence numbers still null where they are to be inherited. */
  entries: ManifestEntry[]
  /** Every header key and value (`schema`, `partition-spec`, `avro.schema`, …). */
  metadata: Readonly<Record<string, string>>
  formatVersion: 1 | 2
  content: ManifestContent
  partitionSpecId: number
  /** The table schema from the header (`schema`), parsed but not interpreted; `schemaFromJson` reads it. */
  schemaJson: unknown
  /** The partition tuple's type as the file describes it, in the order of `DataFile.partition`. */
  partitionType: StructType
}

/** Options of {@link readManifest}. */
export interface ReadManifestOptions {
  /** The manifest's path, named in errors. */
  file?: string
  /**
   * The length its manifest list records (`manifest_length`). A file cut right after a block is
   * still well-formed Avro; only this length reveals the cut, so pass it when it is known.
   */
  manifestLength?: bigint
}

// ---------------------------------------------------------------------------------------------
// The manifest_entry schema (spec: "Manifests", field ids as there).

function mapField(id: number, name: string, keyId: number, valueId: number, value: IcebergType, doc: string) {
  return { id, name, required: false, type: Types.map(keyId, Types.int, valueId, value, true), doc }
}

/**
 * The Iceberg type of a `data_file` struct. The order of fields is Java's, which is what readers
 * that ignore field ids (some do) expect.
 */
export function dataFileType(partitionType: StructType, formatVersion: 1 | 2): StructType {
  const fields: NestedField[] = []
  if (formatVersion === 2) {
    fields.push({
      id: 134,
      name: 'content',
      required: true,
      type: Types.int,
      doc: 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes',
    })
  }
  fields.push(
    { id: 100, name: 'file_path', required: true, type: Types.string, doc: 'Location URI with FS scheme' },
    {
      id: 101,
      name: 'file_format',
      required: true,
      type: Types.string,
      doc: 'File format name: avro, orc, or parquet',
    },
    {
      id: 102,
      name: 'partition',
      required: true,
      type: partitionType,
      doc: 'Partition data tuple, schema based on the partition spec',
    },
    { id: 103, name: 'record_count', required: true, type: Types.long, doc: 'Number of records in the file' },
    {
      id: 104,
      name: 'file_size_in_bytes',
      required: true,
      type: Types.long,
      doc: 'Total file size in bytes',
    },
  )
  if (formatVersion === 1) {
    fields.push({
      id: 105,
      name: 'block_size_in_bytes',
      required: true,
      type: Types.long,
      doc: 'Block size in bytes',
    })
  }
  fields.push(
    mapField(108, 'column_sizes', 117, 118, Types.long, 'Map of column id to total size on disk'),
    mapField(
      109,
      'value_counts',
      119,
      120,
      Types.long,
      'Map of column id to total count, including null and NaN',
    ),
    mapField(110, 'null_value_counts', 121, 122, Types.long, 'Map of column id to null value count'),
    mapField(
      137,
      'nan_value_counts',
      138,
      139,
      Types.long,
      'Map of column id to number of NaN values in the column',
    ),
    mapField(125, 'lower_bounds', 126, 127, Types.binary, 'Map of column id to lower bound'),
    mapField(128, 'upper_bounds', 129, 130, Types.binary, 'Map of column id to upper bound'),
    {
      id: 131,
      name: 'key_metadata',
      required: false,
      type: Types.binary,
      doc: 'Encryption key metadata blob',
    },
    {
      id: 132,
      name: 'split_offsets',
      required: false,
      type: Types.list(133, Types.long, true),
      doc: 'Splittable offsets',
    },
  )
  if (formatVersion === 2) {
    fields.push({
      id: 135,
      name: 'equality_ids',
      required: false,
      type: Types.list(136, Types.int, true),
      doc: 'Equality comparison field IDs',
    })
  }
  fields.push({ id: 140, name: 'sort_order_id', required: false, type: Types.int, doc: 'Sort order ID' })
  if (formatVersion === 2) {
    // Java (1.8+) writes this v3 field in v2 manifests too; `DataFile` does not carry it yet.
    fields.push({
      id: 143,
      name: 'referenced_data_file',
      required: false,
      type: Types.string,
      doc: 'Fully qualified location (URI with FS scheme) of a data file that all deletes reference',
    })
  }
  return Types.struct(fields)
}

/** The Iceberg type of a `manifest_entry` for a partition type, as written to `iceberg.schema`. */
export function manifestEntryType(partitionType: StructType, formatVersion: 1 | 2): StructType {
  const fields: NestedField[] = [{ id: 0, name: 'status', required: true, type: Types.int }]
  if (formatVersion === 1) {
    fields.push({ id: 1, name: 'snapshot_id', required: true, type: Types.long })
  } else {
    fields.push(
      { id: 1, name: 'snapshot_id', required: false, type: Types.long },
      { id: 3, name: 'sequence_number', required: false, type: Types.long },
      { id: 4, name: 'file_sequence_number', required: false, type: Types.long },
    )
  }
  fields.push({ id: 2, name: 'data_file', required: true, type: dataFileType(partitionType, formatVersion) })
  return Types.struct(fields)
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Encodes a manifest as Java writes it: deflate-compressed Avro whose header carries the table
 * `schema` and `schema-id`, the `partition-spec` and its id, `format-version`, (v2) `content`, and
 * `iceberg.schema`, the manifest entry schema with its field ids.
 *
 * @example
 * ```ts
 * const bytes = writeManifest({ entries, schema, spec, partitionType, formatVersion: 2,
 *   content: ManifestContent.DATA, snapshotId })
 * await io.write(manifestPath, bytes)
 * ```
 */
export function writeManifest(options: WriteManifestOptions): Uint8Array {
  const { entries, schema, spec, partitionType, formatVersion, content } = options
  if (formatVersion !== 1 && formatVersion !== 2) {
    throw new UnsupportedError(`Cannot write manifests of format version ${formatVersion}`)
  }
  if (formatVersion === 1 && content !== ManifestContent.DATA) {
    throw new ValidationError('Version 1 tables cannot have delete manifests')
  }
  if (spec.fields.length !== partitionType.fields.length) {
    throw new ValidationError(
      `Partition spec ${spec.specId} has ${spec.fields.length} fields but its partition type has ${partitionType.fields.length}`,
    )
  }
  const entryType = manifestEntryType(partitionType, formatVersion)
  const avroSchema = toAvroSchema(entryType, 'manifest_entry')
  const toRecord = entryRecordWriter(options)
  const metadata: Record<string, string> = {
    schema: JSON.stringify(schemaToJson(schema)),
    'schema-id': String(schema.schemaId),
    'partition-spec': JSON.stringify(partitionFieldsToJson(spec.fields)),
    'partition-spec-id': String(spec.specId),
    'format-version': String(formatVersion),
  }
  if (formatVersion === 2) metadata.content = content === ManifestContent.DELETES ? 'deletes' : 'data'
  // Java's SchemaParser form of the entry schema: a schema with id 0.
  const entryJson = typeToJson(entryType) as StructTypeJson
  metadata['iceberg.schema'] = JSON.stringify({ type: 'struct', 'schema-id': 0, fields: entryJson.fields })
  return writeAvroFile({ schema: avroSchema, records: entries.map(toRecord), metadata, codec: 'deflate' })
}

function entryRecordWriter(options: WriteManifestOptions): (entry: ManifestEntry, index: number) => unknown {
  const { partitionType, formatVersion, content, spec, snapshotId } = options
  const partitionFields = partitionType.fields.map((field) => {
    if (!isPrimitive(field.type)) {
      throw new ValidationError(`Partition field '${field.name}' must have a primitive type`, {
        context: { field: field.name },
      })
    }
    return { name: avroFieldName(field.name), type: field.type, path: `partition.${field.name}` }
  })
  return (entry, index) => {
    const file = entry.dataFile
    const where = { context: { file: file.filePath, row: index } }
    const isDelete = file.content !== DataFileContent.DATA
    if (isDelete !== (content === ManifestContent.DELETES)) {
      throw new ValidationError(
        `A ${content === ManifestContent.DELETES ? 'delete' : 'data'} manifest cannot hold ${file.filePath} (content ${file.content})`,
        where,
      )
    }
    if (file.specId !== spec.specId) {
      throw new ValidationError(
        `${file.filePath} was written with partition spec ${file.specId}, not ${spec.specId}`,
        where,
      )
    }
    if (file.partition.length !== partitionFields.length) {
      throw new ValidationError(
        `${file.filePath} has ${file.partition.length} partition values; spec ${spec.specId} has ${partitionFields.length} fields`,
        where,
      )
    }
    const partition: Record<string, unknown> = {}
    for (let i = 0; i < partitionFields.length; i++) {
      const field = partitionFields[i]!
      partition[field.name] = toAvroValue(field.type, file.partition[i], field.path)
    }
    const dataFile: Record<string, unknown> = {
      file_path: file.filePath,
      file_format: file.fileFormat,
      partition,
      record_count: file.recordCount,
      file_size_in_bytes: file.fileSizeInBytes,
      column_sizes: file.columnSizes ?? null,
      value_counts: file.valueCounts ?? null,
      null_value_counts: file.nullValueCounts ?? null,
      nan_value_counts: file.nanValueCounts ?? null,
      lower_bounds: file.lowerBounds ?? null,
      upper_bounds: file.upperBounds ?? null,
      key_metadata: file.keyMetadata ?? null,
      split_offsets: file.splitOffsets ?? null,
      sort_order_id: file.sortOrderId ?? null,
    }
    const entrySnapshotId = entry.snapshotId ?? snapshotId ?? null
    if (formatVersion === 1) {
      if (entrySnapshotId === null) {
        throw new ValidationError(`A v1 manifest entry needs a snapshot id (${file.filePath})`, where)
      }
      dataFile.block_size_in_bytes = V1_BLOCK_SIZE
      return { status: entry.status, snapshot_id: entrySnapshotId, data_file: dataFile }
    }
    if (entry.sequenceNumber === null) {
      // Only files added by this very commit may leave their sequence number to inheritance.
      if (entry.status !== ManifestEntryStatus.ADDED) {
        throw new ValidationError(`Only ADDED entries may have no sequence number (${file.filePath})`, where)
      }
      if (entry.snapshotId !== null && snapshotId !== undefined && entry.snapshotId !== snapshotId) {
        throw new ValidationError(
          `Entry from snapshot ${entry.snapshotId} has no sequence number (${file.filePath})`,
          where,
        )
      }
    }
    dataFile.content = file.content
    dataFile.equality_ids = file.equalityIds ?? null
    dataFile.referenced_data_file = null
    return {
      status: entry.status,
      snapshot_id: entrySnapshotId,
      sequence_number: entry.sequenceNumber,
      file_sequence_number: entry.fileSequenceNumber,
      data_file: dataFile,
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Decodes a manifest of format version 1 or 2, whoever wrote it: fields are found by their
 * `field-id` in the file's own Avro schema (by spec name when an old writer left ids out), and
 * partition values are turned into internal values by their Avro logical types.
 *
 * A truncated or corrupt file throws `CorruptFileError` naming `options.file`; v1 entries, which
 * carry no sequence numbers, get sequence number 0 as the spec prescribes.
 */
export function readManifest(bytes: Uint8Array, options: ReadManifestOptions = {}): Manifest {
  const { file } = options
  if (options.manifestLength !== undefined && BigInt(bytes.length) !== options.manifestLength) {
    throw corrupt(
      `Manifest has ${bytes.length} bytes, its manifest list says ${options.manifestLength}`,
      file,
    )
  }
  const avro = readAvroFile(bytes, { file })
  const metadata = avro.metadata
  const root = recordOf(avro.schema, 'manifest_entry', file)
  const formatVersion = formatVersionOf(metadata, root, file)
  const partitionSpecId = intHeader(metadata, 'partition-spec-id', 0, file)
  const content = contentOf(metadata, file)
  const layout = entryLayout(root, metadata, file)
  const toEntry = entryReader(layout, formatVersion, partitionSpecId, file)
  const entries = avro.records.map((record, i) => toEntry(record as Record<string, unknown>, i))
  return {
    entries,
    metadata,
    formatVersion,
    content,
    partitionSpecId,
    schemaJson: jsonHeader(metadata, 'schema', file),
    partitionType: layout.partitionType,
  }
}

const ENTRY_FIELDS = {
  status: [0, 'status', 'int'],
  snapshotId: [1, 'snapshot_id', 'long'],
  sequenceNumber: [3, 'sequence_number', 'long'],
  fileSequenceNumber: [4, 'file_sequence_number', 'long'],
  dataFile: [2, 'data_file', 'record'],
} as const satisfies Record<string, SpecField>

const DATA_FILE_FIELDS = {
  content: [134, 'content', 'int'],
  filePath: [100, 'file_path', 'string'],
  fileFormat: [101, 'file_format', 'string'],
  partition: [102, 'partition', 'record'],
  recordCount: [103, 'record_count', 'long'],
  fileSizeInBytes: [104, 'file_size_in_bytes', 'long'],
  keyMetadata: [131, 'key_metadata', 'bytes'],
  splitOffsets: [132, 'split_offsets', 'array'],
  equalityIds: [135, 'equality_ids', 'array'],
  sortOrderId: [140, 'sort_order_id', 'int'],
} as const satisfies Record<string, SpecField>

/** The metrics maps: field, key and value ids, and the Avro type of the values. */
const METRICS_MAPS = {
  columnSizes: [108, 'column_sizes', 'long'],
  valueCounts: [109, 'value_counts', 'long'],
  nullValueCounts: [110, 'null_value_counts', 'long'],
  nanValueCounts: [137, 'nan_value_counts', 'long'],
  lowerBounds: [125, 'lower_bounds', 'bytes'],
  upperBounds: [128, 'upper_bounds', 'bytes'],
} as const

/** Where each spec field sits in one file's Avro schema. */
interface EntryLayout {
  entry: FieldNames<typeof ENTRY_FIELDS>
  dataFile: FieldNames<typeof DATA_FILE_FIELDS>
  maps: { key: keyof typeof METRICS_MAPS; name: string; read: (value: unknown) => Map<number, unknown> }[]
  partition: { name: string; node: AvroNode; convert: boolean }[]
  partitionType: StructType
}

function entryLayout(
  root: AvroRecordNode,
  metadata: Readonly<Record<string, string>>,
  file?: string,
): EntryLayout {
  const entry = specFieldNames(root, ENTRY_FIELDS, file)
  if (entry.status === undefined || entry.dataFile === undefined) {
    throw corrupt('Manifest schema has no status or data_file field', file)
  }
  const dataFileRecord = recordOf(root.fields.find((f) => f.name === entry.dataFile)!.type, 'data_file', file)
  const dataFile = specFieldNames(dataFileRecord, DATA_FILE_FIELDS, file)
  for (const key of ['filePath', 'fileFormat', 'partition', 'recordCount', 'fileSizeInBytes'] as const) {
    if (dataFile[key] === undefined)
      throw corrupt(`Manifest schema has no data_file.${DATA_FILE_FIELDS[key][1]}`, file)
  }
  const maps: EntryLayout['maps'] = []
  for (const [key, [id, name, valueType]] of Object.entries(METRICS_MAPS)) {
    const field =
      dataFileRecord.fields.find((f) => f.attrs['field-id'] === id) ??
      dataFileRecord.fields.find((f) => f.name === name)
    if (field) {
      maps.push({
        key: key as keyof typeof METRICS_MAPS,
        name: field.name,
        read: mapReader(field.type, valueType, file),
      })
    }
  }
  const partitionField = dataFileRecord.fields.find((f) => f.name === dataFile.partition)!
  const partitionRecord = recordOf(partitionField.type, 'partition', file)
  const specFields = specFieldsOf(metadata, file)
  const partitionFields: NestedField[] = []
  const partition = partitionRecord.fields.map((field, i) => {
    const id = field.attrs['field-id'] ?? specFields?.[i]?.fieldId
    if (typeof id !== 'number') throw corrupt(`Partition field '${field.name}' has no field id`, file)
    const type = icebergTypeOf(field.type, file)
    const name = specFields?.find((f) => f.fieldId === id)?.name ?? field.name
    partitionFields.push({ id, name, required: nonNull(field.type) === field.type, type })
    return { name: field.name, node: field.type, convert: type.kind === 'uuid' || type.kind === 'decimal' }
  })
  return { entry, dataFile, maps, partition, partitionType: Types.struct(partitionFields) }
}

/**
 * A reader for Iceberg's map encoding: an array of key/value records (for int keys, as every
 * metrics map has), or a native Avro map with string keys from writers that used one.
 */
function mapReader(
  node: AvroNode,
  valueType: string,
  file?: string,
): (value: unknown) => Map<number, unknown> {
  const base = nonNull(node)
  const check = (value: AvroNode, key?: AvroNode) => {
    if (nonNull(value).type !== valueType || (key !== undefined && nonNull(key).type !== 'int')) {
      throw corrupt(`A metrics map does not map int to ${valueType}`, file)
    }
  }
  if (base.type === 'map') {
    check(base.values)
    return (value) => {
      const out = new Map<number, unknown>()
      for (const [k, v] of value as Map<string, unknown>) out.set(Number(k), v)
      return out
    }
  }
  const items = base.type === 'array' ? nonNull(base.items) : undefined
  if (items?.type !== 'record' || items.fields.length !== 2)
    throw corrupt('A metrics map is not a list of key/value records', file)
  const [key, val] = items.fields as [AvroFieldNode, AvroFieldNode]
  check(val.type, key.type)
  // Marked as a map, the Avro layer already decodes it into a Map.
  if (base.attrs.logicalType === 'map') return (value) => value as Map<number, unknown>
  return (value) => {
    const out = new Map<number, unknown>()
    for (const item of value as Record<string, unknown>[]) out.set(item[key.name] as number, item[val.name])
    return out
  }
}

function entryReader(
  layout: EntryLayout,
  formatVersion: 1 | 2,
  specId: number,
  file?: string,
): (record: Record<string, unknown>, index: number) => ManifestEntry {
  const { entry: e, dataFile: d, maps, partition } = layout
  return (record, index) => {
    const df = record[e.dataFile!] as Record<string, unknown>
    const status = record[e.status!]
    if (status !== 0 && status !== 1 && status !== 2) throw badValue(`status ${String(status)}`, index, file)
    const content = d.content === undefined ? DataFileContent.DATA : df[d.content]
    if (content !== 0 && content !== 1 && content !== 2)
      throw badValue(`content ${String(content)}`, index, file)
    const fileFormat = String(df[d.fileFormat!]).toUpperCase()
    if (fileFormat !== 'PARQUET' && fileFormat !== 'AVRO' && fileFormat !== 'ORC') {
      throw badValue(`file format '${fileFormat}'`, index, file)
    }
    const p = df[d.partition!] as Record<string, unknown>
    const values = partition.map((f) => (f.convert ? fromAvroValue(f.node, p[f.name]) : p[f.name]))
    const dataFile: DataFile = {
      content,
      filePath: df[d.filePath!] as string,
      fileFormat,
      partition: values,
      specId,
      recordCount: df[d.recordCount!] as bigint,
      fileSizeInBytes: df[d.fileSizeInBytes!] as bigint,
    }
    for (const map of maps) {
      const value = df[map.name]
      if (value !== null && value !== undefined)
        (dataFile as unknown as Record<string, unknown>)[map.key] = map.read(value)
    }
    const keyMetadata = d.keyMetadata === undefined ? null : df[d.keyMetadata]
    if (keyMetadata != null) dataFile.keyMetadata = keyMetadata as Uint8Array
    const splitOffsets = d.splitOffsets === undefined ? null : df[d.splitOffsets]
    if (splitOffsets != null) dataFile.splitOffsets = splitOffsets as bigint[]
    const equalityIds = d.equalityIds === undefined ? null : df[d.equalityIds]
    // PyIceberg writes equality ids as longs although the spec has ints.
    if (equalityIds != null) dataFile.equalityIds = (equalityIds as (number | bigint)[]).map(Number)
    const sortOrderId = d.sortOrderId === undefined ? null : df[d.sortOrderId]
    if (sortOrderId != null) dataFile.sortOrderId = sortOrderId as number
    const snapshotId = (e.snapshotId === undefined ? null : record[e.snapshotId]) as bigint | null
    if (formatVersion === 1) {
      return { status, snapshotId, sequenceNumber: 0n, fileSequenceNumber: 0n, dataFile }
    }
    return {
      status,
      snapshotId,
      sequenceNumber: (e.sequenceNumber === undefined ? null : record[e.sequenceNumber]) as bigint | null,
      fileSequenceNumber: (e.fileSequenceNumber === undefined ? null : record[e.fileSequenceNumber]) as
        | bigint
        | null,
      dataFile,
    }
  }
}

function recordOf(node: AvroNode, what: string, file?: string): AvroRecordNode {
  const base = nonNull(node)
  if (base.type !== 'record')
    throw corrupt(`Expected ${what} to be an Avro record, found '${base.type}'`, file)
  return base
}

function formatVersionOf(
  metadata: Readonly<Record<string, string>>,
  root: AvroRecordNode,
  file?: string,
): 1 | 2 {
  const header = metadata['format-version']
  if (header === undefined)
    return root.fields.some((f) => f.attrs['field-id'] === 3 || f.name === 'sequence_number') ? 2 : 1
  if (header === '1' || header === '2') return Number(header) as 1 | 2
  if (/^\d+$/.test(header)) {
    throw new UnsupportedError(`Manifest format version ${header} is not supported`, {
      context: file === undefined ? {} : { file },
    })
  }
  throw corrupt(`Invalid format-version '${header}'`, file)
}

function contentOf(metadata: Readonly<Record<string, string>>, file?: string): ManifestContent {
  const header = metadata.content
  if (header === undefined || header === 'data') return ManifestContent.DATA
  if (header === 'deletes') return ManifestContent.DELETES
  throw corrupt(`Invalid manifest content '${header}'`, file)
}

/** Reads a header that holds an integer, e.g. `partition-spec-id`. */
export function intHeader(
  metadata: Readonly<Record<string, string>>,
  key: string,
  fallback: number,
  file?: string,
): number {
  const value = metadata[key]
  if (value === undefined) return fallback
  if (!/^-?\d+$/.test(value)) throw corrupt(`Header '${key}' is not an integer: '${value}'`, file)
  return Number(value)
}

function jsonHeader(metadata: Readonly<Record<string, string>>, key: string, file?: string): unknown {
  const value = metadata[key]
  if (value === undefined) return undefined
  try {
    return JSON.parse(value)
  } catch (cause) {
    throw new CorruptFileError(
      `Header '${key}' is not valid JSON${file === undefined ? '' : ` in ${file}`}`,
      {
        cause,
        context: file === undefined ? {} : { file },
      },
    )
  }
}

function specFieldsOf(
  metadata: Readonly<Record<string, string>>,
  file?: string,
): { fieldId: number; name: string }[] | undefined {
  const json = jsonHeader(metadata, 'partition-spec', file)
  // Old writers put the whole spec object here rather than its fields.
  const fields = Array.isArray(json) ? json : (json as { fields?: unknown } | undefined)?.fields
  if (!Array.isArray(fields)) return undefined
  return fields.map((f: { 'field-id'?: unknown; name?: unknown }) => ({
    fieldId: typeof f['field-id'] === 'number' ? f['field-id'] : Number.NaN,
    name: String(f.name),
  }))
}

function corrupt(message: string, file?: string): CorruptFileError {
  return new CorruptFileError(
    `${message}${file === undefined ? '' : ` in ${file}`}`,
    file === undefined ? {} : { context: { file } },
  )
}

function badValue(what: string, row: number, file?: string): CorruptFileError {
  return new CorruptFileError(
    `Manifest entry ${row} has invalid ${what}${file === undefined ? '' : ` in ${file}`}`,
    {
      context: file === undefined ? { row } : { file, row },
    },
  )
}

// ---------------------------------------------------------------------------------------------
// Summaries for the manifest list

/**
 * The `partitions` field summaries of a manifest list entry: per partition field, whether any
 * entry has a null or NaN value, and the lowest and highest other values in the single-value
 * serialisation. Scan planning prunes whole manifests with them, so every entry counts,
 * deleted ones included, as in Java.
 */
export function partitionSummaries(
  entries: readonly ManifestEntry[],
  partitionType: StructType,
): PartitionFieldSummary[] {
  return partitionType.fields.map((field, i) => {
    if (!isPrimitive(field.type)) {
      throw new ValidationError(`Partition field '${field.name}' must have a primitive type`, {
        context: { field: field.name },
      })
    }
    const type: PrimitiveType = field.type
    const floating = type.kind === 'float' || type.kind === 'double'
    let containsNull = false
    let containsNaN = false
    let lower: unknown
    let upper: unknown
    for (const entry of entries) {
      const value = entry.dataFile.partition[i]
      if (value === null || value === undefined) containsNull = true
      else if (floating && Number.isNaN(value)) containsNaN = true
      else if (lower === undefined) {
        lower = value
        upper = value
      } else {
        if (compareValues(type, value, lower) < 0) lower = value
        if (compareValues(type, value, upper) > 0) upper = value
      }
    }
    const summary: PartitionFieldSummary = { containsNull, containsNaN }
    if (lower !== undefined) {
      summary.lowerBound = toBytes(type, lower)
      summary.upperBound = toBytes(type, upper)
    }
    return summary
  })
}

/** Options of {@link toManifestFile}. */
export interface ToManifestFileOptions {
  /** Where the manifest was written. */
  manifestPath: string
  /** Its bytes, as {@link writeManifest} returned them. */
  manifestLength: bigint
  /** The entries written, for counts and partition summaries. */
  entries: readonly ManifestEntry[]
  spec: PartitionSpec
  partitionType: StructType
  content: ManifestContent
  /** The snapshot adding the manifest. */
  snapshotId: bigint
}

/**
 * The manifest list entry of a manifest just written. Its sequence numbers stay
 * {@link UNASSIGNED_SEQUENCE_NUMBER} unless every entry already has one, so the manifest list
 * assigns them at commit time (spec: "Sequence Number Inheritance").
 */
export function toManifestFile(options: ToManifestFileOptions): ManifestFile {
  const counts = { files: [0, 0, 0], rows: [0n, 0n, 0n] }
  let minSequenceNumber: bigint | undefined
  for (const entry of options.entries) {
    counts.files[entry.status]! += 1
    counts.rows[entry.status]! += entry.dataFile.recordCount
    const seq = entry.sequenceNumber
    if (seq !== null && (minSequenceNumber === undefined || seq < minSequenceNumber)) minSequenceNumber = seq
  }
  const { EXISTING, ADDED, DELETED } = ManifestEntryStatus
  return {
    manifestPath: options.manifestPath,
    manifestLength: options.manifestLength,
    partitionSpecId: options.spec.specId,
    content: options.content,
    sequenceNumber: UNASSIGNED_SEQUENCE_NUMBER,
    minSequenceNumber: minSequenceNumber ?? UNASSIGNED_SEQUENCE_NUMBER,
    addedSnapshotId: options.snapshotId,
    addedFilesCount: counts.files[ADDED]!,
    existingFilesCount: counts.files[EXISTING]!,
    deletedFilesCount: counts.files[DELETED]!,
    addedRowsCount: counts.rows[ADDED]!,
    existingRowsCount: counts.rows[EXISTING]!,
    deletedRowsCount: counts.rows[DELETED]!,
    partitions: partitionSummaries(options.entries, options.partitionType),
  }
}

/**
 * An entry as it stands once its manifest's list entry is known: a null snapshot id becomes the
 * manifest's `added_snapshot_id`, and null sequence numbers of ADDED entries (or of any entry of
 * a manifest with sequence number 0, i.e. from v1) become the manifest's sequence number.
 */
export function inheritFromManifest(entry: ManifestEntry, manifest: ManifestFile): ManifestEntry {
  const inherits = entry.status === ManifestEntryStatus.ADDED || manifest.sequenceNumber === 0n
  return {
    ...entry,
    snapshotId: entry.snapshotId ?? manifest.addedSnapshotId,
    sequenceNumber: entry.sequenceNumber ?? (inherits ? manifest.sequenceNumber : null),
    fileSequenceNumber: entry.fileSequenceNumber ?? (inherits ? manifest.sequenceNumber : null),
    dataFile: { ...entry.dataFile, specId: manifest.partitionSpecId },
  }
}
