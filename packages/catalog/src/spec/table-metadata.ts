/**
 * Table metadata, the root of an Iceberg table, as the spec's "Table Metadata" section gives it:
 * the model, its lookups, reading v1 and v2 metadata files and writing them as Iceberg Java's
 * `TableMetadataParser` does, so that a file Lake writes reads like one Java wrote.
 *
 * @module
 */
import { UnsupportedError, ValidationError } from '@lake/errors'
import {
  buildPartitionSpec,
  lastAssignedFieldId,
  type PartitionSpec,
  partitionFieldsToJson,
  partitionSpecFromJson,
  partitionSpecFromV1Fields,
  partitionSpecToJson,
  UNPARTITIONED,
  type UnboundPartitionSpec,
} from './partition-spec.js'
import { type FieldJson, Schema, schemaFromJson, schemaToJson, type TypeJson } from './schema.js'
import {
  JsonFieldReader,
  type JsonObject,
  type JsonValue,
  MAIN_BRANCH,
  parseMetadataJson,
  type Snapshot,
  type SnapshotRef,
  snapshotFromJson,
  snapshotRefFromJson,
  snapshotRefToJson,
  snapshotToJson,
  stringifyMetadataJson,
} from './snapshot.js'
import {
  isUnsorted,
  type SortOrder,
  sortOrderFromJson,
  sortOrderToJson,
  UNSORTED_ORDER,
  UNSORTED_ORDER_ID,
  validateSortOrder,
} from './sort-order.js'
import { type IcebergType, type NestedField, Types } from './types.js'

/** Table format versions Lake reads and writes. */
export type FormatVersion = 1 | 2

/** The newest format version Lake writes; new tables get it unless asked otherwise. */
export const DEFAULT_FORMAT_VERSION: FormatVersion = 2

/** Table property capping the metadata log (`metadata-log` entries kept). */
export const METADATA_PREVIOUS_VERSIONS_MAX = 'write.metadata.previous-versions-max'

/** Default of {@link METADATA_PREVIOUS_VERSIONS_MAX}, as in Java. */
export const METADATA_PREVIOUS_VERSIONS_MAX_DEFAULT = 100

/**
 * Properties that describe metadata rather than configure the table; Java never persists them
 * (`format-version` only chooses the version of a new table).
 */
export const RESERVED_PROPERTIES: ReadonlySet<string> = new Set([
  'format-version',
  'uuid',
  'snapshot-count',
  'current-snapshot-id',
  'current-snapshot-summary',
  'current-snapshot-timestamp-ms',
  'current-schema',
  'default-partition-spec',
  'default-sort-order',
])

const ONE_MINUTE_MS = 60_000

/** When the `main` branch moved to which snapshot: what time travel by timestamp reads. */
export interface SnapshotLogEntry {
  readonly timestampMs: number
  readonly snapshotId: bigint
}

/** A previous metadata file of the table and when it was written. */
export interface MetadataLogEntry {
  readonly timestampMs: number
  readonly metadataFile: string
}

/** Every field of {@link TableMetadata}, named after the spec's "Table Metadata Fields". */
export interface TableMetadataFields {
  readonly formatVersion: FormatVersion
  readonly tableUuid: string
  /** Base location of the table's files, without a trailing slash. */
  readonly location: string
  /** Highest sequence number assigned to a snapshot (always 0 in v1). */
  readonly lastSequenceNumber: bigint
  readonly lastUpdatedMs: number
  /** Highest field id ever assigned to a column; new columns are numbered after it. */
  readonly lastColumnId: number
  readonly schemas: readonly Schema[]
  readonly currentSchemaId: number
  readonly partitionSpecs: readonly PartitionSpec[]
  readonly defaultSpecId: number
  /** Highest partition field id ever assigned; new partition fields are numbered after it. */
  readonly lastPartitionId: number
  readonly properties: Readonly<Record<string, string>>
  /** Head of the `main` branch; `undefined` for a table without snapshots. */
  readonly currentSnapshotId: bigint | undefined
  readonly snapshots: readonly Snapshot[]
  readonly snapshotLog: readonly SnapshotLogEntry[]
  readonly metadataLog: readonly MetadataLogEntry[]
  readonly sortOrders: readonly SortOrder[]
  readonly defaultSortOrderId: number
  /** Branches and tags by name, `main` included once the table has a snapshot. */
  readonly refs: ReadonlyMap<string, SnapshotRef>
  /** Table statistics files (Puffin), kept as the JSON they were read as. */
  readonly statistics: readonly JsonValue[]
  /** Partition statistics files, kept as the JSON they were read as. */
  readonly partitionStatistics: readonly JsonValue[]
}

