import { randomUUID } from 'node:crypto'
import type { Catalog, CreateTableOptions } from '../catalog/catalog.js'
import type { TableIdentifier } from '../catalog/identifier.js'
import { joinLocation } from '../io/file-io.js'
import { type UnboundPartitionSpec, unboundPartitionSpecFromJson } from '../spec/partition-spec.js'
import { type Schema, schemaFromJson } from '../spec/schema.js'
import type { JsonObject, JsonValue } from '../spec/snapshot.js'
import { isUnsorted, type SortOrder, sortOrderFromJson } from '../spec/sort-order.js'
import { newTableMetadata, type TableMetadata, tableMetadataToJson } from '../spec/table-metadata.js'
import { transformToString } from '../spec/transform.js'
import { badRequest, parseRequest } from './errors.js'
import { asObject, stringMapFromJson } from './request.js'

/** The spec's `CreateTableRequest`. */
export interface CreateTableRequest {
  readonly name: string
  readonly location: string | undefined
  readonly schema: Schema
  readonly spec: UnboundPartitionSpec | undefined
  readonly writeOrder: SortOrder | undefined
  readonly stageCreate: boolean
  readonly properties: Readonly<Record<string, string>>
}

/** Parses a `CreateTableRequest`; `null` members count as absent, as PyIceberg may send them. */
export function createTableRequestFromJson(json: JsonValue): CreateTableRequest {
  const body = asObject(json, 'The request')
  const present = (key: string) => body[key] !== undefined && body[key] !== null
  if (typeof body.name !== 'string') throw badRequest("'name' must be a string")
  if (!present('schema')) throw badRequest("'schema' is required")
  if (present('location') && typeof body.location !== 'string')
    throw badRequest("'location' must be a string")
  if (present('stage-create') && typeof body['stage-create'] !== 'boolean') {
    throw badRequest("'stage-create' must be a boolean")
  }
  return parseRequest(() => ({
    name: body.name as string,
    location: present('location') ? (body.location as string) : undefined,
    schema: schemaFromJson(body.schema),
    spec: present('partition-spec') ? unboundPartitionSpecFromJson(body['partition-spec']) : undefined,
    writeOrder: present('write-order') ? sortOrderFromJson(body['write-order']) : undefined,
    stageCreate: body['stage-create'] === true,
    properties: present('properties') ? stringMapFromJson(body.properties!, "'properties'") : {},
  }))
}

/**
 * The request as `Catalog.createTable` options: partition and sort fields name their source
 * columns, which the catalog resolves in the schema it numbers afresh.
 */
export function createTableOptions(request: CreateTableRequest): CreateTableOptions {
  const column = (sourceId: number, what: string) => {
    const name = request.schema.findColumnName(sourceId)
    if (name === undefined)
      throw badRequest(`${what} names source column ${sourceId}, which the schema lacks`)
    return name
  }
  const order = request.writeOrder
  return {
    schema: request.schema,
    partitionBy: (request.spec?.fields ?? []).map((f) => ({
      source: column(f.sourceId, 'partition-spec'),
      transform: transformToString(f.transform),
      name: f.name,
    })),
    sortBy:
      order === undefined || isUnsorted(order)
        ? []
        : order.fields.map((f) => ({
            source: column(f.sourceId, 'write-order'),
            transform: transformToString(f.transform),
            direction: f.direction,
            nullOrder: f.nullOrder,
          })),
    properties: request.properties,
  }
}

/**
 * The metadata of a staged table (`stage-create`), built as Java's `newTableMetadata` builds it
 * and not written anywhere: the client commits it later with `assert-create`.
 */
export function stagedMetadata(
  request: CreateTableRequest,
  location: string,
  timestampMs: number,
): TableMetadata {
  return parseRequest(() =>
    newTableMetadata({
      schema: request.schema,
      ...(request.spec ? { spec: request.spec } : {}),
      ...(request.writeOrder ? { sortOrder: request.writeOrder } : {}),
      location,
      properties: request.properties,
      tableUuid: randomUUID(),
      timestampMs,
    }),
  )
}

/**
 * Where the catalog puts a new table: under its namespace's `location` property, as Java's REST
 * catalogs and Trino derive it. `undefined` when the namespace does not say.
 */
export async function defaultTableLocation(
  catalog: Catalog,
  id: TableIdentifier,
): Promise<string | undefined> {
  const properties = await catalog.loadNamespaceProperties(id.namespace)
  const location = properties.location
  return location ? joinLocation(location, id.name) : undefined
}

/** Whether two locations name the same directory, trailing slashes aside. */
export function sameLocation(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '')
}

/** Which snapshots a load returns: `all`, or only those a branch or tag points at (`refs`). */
export type SnapshotsMode = 'all' | 'refs'

/** The spec's `LoadTableResult`; a staged table has no metadata location yet. */
export function loadTableResult(
  metadata: TableMetadata,
  metadataLocation: string | undefined,
  config: Readonly<Record<string, string>>,
  snapshots: SnapshotsMode = 'all',
): JsonObject {
  const json = tableMetadataToJson(metadata)
  if (snapshots === 'refs') {
    const referenced = new Set([...metadata.refs.values()].map((ref) => ref.snapshotId))
    if (metadata.currentSnapshotId !== undefined) referenced.add(metadata.currentSnapshotId)
    json.snapshots = (json.snapshots as JsonObject[]).filter((s) =>
      referenced.has(BigInt(s['snapshot-id'] as bigint)),
    )
  }
  const result: JsonObject = {}
  if (metadataLocation !== undefined) result['metadata-location'] = metadataLocation
  result.metadata = json
  result.config = { ...config }
  return result
}

/** The spec's `CommitTableResponse`. */
export function commitTableResponse(metadata: TableMetadata, metadataLocation: string): JsonObject {
  return { 'metadata-location': metadataLocation, metadata: tableMetadataToJson(metadata) }
}
