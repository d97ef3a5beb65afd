import type { RecordBatch } from 'apache-arrow'
import { bind } from '../expr/bind.js'
import { evaluateBatch } from '../expr/evaluator.js'
import type { Expression } from '../expr/expressions.js'
import { StrictMetricsEvaluator } from '../expr/strict-metrics-evaluator.js'
import { readParquet } from '../scan/arrow-reader.js'
import { batchToRows } from '../scan/arrow-rows.js'
import { equalityDeleteFilter, positionDeletesFor, requireParquet } from '../scan/deletes.js'
import { type FileScanTask, planFiles } from '../scan/plan.js'
import type { DataFile } from '../spec/data-file.js'
import type { TableMetadata } from '../spec/table-metadata.js'
import type { Table } from '../table/table.js'
import { columnBatch } from '../writer/column-batch.js'
import { type AppendInput, toInternalColumns, writeRows } from './append.js'
import type { TableAction } from './commit.js'
import { type SnapshotChanges, SnapshotProducer } from './snapshot-producer.js'

/**
 * Removes the rows matching `filter` as a new snapshot (copy-on-write): a file whose partition
 * or column metrics prove every row matches is dropped without being read; a file with some
 * matching rows is rewritten without them. Planned again on fresh metadata after a conflict, so
 * rows a concurrent writer added are judged too. Undefined when no row matches.
 */
export async function deleteAction(
  table: Table,
  filter: Expression,
  options: { signal?: AbortSignal } = {},
): Promise<TableAction | undefined> {
  bind(table.schema(), filter)
  // The first attempt builds on the metadata planned here, so its plan is reused, not redone.
  let first: { metadata: TableMetadata; changes: SnapshotChanges } | undefined
  const producer: SnapshotProducer = new SnapshotProducer(table, (metadata) =>
    first?.metadata === metadata
      ? first.changes
      : removeMatching(table, metadata, filter, producer, 'delete', options.signal),
  )
  const changes = await removeMatching(table, table.metadata, filter, producer, 'delete', options.signal)
  if (changes.removed.size === 0) {
    await producer.cleanup(undefined)
    return undefined
  }
  first = { metadata: table.metadata, changes }
  return producer
}

/** Replaces the rows matching `filter` with `data` in one snapshot. */
export async function overwriteAction(
  table: Table,
  filter: Expression,
  data: AppendInput,
  options: { signal?: AbortSignal } = {},
): Promise<TableAction> {
  bind(table.schema(), filter)
  const rows = toInternalColumns(table.schema(), data, table.name)
  const added = await writeRows(table, rows, options.signal)
  const producer: SnapshotProducer = new SnapshotProducer(table, async (metadata) => {
    const changes = await removeMatching(table, metadata, filter, producer, 'overwrite', options.signal)
    return { ...changes, added: [...changes.added, ...added] }
  })
  producer.dataFiles.push(...added.map((f) => f.filePath))
  return producer
}

async function removeMatching(
  table: Table,
  metadata: TableMetadata,
  filter: Expression,
  producer: SnapshotProducer,
  operation: 'delete' | 'overwrite',
  signal: AbortSignal | undefined,
): Promise<SnapshotChanges> {
  const schema = metadata.currentSchema()
  const plan = await planFiles(table.io, metadata, metadata.currentSnapshot(), schema, filter)
  const removed = new Set<string>()
  const added: DataFile[] = []
  let rewrote = false
  for (const task of plan.tasks) {
    const wholeFile =
      task.residual.kind === 'true' || new StrictMetricsEvaluator(task.residual).eval(task.dataFile)
    if (wholeFile && task.deletes.length === 0) {
      removed.add(task.dataFile.filePath)
      continue
    }
    const kept = await keptRows(table, metadata, task, signal)
    if (kept === undefined) continue
    removed.add(task.dataFile.filePath)
    if (kept.length > 0) {
      const files = await writeRows(table, columnBatch(table.schema(), kept), signal)
      producer.dataFiles.push(...files.map((f) => f.filePath))
      added.push(...files)
    }
    rewrote = true
  }
  // Deleting whole files only is a `delete`; rewriting some makes it an `overwrite`, as in Java.
  return { operation: rewrote ? 'overwrite' : operation, added, removed }
}

/** The rows of the task's file that survive the filter and its deletes; undefined when none is removed. */
async function keptRows(
  table: Table,
  metadata: TableMetadata,
  task: FileScanTask,
  signal: AbortSignal | undefined,
): Promise<Record<string, unknown>[] | undefined> {
  const schema = metadata.currentSchema()
  const path = task.dataFile.filePath
  requireParquet(task.dataFile)
  const positionDeletes = await positionDeletesFor(table.io, task, signal)
  const equalityDeletes = await equalityDeleteFilter(
    table.io,
    schema,
    task.deletes.filter((d) => d.file.equalityIds !== undefined && d.file.equalityIds.length > 0),
    signal,
  )
  const rows: Record<string, unknown>[] = []
  let removedAny = false
  for await (const batch of readParquet({
    file: await table.io.open(path),
    path,
    projectedSchema: schema,
    ...(positionDeletes ? { positionDeletes } : {}),
    residual: (b: RecordBatch) => {
      const matches = evaluateBatch(task.residual, b)
      const keep = equalityDeletes?.keep(b)
      const mask = new Uint8Array(b.numRows)
      for (let i = 0; i < mask.length; i++) {
        mask[i] = matches[i] ? 0 : keep ? keep[i]! : 1
        if (!mask[i]) removedAny = true
      }
      return mask
    },
    ...(signal ? { signal } : {}),
  })) {
    rows.push(...batchToRows(batch, schema))
  }
  // Rows already removed by delete files count as removed: rewriting drops those files' effect.
  if (positionDeletes && positionDeletes.size > 0) removedAny = true
  return removedAny ? rows : undefined
}