/**
 * The state of a table at one metadata version. Immutable: commits produce a new instance
 * (see `applyUpdates` in `table-update.ts`). The constructor enforces the invariants Java's
 * `TableMetadata` constructor enforces, so an instance always describes a readable table.
 *
 * @example
 * ```ts
 * const metadata = parseTableMetadata(text, location)
 * const snapshot = metadata.snapshotByRef('main')
 * const spec = metadata.specById(dataFile.specId)
 * ```
 */
export class TableMetadata implements TableMetadataFields {
  readonly formatVersion: FormatVersion
  readonly tableUuid: string
  readonly location: string
  readonly lastSequenceNumber: bigint
  readonly lastUpdatedMs: number
  readonly lastColumnId: number
  readonly schemas: readonly Schema[]
  readonly currentSchemaId: number
  readonly partitionSpecs: readonly PartitionSpec[]
  readonly defaultSpecId: number
  readonly lastPartitionId: number
  readonly properties: Readonly<Record<string, string>>
  readonly currentSnapshotId: bigint | undefined
  readonly snapshots: readonly Snapshot[]
  readonly snapshotLog: readonly SnapshotLogEntry[]
  readonly metadataLog: readonly MetadataLogEntry[]
  readonly sortOrders: readonly SortOrder[]
  readonly defaultSortOrderId: number
  readonly refs: ReadonlyMap<string, SnapshotRef>
  readonly statistics: readonly JsonValue[]
  readonly partitionStatistics: readonly JsonValue[]
  readonly #schemasById: ReadonlyMap<number, Schema>
  readonly #specsById: ReadonlyMap<number, PartitionSpec>
  readonly #sortOrdersById: ReadonlyMap<number, SortOrder>
  readonly #snapshotsById: ReadonlyMap<bigint, Snapshot>

  constructor(fields: TableMetadataFields) {
    this.formatVersion = fields.formatVersion
    this.tableUuid = fields.tableUuid
    this.location = stripTrailingSlash(fields.location)
    this.lastSequenceNumber = fields.lastSequenceNumber
    this.lastUpdatedMs = fields.lastUpdatedMs
    this.lastColumnId = fields.lastColumnId
    this.schemas = fields.schemas
    this.currentSchemaId = fields.currentSchemaId
    this.partitionSpecs = fields.partitionSpecs
    this.defaultSpecId = fields.defaultSpecId
    this.lastPartitionId = fields.lastPartitionId
    this.properties = fields.properties
    this.currentSnapshotId = fields.currentSnapshotId
    this.snapshots = fields.snapshots
    this.snapshotLog = fields.snapshotLog
    this.metadataLog = fields.metadataLog
    this.sortOrders = fields.sortOrders
    this.defaultSortOrderId = fields.defaultSortOrderId
    this.refs = fields.refs
    this.statistics = fields.statistics
    this.partitionStatistics = fields.partitionStatistics

    if (this.formatVersion !== 1 && this.formatVersion !== 2) {
      throw new UnsupportedError(`Unsupported table format version ${this.formatVersion}`)
    }
    check(this.location.length > 0, 'A table location is required')
    check(
      this.formatVersion > 1 || this.lastSequenceNumber === 0n,
      'The last sequence number must be 0 in v1',
    )
    this.#schemasById = indexUnique(this.schemas, (s) => s.schemaId, 'schema')
    this.#specsById = indexUnique(this.partitionSpecs, (s) => s.specId, 'partition spec')
    this.#sortOrdersById = indexUnique(this.sortOrders, (o) => o.orderId, 'sort order')
    this.#snapshotsById = indexUnique(this.snapshots, (s) => s.snapshotId, 'snapshot')
    check(
      this.#schemasById.has(this.currentSchemaId),
      `Current schema ${this.currentSchemaId} does not exist`,
    )
    check(
      this.#specsById.has(this.defaultSpecId),
      `Default partition spec ${this.defaultSpecId} does not exist`,
    )
    check(
      this.#sortOrdersById.has(this.defaultSortOrderId),
      `Default sort order ${this.defaultSortOrderId} does not exist`,
    )
    for (const snapshot of this.snapshots) {
      check(
        snapshot.sequenceNumber <= this.lastSequenceNumber,
        `Snapshot ${snapshot.snapshotId} has sequence number ${snapshot.sequenceNumber}, after the last sequence number ${this.lastSequenceNumber}`,
      )
    }
    this.#validateRefs()
    this.#validateLogs()
  }

