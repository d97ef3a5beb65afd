import { bind } from '../expr/bind.js'
import { alwaysTrue, type BoundExpression, type Expression } from '../expr/expressions.js'
import { valueKey } from '../expr/literals.js'
import { evaluatePartition, ManifestEvaluator } from '../expr/manifest-evaluator.js'
import { InclusiveMetricsEvaluator } from '../expr/metrics-evaluator.js'
import { inclusiveProjection } from '../expr/projection.js'
import { ResidualEvaluator } from '../expr/residual.js'
import type { FileIO } from '../io/file-io.js'
import { type DataFile, DataFileContent, ManifestContent, ManifestEntryStatus } from '../spec/data-file.js'
import { inheritFromManifest, readManifest } from '../spec/manifest.js'
import { readManifestList } from '../spec/manifest-list.js'
import type { PartitionSpec } from '../spec/partition-spec.js'
import type { Schema } from '../spec/schema.js'
import type { Snapshot } from '../spec/snapshot.js'
import type { TableMetadata } from '../spec/table-metadata.js'

/** A delete file with the data sequence number that decides which data files it applies to. */
export interface DeleteFileRef {
  file: DataFile
  sequenceNumber: bigint
}

/** One data file to read, with what still has to be applied to its rows. */
export interface FileScanTask {
  dataFile: DataFile
  /** The data sequence number of the file. */
  sequenceNumber: bigint
  /** The spec the file was written with. */
  spec: PartitionSpec
  /** Position and equality delete files that apply to this file. */
  deletes: DeleteFileRef[]
  /** The part of the filter its partition does not already decide; `true` when every row matches. */
  residual: BoundExpression
}

/** What planning did, for logs, tests and the quickstart's "pruned" line. */
export interface ScanPlanStats {
  manifests: number
  manifestsSkipped: number
  dataFiles: number
  dataFilesSkippedByPartition: number
  dataFilesSkippedByMetrics: number
  deleteFiles: number
}

/** The result of planning: the files to read and how many were pruned. */
export interface ScanPlan {
  snapshot: Snapshot | undefined
  tasks: FileScanTask[]
  stats: ScanPlanStats
}

/**
 * Plans a scan as the spec's "Scan Planning" section says: manifests whose partition summaries
 * cannot match are skipped unread, then data files whose partition tuple or column metrics
 * cannot match; the rest become tasks carrying their residual filter and the delete files that
 * apply to them (position deletes with a sequence number at least the file's, equality deletes
 * with a greater one, in the same partition or unpartitioned).
 */
export async function planFiles(
  io: FileIO,
  metadata: TableMetadata,
  snapshot: Snapshot | undefined,
  schema: Schema,
  filter: Expression = alwaysTrue(),
  caseSensitive = true,
): Promise<ScanPlan> {
  const stats: ScanPlanStats = {
    manifests: 0,
    manifestsSkipped: 0,
    dataFiles: 0,
    dataFilesSkippedByPartition: 0,
    dataFilesSkippedByMetrics: 0,
    deleteFiles: 0,
  }
  if (!snapshot) return { snapshot, tasks: [], stats }
  const bound = bind(schema, filter, caseSensitive)
  const metrics = new InclusiveMetricsEvaluator(bound)
  const bySpec = new Map<
    number,
    { spec: PartitionSpec; partitionFilter: BoundExpression; residuals: ResidualEvaluator }
  >()
  const forSpec = (specId: number) => {
    let entry = bySpec.get(specId)
    if (!entry) {
      const spec = metadata.specById(specId)!
      entry = {
        spec,
        partitionFilter: inclusiveProjection(bound, spec),
        residuals: new ResidualEvaluator(spec, bound),
      }
      bySpec.set(specId, entry)
    }
    return entry
  }

  const list = readManifestList(await io.read(snapshot.manifestList), { file: snapshot.manifestList })
  const data: { file: DataFile; sequenceNumber: bigint }[] = []
  const deletes: DeleteFileRef[] = []
  const manifests = list.manifests.filter((manifest) => {
    stats.manifests += 1
    const keep = new ManifestEvaluator(forSpec(manifest.partitionSpecId).partitionFilter).eval(manifest)
    if (!keep) stats.manifestsSkipped += 1
    return keep
  })
  const read = await Promise.all(
    manifests.map(async (m) => ({
      manifest: m,
      entries: readManifest(await io.read(m.manifestPath), {
        file: m.manifestPath,
        manifestLength: m.manifestLength,
      }).entries,
    })),
  )
  for (const { manifest, entries } of read) {
    const { partitionFilter } = forSpec(manifest.partitionSpecId)
    for (const raw of entries) {
      if (raw.status === ManifestEntryStatus.DELETED) continue
      const entry = inheritFromManifest(raw, manifest)
      const file = entry.dataFile
      if (manifest.content === ManifestContent.DELETES) {
        if (evaluatePartition(partitionFilter, file.partition)) {
          deletes.push({ file, sequenceNumber: entry.sequenceNumber ?? 0n })
        }
        continue
      }
      stats.dataFiles += 1
      if (!evaluatePartition(partitionFilter, file.partition)) {
        stats.dataFilesSkippedByPartition += 1
      } else if (!metrics.eval(file)) {
        stats.dataFilesSkippedByMetrics += 1
      } else {
        data.push({ file, sequenceNumber: entry.sequenceNumber ?? 0n })
      }
    }
  }
  stats.deleteFiles = deletes.length

  const tasks = data.map(({ file, sequenceNumber }) => {
    const { spec, residuals } = forSpec(file.specId)
    return {
      dataFile: file,
      sequenceNumber,
      spec,
      deletes: deletes.filter((d) => deleteApplies(d, file, sequenceNumber, metadata)),
      residual: residuals.residualFor(file.partition),
    }
  })
  return { snapshot, tasks, stats }
}

function deleteApplies(
  ref: DeleteFileRef,
  file: DataFile,
  sequenceNumber: bigint,
  metadata: TableMetadata,
): boolean {
  const del = ref.file
  if (del.content === DataFileContent.POSITION_DELETES) {
    if (ref.sequenceNumber < sequenceNumber) return false
  } else if (ref.sequenceNumber <= sequenceNumber) {
    return false
  }
  const deleteSpec = metadata.specById(del.specId)
  // An unpartitioned equality delete applies to every partition (spec: "Scan Planning").
  if (del.content === DataFileContent.EQUALITY_DELETES && deleteSpec && deleteSpec.fields.length === 0)
    return true
  return del.specId === file.specId && partitionKey(del.partition) === partitionKey(file.partition)
}

function partitionKey(partition: readonly unknown[]): string {
  return partition.map((v) => (v === null || v === undefined ? '\u0000null' : valueKey(v))).join('\u0001')
}
