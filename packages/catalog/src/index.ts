// The public API of @lake/catalog: everything a user imports is listed here by name.

// Catalog
export type { Catalog, CommitResult, CreateTableOptions } from './catalog/catalog.js'
export { HadoopCatalog, type HadoopCatalogOptions } from './catalog/hadoop-catalog.js'
export {
  identifierToString,
  type Namespace,
  type NamespaceInput,
  parseNamespace,
  parseTableIdentifier,
  type TableIdentifier,
  type TableIdentifierInput,
} from './catalog/identifier.js'
export type { PartitionByField, SortByField } from './catalog/table-options.js'
// Expressions
export {
  type AlwaysFalse,
  type AlwaysTrue,
  type And,
  alwaysFalse,
  alwaysTrue,
  and,
  type BoundAnd,
  type BoundExpression,
  type BoundLiteralPredicate,
  type BoundOr,
  type BoundPredicate,
  type BoundReference,
  type BoundSetPredicate,
  type BoundUnaryPredicate,
  type Expression,
  eq,
  expressionToString,
  gt,
  gtEq,
  isIn,
  isNaN,
  isNull,
  type LiteralOperation,
  lt,
  ltEq,
  type Not,
  not,
  notEq,
  notIn,
  notNaN,
  notNull,
  notStartsWith,
  type Operation,
  type Or,
  or,
  type SetOperation,
  startsWith,
  type UnaryOperation,
  type UnboundLiteralPredicate,
  type UnboundPredicate,
  type UnboundSetPredicate,
  type UnboundUnaryPredicate,
} from './expr/expressions.js'
// Storage
export type { AsyncBuffer, FileIO, FileStatus, ReadStreamOptions, WriteOptions } from './io/file-io.js'
export { LocalFileIO } from './io/local.js'
export { type FileIOFactory, ResolvingFileIO } from './io/resolve.js'
export { WebHdfsFileIO, type WebHdfsFileIOOptions } from './io/webhdfs.js'
// The Iceberg REST catalog endpoint
export { createRestCatalogHandler, type RestCatalogHandler, type RestCatalogOptions } from './rest/handler.js'
export { type RestCatalogServer, type ServeRestCatalogOptions, serveRestCatalog } from './rest/server.js'
// Scans
export type { DeleteFileRef, FileScanTask, ScanPlan, ScanPlanStats } from './scan/plan.js'
export { TableScan, type TableScanOptions } from './scan/table-scan.js'
// The Iceberg spec
export {
  PARQUET_FIELD_ID_KEY,
  type SchemaFromArrowOptions,
  schemaFromArrow,
  schemaToArrow,
} from './spec/arrow-schema.js'
export {
  isoUtcMicrosNumberOrUndefined,
  isoUtcMillisOrUndefined,
  plainDecimalNumberOrUndefined,
  plainDecimalOrUndefined,
} from './spec/conversions.js'
export {
  type DataFile,
  DataFileContent,
  ManifestContent,
  type ManifestEntry,
  ManifestEntryStatus,
  type ManifestFile,
  type PartitionFieldSummary,
} from './spec/data-file.js'
export type {
  PartitionField,
  PartitionSpec,
  UnboundPartitionField,
  UnboundPartitionSpec,
} from './spec/partition-spec.js'
export {
  type FieldJson,
  type ListTypeJson,
  type MapTypeJson,
  parsePrimitiveType,
  Schema,
  type SchemaJson,
  type StructTypeJson,
  schemaFromJson,
  schemaToJson,
  type TypeJson,
  typeFromJson,
  typeToJson,
} from './spec/schema.js'
export {
  type ColumnDef,
  col,
  type DecimalInput,
  defineSchema,
  type InferRow,
  type RowOf,
  schemaFromZod,
  type TimestampInput,
  type TypeDef,
  type TypedSchema,
} from './spec/schema-builder.js'
export {
  type JsonObject,
  type JsonValue,
  MAIN_BRANCH,
  parseMetadataJson,
  type Snapshot,
  type SnapshotOperation,
  type SnapshotRef,
  type SnapshotSummary,
  type StringifyOptions,
  stringifyMetadataJson,
} from './spec/snapshot.js'
export type { NullOrder, SortDirection, SortField, SortOrder } from './spec/sort-order.js'
export {
  type FormatVersion,
  type MetadataLogEntry,
  parseTableMetadata,
  type SnapshotLogEntry,
  serializeTableMetadata,
  TableMetadata,
  type TableMetadataFields,
} from './spec/table-metadata.js'
export {
  type TableRequirement,
  type TableUpdate,
  tableRequirementFromJson,
  tableRequirementToJson,
  tableUpdateFromJson,
  tableUpdateToJson,
} from './spec/table-update.js'
export { parseTransform, type Transform, transformToString } from './spec/transform.js'
export {
  type DecimalType,
  type FixedType,
  type IcebergType,
  isPrimitive,
  type ListType,
  type MapType,
  type NestedField,
  type NestedType,
  type PrimitiveType,
  primitiveToString,
  type SimplePrimitiveType,
  type SimplePrimitiveTypeName,
  type StructType,
  Types,
  typesEqual,
  typeToString,
} from './spec/types.js'
export { coerceValue } from './spec/values.js'
// Tables
export {
  type AppendColumnsOptions,
  type AppendOptions,
  type HistoryEntry,
  type PendingSchemaUpdate,
  Table,
  type TableOwner,
} from './table/table.js'
export type { SnapshotSelector } from './table/time-travel.js'
export type { AppendInput } from './transaction/append.js'
export { type AddColumnOptions, SchemaUpdate, type UpdateColumnOptions } from './transaction/update-schema.js'
export { type ColumnBatch, ColumnBuilder } from './writer/column-batch.js'
export {
  type BatchColumn,
  isTypedColumn,
  sliceTyped,
  type TypedColumn,
  type TypedColumnBase,
  TypedColumnBuilder,
  type TypedColumnKind,
  typedKind,
  typedValueAt,
  typedValues,
} from './writer/typed-column.js'