  #validateRefs(): void {
    for (const [name, ref] of this.refs) {
      check(
        this.#snapshotsById.has(ref.snapshotId),
        `Ref '${name}' points to snapshot ${ref.snapshotId}, which does not exist`,
      )
    }
    const main = this.refs.get(MAIN_BRANCH)
    if (this.currentSnapshotId === undefined) {
      check(
        main === undefined,
        `The main branch points to snapshot ${main?.snapshotId} but there is no current snapshot`,
      )
    } else {
      check(
        this.#snapshotsById.has(this.currentSnapshotId),
        `Current snapshot ${this.currentSnapshotId} does not exist`,
      )
      check(
        main === undefined || main.snapshotId === this.currentSnapshotId,
        `The current snapshot ${this.currentSnapshotId} is not the head of main (${main?.snapshotId})`,
      )
    }
    check(main === undefined || main.type === 'branch', 'The main ref must be a branch')
  }

  /** Logs are in time order, with Java's one-minute tolerance for clocks that disagree. */
  #validateLogs(): void {
    for (const log of [this.snapshotLog, this.metadataLog]) {
      for (let i = 1; i < log.length; i++) {
        check(
          log[i]!.timestampMs - log[i - 1]!.timestampMs >= -ONE_MINUTE_MS,
          'Log entries are not in time order',
        )
      }
      const last = log.at(-1)
      if (last) {
        check(
          this.lastUpdatedMs - last.timestampMs >= -ONE_MINUTE_MS,
          `last-updated-ms ${this.lastUpdatedMs} is before the last log entry at ${last.timestampMs}`,
        )
      }
    }
  }

  /** A copy with some fields replaced, checked like a new instance. */
  with(changes: Partial<TableMetadataFields>): TableMetadata {
    return new TableMetadata({ ...this.fields(), ...changes })
  }

  /** The fields as a plain object. */
  fields(): TableMetadataFields {
    return {
      formatVersion: this.formatVersion,
      tableUuid: this.tableUuid,
      location: this.location,
      lastSequenceNumber: this.lastSequenceNumber,
      lastUpdatedMs: this.lastUpdatedMs,
      lastColumnId: this.lastColumnId,
      schemas: this.schemas,
      currentSchemaId: this.currentSchemaId,
      partitionSpecs: this.partitionSpecs,
      defaultSpecId: this.defaultSpecId,
      lastPartitionId: this.lastPartitionId,
      properties: this.properties,
      currentSnapshotId: this.currentSnapshotId,
      snapshots: this.snapshots,
      snapshotLog: this.snapshotLog,
      metadataLog: this.metadataLog,
      sortOrders: this.sortOrders,
      defaultSortOrderId: this.defaultSortOrderId,
      refs: this.refs,
      statistics: this.statistics,
      partitionStatistics: this.partitionStatistics,
    }
  }

  /** The schema new data is written with. */
  currentSchema(): Schema {
    return this.#schemasById.get(this.currentSchemaId)!
  }

  /** A schema by id, e.g. the one a snapshot was written with. */
  schemaById(schemaId: number): Schema | undefined {
    return this.#schemasById.get(schemaId)
  }

  /** The spec new data is partitioned by. */
  defaultSpec(): PartitionSpec {
    return this.#specsById.get(this.defaultSpecId)!
  }

  /** A spec by id, e.g. the one a data file was written with. */
  specById(specId: number): PartitionSpec | undefined {
    return this.#specsById.get(specId)
  }

  /** The order new data should be sorted by. */
  defaultSortOrder(): SortOrder {
    return this.#sortOrdersById.get(this.defaultSortOrderId)!
  }

  /** A sort order by id. */
  sortOrderById(orderId: number): SortOrder | undefined {
    return this.#sortOrdersById.get(orderId)
  }

  /** The head of `main`, or `undefined` for a table without snapshots. */
  currentSnapshot(): Snapshot | undefined {
    return this.currentSnapshotId === undefined ? undefined : this.#snapshotsById.get(this.currentSnapshotId)
  }

  /** A snapshot by id; `undefined` if it never existed or has expired. */
  snapshotById(snapshotId: bigint): Snapshot | undefined {
    return this.#snapshotsById.get(snapshotId)
  }

  /** The snapshot a branch or tag points to. */
  snapshotByRef(name: string): Snapshot | undefined {
    const ref = this.refs.get(name)
    return ref === undefined ? undefined : this.#snapshotsById.get(ref.snapshotId)
  }

  /**
   * The snapshot that was current at `timestampMs`, from the snapshot log: what a reader saw
   * then. `undefined` before the first entry or when that snapshot has expired.
   */
  snapshotAsOf(timestampMs: number): Snapshot | undefined {
    let found: bigint | undefined
    for (const entry of this.snapshotLog) if (entry.timestampMs <= timestampMs) found = entry.snapshotId
    return found === undefined ? undefined : this.#snapshotsById.get(found)
  }

  /**
   * A snapshot followed by its parent, grandparent, …, for as long as they have not expired;
   * empty when `snapshotId` is `undefined` or unknown.
   */
  ancestorsOf(snapshotId: bigint | undefined): Snapshot[] {
    const out: Snapshot[] = []
    const seen = new Set<bigint>()
    let next = snapshotId === undefined ? undefined : this.#snapshotsById.get(snapshotId)
    while (next && !seen.has(next.snapshotId)) {
      out.push(next)
      seen.add(next.snapshotId)
      next = next.parentSnapshotId === undefined ? undefined : this.#snapshotsById.get(next.parentSnapshotId)
    }
    return out
  }
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ValidationError(`Invalid table metadata: ${message}`)
}

