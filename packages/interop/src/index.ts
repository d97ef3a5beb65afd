// Lake's interop harness: the same table read (and written) by Apache Iceberg Java, PyIceberg and
// Lake, in one canonical JSON form, so tests compare them with `toEqual`.
export { allTypes, allTypesColumns, allTypesRows } from './all-types.js'
export {
  type CanonicalRow,
  type CanonicalValue,
  canonicalRowsFromArrow,
  lakeRows,
  sortRows,
} from './canonical.js'
export {
  type AuditResult,
  type EvolveOp,
  javaAppend,
  javaAudit,
  javaCreateFixture,
  javaEvolve,
  javaRead,
  javaReadMany,
  pyAppend,
  pyCreateFixture,
  pyRead,
  pyReadMany,
  type ReadOptions,
  type RefJson,
  type SchemaJsonValue,
  type SnapshotJson,
  type SpecJson,
  type TableRead,
} from './harness.js'
export { lakeRead } from './lake.js'
