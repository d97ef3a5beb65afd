import { ValidationError } from '@lake/errors'
import { buildPartitionSpec } from '../spec/partition-spec.js'
import type { Schema } from '../spec/schema.js'
import { sortField } from '../spec/sort-order.js'
import { newTableMetadata, type TableMetadata } from '../spec/table-metadata.js'
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