function indexUnique<K, V>(items: readonly V[], key: (item: V) => K, what: string): Map<K, V> {
  const map = new Map<K, V>()
  for (const item of items) {
    const k = key(item)
    check(!map.has(k), `${what} id ${String(k)} is used twice`)
    map.set(k, item)
  }
  check(what === 'snapshot' || map.size > 0, `a table needs at least one ${what}`)
  return map
}

function stripTrailingSlash(location: string): string {
  let out = location
  while (out.endsWith('/') && !out.endsWith('://')) out = out.slice(0, -1)
  return out
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Parses a metadata file's text, v1 or v2. `location` names the file in errors, which are
 * `CorruptFileError`s (an `UnsupportedError` for a format version above 2).
 */
export function parseTableMetadata(text: string, location?: string): TableMetadata {
  return tableMetadataFromJson(parseMetadataJson(text, location), location)
}

/**
 * Builds table metadata from parsed JSON, reading v1 the way Java does: the single `schema` and
 * `partition-spec` when the lists are missing, sequence numbers 0, an unsorted order, and a
 * `main` branch at the current snapshot when there are no refs.
 */
export function tableMetadataFromJson(json: JsonValue, location?: string): TableMetadata {
  const r = new JsonFieldReader(json, 'table metadata', location)
  const formatVersion = r.int('format-version')
  if (formatVersion > 2) {
    throw new UnsupportedError(`Table format version ${formatVersion} is not supported`, {
      context: location ? { file: location } : {},
    })
  }
  if (formatVersion < 1) throw r.error(`Invalid format version ${formatVersion}`)
  const version = formatVersion as FormatVersion
  if (!r.has('table-uuid')) {
    if (version > 1) throw r.error(`'table-uuid' must be a string`)
    throw new UnsupportedError('v1 table metadata without a table-uuid is not supported', {
      context: location ? { file: location } : {},
    })
  }
  const { schemas, currentSchemaId } = readSchemas(r, version)
  const { partitionSpecs, defaultSpecId } = readSpecs(r, version)
  const lastPartitionId = r.optionalInt('last-partition-id')
  if (lastPartitionId === undefined && version > 1) throw r.error(`'last-partition-id' must be an integer`)
  const { sortOrders, defaultSortOrderId } = readSortOrders(r, version)
  const current = r.optionalLong('current-snapshot-id')
  const currentSnapshotId = current === undefined || current === -1n ? undefined : current
  const fields: TableMetadataFields = {
    formatVersion: version,
    tableUuid: r.string('table-uuid'),
    location: r.string('location'),
    lastSequenceNumber: version > 1 ? r.long('last-sequence-number') : 0n,
    lastUpdatedMs: r.safeLong('last-updated-ms'),
    lastColumnId: r.int('last-column-id'),
    schemas,
    currentSchemaId,
    partitionSpecs,
    defaultSpecId,
    lastPartitionId: lastPartitionId ?? Math.max(...partitionSpecs.map(lastAssignedFieldId)),
    properties: r.has('properties') ? r.stringMap('properties') : {},
    currentSnapshotId,
    snapshots: r.has('snapshots') ? r.array('snapshots').map((s) => snapshotFromJson(s, location)) : [],
    snapshotLog: readLog(r, 'snapshot-log', (e) => ({
      timestampMs: e.safeLong('timestamp-ms'),
      snapshotId: e.long('snapshot-id'),
    })),
    metadataLog: readLog(r, 'metadata-log', (e) => ({
      timestampMs: e.safeLong('timestamp-ms'),
      metadataFile: e.string('metadata-file'),
    })),
    sortOrders,
    defaultSortOrderId,
    refs: readRefs(r, currentSnapshotId),
    statistics: r.has('statistics') ? r.array('statistics') : [],
    partitionStatistics: r.has('partition-statistics') ? r.array('partition-statistics') : [],
  }
  try {
    return new TableMetadata(fields)
  } catch (error) {
    if (error instanceof ValidationError) throw r.error(error.message, error)
    throw error
  }
}

function readSchemas(
  r: JsonFieldReader,
  version: FormatVersion,
): { schemas: Schema[]; currentSchemaId: number } {
  if (r.has('schemas')) {
    const currentSchemaId = r.int('current-schema-id')
    const schemas = r.array('schemas').map((s) => schemaFromJson(s, r.where))
    if (!schemas.some((s) => s.schemaId === currentSchemaId)) {
      throw r.error(`Cannot find the current schema ${currentSchemaId} in 'schemas'`)
    }
    return { schemas, currentSchemaId }
  }
  if (version > 1) throw r.error(`'schemas' must be an array`)
  if (!r.has('schema')) throw r.error(`'schema' must be an object`)
  const schema = schemaFromJson(r.json.schema, r.where)
  return { schemas: [schema], currentSchemaId: schema.schemaId }
}

function readSpecs(
  r: JsonFieldReader,
  version: FormatVersion,
): { partitionSpecs: PartitionSpec[]; defaultSpecId: number } {
  if (r.has('partition-specs')) {
    const defaultSpecId = r.int('default-spec-id')
    return {
      partitionSpecs: r.array('partition-specs').map((s) => partitionSpecFromJson(s, r.where)),
      defaultSpecId,
    }
  }
  if (version > 1) throw r.error(`'partition-specs' must be an array`)
  if (!r.has('partition-spec')) throw r.error(`'partition-spec' must be an array`)
  r.array('partition-spec')
  return { partitionSpecs: [partitionSpecFromV1Fields(r.json['partition-spec'], r.where)], defaultSpecId: 0 }
}

function readSortOrders(
  r: JsonFieldReader,
  version: FormatVersion,
): { sortOrders: SortOrder[]; defaultSortOrderId: number } {
  if (r.has('sort-orders')) {
    const defaultSortOrderId = r.int('default-sort-order-id')
    return {
      sortOrders: r.array('sort-orders').map((o) => sortOrderFromJson(o, r.where)),
      defaultSortOrderId,
    }
  }
  if (version > 1) throw r.error(`'sort-orders' must be an array`)
  return { sortOrders: [UNSORTED_ORDER], defaultSortOrderId: UNSORTED_ORDER_ID }
}

function readLog<T>(r: JsonFieldReader, key: string, entry: (e: JsonFieldReader) => T): T[] {
  if (!r.has(key)) return []
  return r.array(key).map((e) => entry(new JsonFieldReader(e, `a ${key} entry`, r.where)))
}

function readRefs(r: JsonFieldReader, currentSnapshotId: bigint | undefined): Map<string, SnapshotRef> {
  const refs = new Map<string, SnapshotRef>()
  if (r.has('refs')) {
    const obj = new JsonFieldReader(r.json.refs, `'refs'`, r.where).json
    for (const [name, ref] of Object.entries(obj)) refs.set(name, snapshotRefFromJson(ref, r.where))
  } else if (currentSnapshotId !== undefined) {
    refs.set(MAIN_BRANCH, { snapshotId: currentSnapshotId, type: 'branch' })
  }
  return refs
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * The metadata as JSON, with the keys, key order and defaults of Java's
 * `TableMetadataParser.toJson`: v1 also gets the single `schema` and `partition-spec` old
 * readers need, a missing current snapshot is written as -1, and refs, statistics and both logs
 * are always present.
 */
export function tableMetadataToJson(metadata: TableMetadata): JsonObject {
  const json: JsonObject = {
    'format-version': metadata.formatVersion,
    'table-uuid': metadata.tableUuid,
    location: metadata.location,
  }
  if (metadata.formatVersion > 1) json['last-sequence-number'] = metadata.lastSequenceNumber
  json['last-updated-ms'] = metadata.lastUpdatedMs
  json['last-column-id'] = metadata.lastColumnId
  if (metadata.formatVersion === 1) json.schema = schemaToMetadataJson(metadata.currentSchema())
  json['current-schema-id'] = metadata.currentSchemaId
  json.schemas = metadata.schemas.map(schemaToMetadataJson)
  if (metadata.formatVersion === 1)
    json['partition-spec'] = partitionFieldsToJson(metadata.defaultSpec().fields)
  json['default-spec-id'] = metadata.defaultSpecId
  json['partition-specs'] = metadata.partitionSpecs.map(partitionSpecToJson)
  json['last-partition-id'] = metadata.lastPartitionId
  json['default-sort-order-id'] = metadata.defaultSortOrderId
  json['sort-orders'] = metadata.sortOrders.map(sortOrderToJson)
  json.properties = { ...metadata.properties }
  json['current-snapshot-id'] = metadata.currentSnapshotId ?? -1
  json.refs = Object.fromEntries([...metadata.refs].map(([name, ref]) => [name, snapshotRefToJson(ref)]))
  json.snapshots = metadata.snapshots.map(snapshotToJson)
  json.statistics = [...metadata.statistics]
  json['partition-statistics'] = [...metadata.partitionStatistics]
  json['snapshot-log'] = metadata.snapshotLog.map((e) => ({
    'timestamp-ms': e.timestampMs,
    'snapshot-id': e.snapshotId,
  }))
  json['metadata-log'] = metadata.metadataLog.map((e) => ({
    'timestamp-ms': e.timestampMs,
    'metadata-file': e.metadataFile,
  }))
  return json
}

/**
 * The text of a metadata file, laid out as Java writes one (Jackson's pretty printer), ids
 * exact. The inverse of {@link parseTableMetadata}.
 */
export function serializeTableMetadata(metadata: TableMetadata): string {
  return stringifyMetadataJson(tableMetadataToJson(metadata), { pretty: true })
}

/**
 * A schema as JSON in the key order of Java's `SchemaParser` (`schemaToJson` orders list and
 * schema keys differently), for metadata files and REST bodies that should match Java's.
 */
export function schemaToMetadataJson(schema: Schema): JsonObject {
  const json = schemaToJson(schema)
  const out: JsonObject = { type: 'struct', 'schema-id': json['schema-id'] }
  if (json['identifier-field-ids']) out['identifier-field-ids'] = [...json['identifier-field-ids']]
  out.fields = json.fields.map(fieldToJavaJson)
  return out
}

function fieldToJavaJson(field: FieldJson): JsonObject {
  const out: JsonObject = {
    id: field.id,
    name: field.name,
    required: field.required,
    type: typeToJavaJson(field.type),
  }
  if (field.doc !== undefined) out.doc = field.doc
  if (field['initial-default'] !== undefined) out['initial-default'] = field['initial-default'] as JsonValue
  if (field['write-default'] !== undefined) out['write-default'] = field['write-default'] as JsonValue
  return out
}

function typeToJavaJson(type: TypeJson): JsonValue {
  if (typeof type === 'string') return type
  switch (type.type) {
    case 'struct':
      return { type: 'struct', fields: type.fields.map(fieldToJavaJson) }
    case 'list':
      return {
        type: 'list',
        'element-id': type['element-id'],
        element: typeToJavaJson(type.element),
        'element-required': type['element-required'],
      }
    case 'map':
      return {
        type: 'map',
        'key-id': type['key-id'],
        key: typeToJavaJson(type.key),
        'value-id': type['value-id'],
        value: typeToJavaJson(type.value),
        'value-required': type['value-required'],
      }
  }
}

// ---------------------------------------------------------------------------------------------
// Metadata log

/**
 * Records the metadata file this version replaces, as Java's builder does on every commit,
 * keeping at most `maxEntries` entries (default: the table's
 * `write.metadata.previous-versions-max`, else 100; at least 1). The catalog calls this because
 * only it knows where the previous file is.
 */
export function withMetadataLogEntry(
  metadata: TableMetadata,
  previousFile: string,
  previousTimestampMs: number,
  maxEntries?: number,
): TableMetadata {
  const max = Math.max(1, maxEntries ?? previousVersionsMax(metadata.properties))
  const kept =
    metadata.metadataLog.length >= max
      ? metadata.metadataLog.slice(metadata.metadataLog.length - max + 1)
      : metadata.metadataLog
  return metadata.with({
    metadataLog: [...kept, { timestampMs: previousTimestampMs, metadataFile: previousFile }],
  })
}

function previousVersionsMax(properties: Readonly<Record<string, string>>): number {
  const value = properties[METADATA_PREVIOUS_VERSIONS_MAX]
  if (value === undefined) return METADATA_PREVIOUS_VERSIONS_MAX_DEFAULT
  if (!/^[+-]?\d+$/.test(value.trim())) {
    throw new ValidationError(
      `Table property ${METADATA_PREVIOUS_VERSIONS_MAX} must be an integer, not '${value}'`,
      {
        context: { property: METADATA_PREVIOUS_VERSIONS_MAX },
      },
    )
  }
  return Number.parseInt(value, 10)
}

// ---------------------------------------------------------------------------------------------
// New tables

/** What a new table is made of; source ids of `spec` and `sortOrder` refer to `schema`. */
export interface NewTableMetadataOptions {
  readonly schema: Schema
  /** Defaults to unpartitioned. Spec and field ids are reassigned. */
  readonly spec?: UnboundPartitionSpec
  /** Defaults to unsorted. The order id is reassigned. */
  readonly sortOrder?: SortOrder
  readonly location: string
  /** Reserved properties are dropped; `format-version` chooses the version if `formatVersion` is not given. */
  readonly properties?: Readonly<Record<string, string>>
  readonly tableUuid: string
  /** The creation time, which becomes `last-updated-ms`. */
  readonly timestampMs: number
  /** Defaults to the `format-version` property, else 2. */
  readonly formatVersion?: FormatVersion
}

/**
 * The first metadata of a table, as Java's `TableMetadata.newTableMetadata` builds it: column
 * ids are reassigned from 1 (schema id 0), partition field ids from 1000 (spec id 0), a sorted
 * order gets id 1, source ids follow their columns by name, and reserved properties are dropped.
 * Reassigning makes the ids independent of whatever the caller numbered.
 *
 * @example
 * ```ts
 * const metadata = newTableMetadata({ schema, location, tableUuid: randomUUID(), timestampMs: Date.now() })
 * ```
 */
export function newTableMetadata(options: NewTableMetadataOptions): TableMetadata {
  const properties = options.properties ?? {}
  const formatVersion = options.formatVersion ?? formatVersionProperty(properties)
  let lastColumnId = 0
  const schema = assignFreshIds(options.schema, () => ++lastColumnId)
  const freshSourceId = (sourceId: number) => {
    const name = options.schema.findColumnName(sourceId)
    const field = name === undefined ? undefined : schema.findFieldByName(name)
    if (!field) {
      throw new ValidationError(`Cannot find source column ${sourceId} in the new table's schema`, {
        context: { field: String(sourceId) },
      })
    }
    return field.id
  }
  const spec = buildPartitionSpec(
    schema,
    (options.spec ?? UNPARTITIONED).fields.map((f) => ({
      sourceId: freshSourceId(f.sourceId),
      name: f.name,
      transform: f.transform,
    })),
  )
  const order = options.sortOrder ?? UNSORTED_ORDER
  const sortOrder: SortOrder = isUnsorted(order)
    ? UNSORTED_ORDER
    : { orderId: 1, fields: order.fields.map((f) => ({ ...f, sourceId: freshSourceId(f.sourceId) })) }
  validateSortOrder(sortOrder, schema)
  return firstTableMetadata({
    formatVersion,
    tableUuid: options.tableUuid,
    location: options.location,
    timestampMs: options.timestampMs,
    lastColumnId,
    schema,
    spec,
    sortOrder,
    properties: Object.fromEntries(
      Object.entries(properties).filter(([key]) => !RESERVED_PROPERTIES.has(key)),
    ),
  })
}

/** What the creator of a table chooses for its first metadata; everything else starts empty. */
export interface FirstTableMetadataParts {
  readonly formatVersion: FormatVersion
  readonly tableUuid: string
  readonly location: string
  /** The creation time, which becomes `last-updated-ms`. */
  readonly timestampMs: number
  readonly lastColumnId: number
  readonly schema: Schema
  readonly spec: PartitionSpec
  readonly sortOrder: SortOrder
  readonly properties: Readonly<Record<string, string>>
}

/**
 * A table's first metadata from its one schema, spec and sort order: no snapshots, refs, logs or
 * statistics yet, sequence number 0. Ids are taken as given.
 */
export function firstTableMetadata(parts: FirstTableMetadataParts): TableMetadata {
  return new TableMetadata({
    formatVersion: parts.formatVersion,
    tableUuid: parts.tableUuid,
    location: parts.location,
    lastSequenceNumber: 0n,
    lastUpdatedMs: parts.timestampMs,
    lastColumnId: parts.lastColumnId,
    schemas: [parts.schema],
    currentSchemaId: parts.schema.schemaId,
    partitionSpecs: [parts.spec],
    defaultSpecId: parts.spec.specId,
    lastPartitionId: lastAssignedFieldId(parts.spec),
    properties: { ...parts.properties },
    currentSnapshotId: undefined,
    snapshots: [],
    snapshotLog: [],
    metadataLog: [],
    sortOrders: [parts.sortOrder],
    defaultSortOrderId: parts.sortOrder.orderId,
    refs: new Map(),
    statistics: [],
    partitionStatistics: [],
  })
}

function formatVersionProperty(properties: Readonly<Record<string, string>>): FormatVersion {
  const value = properties['format-version']
  if (value === undefined) return DEFAULT_FORMAT_VERSION
  if (value === '1' || value === '2') return Number(value) as FormatVersion
  throw new UnsupportedError(`Table format version '${value}' is not supported`, {
    context: { property: 'format-version' },
  })
}

/**
 * Renumbers every field as Java's `TypeUtil.assignFreshIds` does: a struct's fields first, then
 * their nested types in order; a list's element and a map's key and value likewise.
 */
function assignFreshIds(schema: Schema, nextId: () => number): Schema {
  const fields = freshFields(schema.fields, nextId)
  const fresh = new Schema(fields, 0)
  const identifierFieldIds = schema.identifierFieldIds.map((id) => {
    const name = schema.findColumnName(id)
    const field = name === undefined ? undefined : fresh.findFieldByName(name)
    if (!field)
      throw new ValidationError(`Identifier field ${id} is not in the schema`, {
        context: { field: String(id) },
      })
    return field.id
  })
  return new Schema(fields, 0, identifierFieldIds)
}

function freshFields(fields: readonly NestedField[], nextId: () => number): NestedField[] {
  const ids = fields.map(() => nextId())
  return fields.map((f, i) => ({ ...f, id: ids[i]!, type: freshType(f.type, nextId) }))
}

function freshType(type: IcebergType, nextId: () => number): IcebergType {
  switch (type.kind) {
    case 'struct':
      return Types.struct(freshFields(type.fields, nextId))
    case 'list': {
      const elementId = nextId()
      return Types.list(elementId, freshType(type.element, nextId), type.elementRequired)
    }
    case 'map': {
      const keyId = nextId()
      const valueId = nextId()
      const key = freshType(type.key, nextId)
      return Types.map(keyId, key, valueId, freshType(type.value, nextId), type.valueRequired)
    }
    default:
      return type
  }
}
