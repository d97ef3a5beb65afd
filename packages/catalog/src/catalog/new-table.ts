import { randomUUID } from 'node:crypto'
import { ValidationError } from '@lake/errors'
import {
  assignPartitionFieldIds,
  buildPartitionSpec,
  UNPARTITIONED,
  UNPARTITIONED_LAST_ASSIGNED_ID,
} from '../spec/partition-spec.js'
import type { Schema } from '../spec/schema.js'
import { isUnsorted, sortField, UNSORTED_ORDER } from '../spec/sort-order.js'
import {
  DEFAULT_FORMAT_VERSION,
  type FormatVersion,
  firstTableMetadata,
  newTableMetadata,
  type TableMetadata,
} from '../spec/table-metadata.js'
import type { TableUpdate } from '../spec/table-update.js'
import { parseTransform } from '../spec/transform.js'
import type { PartitionByField, SortByField } from './table-options.js'

/** What a new table is made of, as `createTable` received it. */
export interface NewTableInput {
  schema: Schema
  partitionBy: readonly PartitionByField[]
  sortBy: readonly SortByField[]
  properties: Readonly<Record<string, string>>
  location: string
  tableUuid: string
  timestampMs: number
}

/**
 * The first metadata of a table from `createTable`'s options: column names resolved to ids in
 * the given schema, then ids reassigned as Iceberg Java does for a new table.
 */
export function buildNewTableMetadata(input: NewTableInput): TableMetadata {
  const sourceId = (name: string, option: string) => {
    const field = input.schema.findFieldByName(name)
    if (!field) {
      throw new ValidationError(`${option} names column '${name}', which the schema does not have`, {
        context: { field: name },
      })
    }
    return field.id
  }
  return newTableMetadata({
    schema: input.schema,
    // Built (and validated, names defaulted as Java names them) against the caller's ids first.
    spec: buildPartitionSpec(
      input.schema,
      input.partitionBy.map((f) => ({
        sourceId: sourceId(f.source, 'partitionBy'),
        transform: parseTransform(f.transform),
        ...(f.name ? { name: f.name } : {}),
      })),
    ),
    sortOrder: {
      orderId: input.sortBy.length > 0 ? 1 : 0,
      fields: input.sortBy.map((f) =>
        sortField(sourceId(f.source, 'sortBy'), {
          ...(f.transform ? { transform: parseTransform(f.transform) } : {}),
          ...(f.direction ? { direction: f.direction } : {}),
          ...(f.nullOrder ? { nullOrder: f.nullOrder } : {}),
        }),
      ),
    },
    location: input.location,
    properties: input.properties,
    tableUuid: input.tableUuid,
    timestampMs: input.timestampMs,
  })
}

/**
 * What a table created by a commit holds before its updates are applied: the first schema, spec
 * and sort order the updates add, with the ids they carry and the ids Java's builder gives them
 * on empty metadata (spec 0, a sorted order 1). Applying the updates then finds each one present
 * instead of adding it a second time.
 */
export function metadataBeforeCreate(
  updates: readonly TableUpdate[],
  location: string,
  timestampMs: number,
): TableMetadata {
  const first = <A extends TableUpdate['action']>(action: A) =>
    updates.find((u): u is Extract<TableUpdate, { action: A }> => u.action === action)
  const addSchema = first('add-schema')
  if (!addSchema) throw new ValidationError('A table created by a commit needs an add-schema update')
  const schema = addSchema.schema
  const formatVersion = (first('upgrade-format-version')?.['format-version'] ??
    DEFAULT_FORMAT_VERSION) as FormatVersion
  const unbound = first('add-spec')?.spec ?? UNPARTITIONED
  const spec = buildPartitionSpec(
    schema,
    assignPartitionFieldIds(unbound, [], UNPARTITIONED_LAST_ASSIGNED_ID, formatVersion),
  )
  const order = first('add-sort-order')?.['sort-order'] ?? UNSORTED_ORDER
  const sortOrder = isUnsorted(order) ? UNSORTED_ORDER : { orderId: 1, fields: order.fields }
  return firstTableMetadata({
    formatVersion,
    tableUuid: first('assign-uuid')?.uuid ?? randomUUID(),
    location,
    timestampMs,
    lastColumnId: Math.max(schema.highestFieldId(), addSchema['last-column-id'] ?? 0),
    schema,
    spec,
    sortOrder,
    properties: {},
  })
}
