import type { Schema } from '../spec/schema.js'
import type { TableMetadata } from '../spec/table-metadata.js'
import type { TableRequirement, TableUpdate } from '../spec/table-update.js'
import type { Table } from '../table/table.js'
import type { Namespace, NamespaceInput, TableIdentifier, TableIdentifierInput } from './identifier.js'
import type { PartitionByField, SortByField } from './table-options.js'

/** What {@link Catalog.createTable} needs besides the identifier. */
export interface CreateTableOptions {
  /** The table's columns: a `Schema`, or a typed schema from `defineSchema` / `schemaFromZod`. */
  schema: Schema | { schema: Schema }
  /** Partition fields, e.g. `[{ source: 'ts', transform: 'day' }, { source: 'id', transform: 'bucket[16]' }]`. */
  partitionBy?: readonly PartitionByField[]
  /** Sort order of written files, e.g. `[{ source: 'ts', direction: 'asc' }]`. */
  sortBy?: readonly SortByField[]
  /** Table properties, e.g. `{ 'write.parquet.compression-codec': 'snappy' }`. */
  properties?: Readonly<Record<string, string>>
}

/** The result of a commit: the new metadata and where it was written. */
export interface CommitResult {
  metadata: TableMetadata
  metadataLocation: string
}

/**
 * A catalog of Iceberg tables. Lake's own implementation is {@link HadoopCatalog}; the REST
 * endpoint serves any implementation of this interface.
 */
export interface Catalog {
  /** A name for logs and metrics. */
  readonly name: string
  createNamespace(namespace: NamespaceInput, properties?: Readonly<Record<string, string>>): Promise<void>
  /** Child namespaces of `parent`, or the top-level namespaces. */
  listNamespaces(parent?: NamespaceInput): Promise<Namespace[]>
  namespaceExists(namespace: NamespaceInput): Promise<boolean>
  loadNamespaceProperties(namespace: NamespaceInput): Promise<Record<string, string>>
  /** Drops an empty namespace; refuses one that still holds tables or namespaces. */
  dropNamespace(namespace: NamespaceInput): Promise<void>
  createTable(id: TableIdentifierInput, options: CreateTableOptions): Promise<Table>
  loadTable(id: TableIdentifierInput): Promise<Table>
  tableExists(id: TableIdentifierInput): Promise<boolean>
  listTables(namespace: NamespaceInput): Promise<TableIdentifier[]>
  /** Drops a table; with `purge`, also deletes every file its metadata ever referenced. */
  dropTable(id: TableIdentifierInput, options?: { purge?: boolean }): Promise<void>
  renameTable(from: TableIdentifierInput, to: TableIdentifierInput): Promise<void>
  /**
   * Applies `updates` to the table's current metadata if every requirement holds, atomically.
   * A lost race or a failed requirement is a `CommitConflictError`; the table stays at its
   * previous version. `assert-create` with no table creates it.
   */
  commitTable(
    id: TableIdentifierInput,
    requirements: readonly TableRequirement[],
    updates: readonly TableUpdate[],
  ): Promise<CommitResult>
}
