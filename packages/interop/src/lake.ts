/**
 * Lake's side of the comparison: a table read with Lake's `HadoopCatalog` and scan, in the same
 * shape and canonical form as the Java and PyIceberg harnesses print.
 *
 * @module
 */
import {
  HadoopCatalog,
  type PartitionSpec,
  type Snapshot,
  type SnapshotRef,
  schemaToJson,
  transformToString,
} from '@lake/catalog'
import { canonicalRowsFromArrow } from './canonical.js'
import type { ReadOptions, RefJson, SnapshotJson, SpecJson, TableRead } from './harness.js'

/** Reads a table with Lake: `HadoopCatalog.loadTable`, then a scan converted from Arrow. */
export async function lakeRead(
  warehouse: string,
  table: string,
  options: ReadOptions = {},
): Promise<TableRead> {
  const loaded = await new HadoopCatalog({ warehouse }).loadTable(table)
  const scan = loaded.scan(options.snapshotId === undefined ? {} : { snapshotId: BigInt(options.snapshotId) })
  const current = loaded.currentSnapshot()
  return {
    schema: JSON.parse(JSON.stringify(schemaToJson(scan.schema()))),
    spec: specJson(loaded.spec()),
    snapshots: loaded.snapshots().map(snapshotJson),
    'current-snapshot-id': current === undefined ? null : String(current.snapshotId),
    refs: Object.fromEntries(
      [...loaded.metadata.refs]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, ref]) => [name, refJson(ref)]),
    ),
    rows: canonicalRowsFromArrow(await scan.toArrow(), scan.schema()),
  }
}

function specJson(spec: PartitionSpec): SpecJson {
  return {
    'spec-id': spec.specId,
    fields: spec.fields.map((f) => ({
      name: f.name,
      transform: transformToString(f.transform),
      'source-id': f.sourceId,
      'field-id': f.fieldId,
    })),
  }
}

function refJson(ref: SnapshotRef): RefJson {
  return {
    'snapshot-id': String(ref.snapshotId),
    type: ref.type,
    'min-snapshots-to-keep': ref.minSnapshotsToKeep ?? null,
    'max-snapshot-age-ms': ref.maxSnapshotAgeMs ?? null,
    'max-ref-age-ms': ref.maxRefAgeMs ?? null,
  }
}

function snapshotJson(snapshot: Snapshot): SnapshotJson {
  const { operation, ...rest } = snapshot.summary
  return {
    'snapshot-id': String(snapshot.snapshotId),
    'parent-snapshot-id': snapshot.parentSnapshotId === undefined ? null : String(snapshot.parentSnapshotId),
    'sequence-number': Number(snapshot.sequenceNumber),
    'timestamp-ms': snapshot.timestampMs,
    operation,
    'schema-id': snapshot.schemaId ?? null,
    summary: Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  }
}
